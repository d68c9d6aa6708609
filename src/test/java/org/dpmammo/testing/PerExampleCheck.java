package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.Function;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.PerExampleLayer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * The obviously-correct loop for a {@link PerExampleLayer}: B separate single-example backward passes give the
 * per-example gradients gᵢ; the layer's sink path must deliver (A, G) from one batched pass such that
 * {@code gradients(A, G·diag(c))} equals Σᵢ cᵢ gᵢ, the clipped sum DP-SGD needs.
 */
public final class PerExampleCheck {
    private PerExampleCheck() {}

    /**
     * forward maps an input batch (example axis 0) to the layer output; input is the full batch; the output
     * gradient of example i is R's slice i.
     */
    public static void checkClippedSum(PerExampleLayer layer, Function<Tensor, Variable> forward, Tensor input, long seed) {
        Rng rng = new Rng(seed);
        int n = input.size(0);
        List<Parameter> params = layer.perExampleParameters();
        Variable full = forward.apply(input);
        Tensor r = TestTensors.randn(rng, full.shape());
        double[] c = new double[n];
        for (int i = 0; i < n; i++) c[i] = rng.uniform(0.1, 1.0);

        // Reference: Σ cᵢ gᵢ from one backward per example.
        double[][] expected = new double[params.size()][];
        for (int k = 0; k < params.size(); k++) expected[k] = new double[params.get(k).value().numel()];
        for (int i = 0; i < n; i++) {
            for (Parameter p : params) p.zeroGrad();
            Variable yi = forward.apply(input.slice(0, i, i + 1).contiguous());
            yi.backward(r.slice(0, i, i + 1).contiguous());
            for (int k = 0; k < params.size(); k++) {
                float[] g = params.get(k).grad().toArray();
                for (int j = 0; j < g.length; j++) expected[k][j] += c[i] * g[j];
            }
        }

        // Batched: one backward with the sink installed.
        for (Parameter p : params) p.zeroGrad();
        Tensor[] captured = new Tensor[2];
        layer.setGradientSink((l, a, g) -> {
            assertNull(captured[0], "sink called twice for one application");
            captured[0] = a;
            captured[1] = g;
        });
        try {
            forward.apply(input).backward(r);
        } finally {
            layer.setGradientSink(null);
        }
        assertNotNull(captured[0], "sink was not called");
        for (Parameter p : params) assertNull(p.grad(), "a parameter got a summed gradient although a sink was installed");
        assertEquals(n, captured[0].size(0), "A's first axis is the example axis");
        assertEquals(n, captured[1].size(0), "G's first axis is the example axis");

        Tensor g = captured[1].contiguous().copy();
        float[] gd = g.data();
        int per = gd.length / Math.max(n, 1);
        for (int i = 0; i < n; i++) for (int j = 0; j < per; j++) gd[i * per + j] *= (float) c[i];
        Tensor[] clipped = layer.gradients(captured[0], g);
        for (int k = 0; k < params.size(); k++) {
            TestTensors.assertClose(expected[k], clipped[k], 1e-4, 1e-5, "clipped sum of parameter " + k);
        }
    }
}
