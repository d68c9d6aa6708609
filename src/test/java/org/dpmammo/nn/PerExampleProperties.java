package org.dpmammo.nn;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
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

    @Property(tries = 20)
    void groupNorm(@ForAll @IntRange(min = 0, max = 3) int n, @ForAll @IntRange(min = 1, max = 3) int groups,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        GroupNorm gn = new GroupNorm(groups, 2 * groups);
        gn.weight.setValue(TestTensors.randn(rng, 2 * groups));
        gn.bias.setValue(TestTensors.randn(rng, 2 * groups));
        PerExampleCheck.checkClippedSum(gn, x -> gn.forward(Variable.constant(x)), TestTensors.randn(rng, n, 2 * groups, 2, 3), seed);
    }

    @Property(tries = 20)
    void embedding(@ForAll @IntRange(min = 0, max = 4) int n, @ForAll @IntRange(min = 1, max = 3) int t,
            @ForAll @IntRange(min = 0, max = 1000) int seed) {
        Rng rng = new Rng(seed);
        Embedding e = new Embedding(4, 3, rng);
        Tensor idx = Tensor.zeros(n, t);
        for (int i = 0; i < idx.data().length; i++) idx.data()[i] = rng.nextInt(4);
        PerExampleCheck.checkClippedSum(e, x -> e.forward(Variable.constant(x)), idx, seed);
    }
}
