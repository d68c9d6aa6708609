package org.dpmammo.nn;

import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Weight initialisations with PyTorch's formulas, drawn from a seeded {@link Rng} (the values differ from
 * PyTorch's generator; the distributions are the same).
 */
public final class Init {
    private Init() {}

    /**
     * fan_in as torch.nn.init computes it: size of dim 1 times the receptive field (dims 2…). For a Linear
     * [out, in] weight that is in; for a ConvTranspose2d [C_in, C_out, kH, kW] weight it is C_out·kH·kW.
     */
    public static int fanIn(int[] weightShape) {
        if (weightShape.length < 2) throw new IllegalArgumentException("fanIn: a weight needs at least 2 dimensions, got " + weightShape.length);
        int fan = weightShape[1];
        for (int i = 2; i < weightShape.length; i++) fan *= weightShape[i];
        return fan;
    }

    public static void uniform(Parameter p, double lo, double hi, Rng rng) {
        float[] v = new float[p.value().numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(lo, hi);
        p.setValue(Tensor.of(v, p.shape()));
    }

    public static void normal(Parameter p, double mean, double std, Rng rng) {
        float[] v = new float[p.value().numel()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rng.nextGaussian());
        p.setValue(Tensor.of(v, p.shape()));
    }

    /**
     * torch.nn.init.trunc_normal_: N(mean, std²) conditioned on [a, b]. As in PyTorch, a and b are absolute
     * bounds (default ±2), so Swin's trunc_normal(std=0.02) is in effect untruncated.
     */
    public static void truncNormal(Parameter p, double mean, double std, double a, double b, Rng rng) {
        if (!(a < b)) throw new IllegalArgumentException("truncNormal: empty interval [" + a + ", " + b + "]");
        if ((a - mean) / std > 6 || (mean - b) / std > 6) {
            throw new IllegalArgumentException("truncNormal: [" + a + ", " + b + "] lies more than 6 std from the mean " + mean);
        }
        float[] v = new float[p.value().numel()];
        for (int i = 0; i < v.length; i++) {
            double x;
            do x = mean + std * rng.nextGaussian(); while (x < a || x > b);
            v[i] = (float) x;
        }
        p.setValue(Tensor.of(v, p.shape()));
    }

    public static void truncNormal(Parameter p, double std, Rng rng) {
        truncNormal(p, 0, std, -2, 2, rng);
    }

    public static void constant(Parameter p, float value) {
        p.setValue(Tensor.full(value, p.shape()));
    }

    /**
     * kaiming_uniform_(a) in fan_in mode with the leaky-ReLU gain √(2/(1+a²)): U(−b, b), b = gain·√(3/fan_in).
     * PyTorch's Linear and Conv layers use a = √5, which gives b = 1/√fan_in.
     */
    public static void kaimingUniform(Parameter p, double a, Rng rng) {
        double bound = Math.sqrt(2.0 / (1 + a * a)) * Math.sqrt(3.0 / fanIn(p.shape()));
        uniform(p, -bound, bound, rng);
    }

    /** PyTorch's default for Linear, Conv2d and ConvTranspose2d: kaiming_uniform(√5) weight, U(±1/√fan_in) bias. */
    static void defaultLinear(Parameter weight, Parameter bias, Rng rng) {
        kaimingUniform(weight, Math.sqrt(5), rng);
        if (bias != null) {
            int fan = fanIn(weight.shape());
            double bound = fan > 0 ? 1 / Math.sqrt(fan) : 0;
            uniform(bias, -bound, bound, rng);
        }
    }
}
