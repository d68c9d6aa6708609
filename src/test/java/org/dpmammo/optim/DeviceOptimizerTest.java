package org.dpmammo.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.cuda.EmulatedCuda;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/**
 * The optimizers' device path (parameters, gradients and moments on the emulated GPU; AdamW through the fused kernel
 * from its second step) against their host loops, over a few steps of the same gradients, state export included.
 */
class DeviceOptimizerTest {
    private static Tensor uniform(Rng r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.data()[i] = (float) r.uniform(-1, 1);
        return t;
    }

    private record Run(float[] weights, Map<String, Tensor> state, boolean onDevice) {}

    private static Run run(Backend backend, Function<List<Parameter>, Optimizer> make) {
        try (Scope s = Backends.use(backend)) {
            Parameter p = new Parameter(uniform(new Rng(1), 7, 5));
            Optimizer opt = make.apply(List.of(p));
            Rng g = new Rng(2);
            for (int step = 0; step < 4; step++) {
                p.setGrad(backend.upload(uniform(g, 7, 5)));
                opt.step();
                opt.zeroGrad();
            }
            return new Run(p.value().toArray(), opt.state(), p.value().isOnDevice());
        }
    }

    @Test
    void everyOptimizerUpdatesOnTheDeviceAsOnTheHost() throws Exception {
        List<Function<List<Parameter>, Optimizer>> kinds = List.of(
                ps -> new SGD(ps, 0.1),
                ps -> new SGD(ps, 0.1, 0.9, 0.1, 0.01, false),
                ps -> new SGD(ps, 0.1, 0.9, 0, 0.01, true),
                ps -> new Adam(ps, 1e-2),
                ps -> new Adam(ps, 1e-2, 0.9, 0.999, 1e-8, 0.05),
                ps -> new AdamW(ps, 1e-2, 0.9, 0.999, 1e-8, 0.05));
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip()) {
            for (int k = 0; k < kinds.size(); k++) {
                Run host = run(Backends.cpu(), kinds.get(k)), dev = run(emu.backend(), kinds.get(k));
                assertTrue(dev.onDevice(), "optimizer " + k + ": the parameter lives on the device");
                for (int i = 0; i < host.weights().length; i++) assertEquals(host.weights()[i], dev.weights()[i], 2e-6, "optimizer " + k + " weight " + i);
                assertEquals(host.state().keySet(), dev.state().keySet(), "optimizer " + k + " state names");
                for (String name : host.state().keySet()) {
                    float[] a = host.state().get(name).toArray(), b = dev.state().get(name).toArray();
                    for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 2e-6 * Math.max(1, Math.abs(a[i])), "optimizer " + k + " state " + name + "[" + i + "]");
                }
            }
        }
    }
}
