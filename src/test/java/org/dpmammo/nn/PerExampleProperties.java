package org.dpmammo.nn;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dpmammo.autograd.Variable;
import org.dpmammo.testing.PerExampleCheck;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;

/**
 * For random shapes, batch sizes 0 and 1 included (an empty Poisson batch is legal), the (A, G) handed to the sink
 * give the same clipped sum as one backward per example.
 */
class PerExampleProperties {
    @Property(tries = 30)
    void linear(@ForAll @IntRange(min = 0, max = 4) int n, @ForAll @IntRange(min = 1, max = 3) int t,
            @ForAll @IntRange(min = 1, max = 5) int in, @ForAll @IntRange(min = 1, max = 5) int out,
            @ForAll boolean bias, @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Linear lin = new Linear(in, out, bias, rng);
        PerExampleCheck.checkClippedSum(lin, x -> lin.forward(Variable.constant(x)), TestTensors.randn(rng, n, t, in), seed);
    }

    @Property(tries = 30)
    void conv2d(@ForAll @IntRange(min = 0, max = 3) int n, @ForAll @IntRange(min = 1, max = 3) int k,
            @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll @IntRange(min = 0, max = 1) int padding,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Conv2d conv = new Conv2d(2, 3, k, stride, padding, true, rng);
        PerExampleCheck.checkClippedSum(conv, x -> conv.forward(Variable.constant(x)), TestTensors.randn(rng, n, 2, 5, 4), seed);
    }

    @Property(tries = 30)
    void convTranspose2d(@ForAll @IntRange(min = 0, max = 3) int n, @ForAll @IntRange(min = 1, max = 4) int k,
            @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll @IntRange(min = 0, max = 1) int padding,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        ConvTranspose2d ct = new ConvTranspose2d(2, 3, k, stride, Math.min(padding, k - 1), stride - 1, true, rng);
        PerExampleCheck.checkClippedSum(ct, x -> ct.forward(Variable.constant(x)), TestTensors.randn(rng, n, 2, 3, 2), seed);
    }

    @Property(tries = 20)
    void layerNorm(@ForAll @IntRange(min = 0, max = 3) int n, @ForAll @IntRange(min = 2, max = 6) int c,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        LayerNorm ln = new LayerNorm(c);
        ln.weight.setValue(TestTensors.randn(rng, c));
        ln.bias.setValue(TestTensors.randn(rng, c));
        PerExampleCheck.checkClippedSum(ln, x -> ln.forward(Variable.constant(x)), TestTensors.randn(rng, n, 3, c), seed);
    }
}
