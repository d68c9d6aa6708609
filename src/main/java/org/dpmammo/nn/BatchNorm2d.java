package org.dpmammo.nn;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.util.Scope;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * Batch normalisation of x [N, C, H, W] per channel, as PyTorch's BatchNorm2d. Training: normalise with the batch
 * mean and biased variance over (N, H, W), and update running_mean and running_var with momentum 0.1, the
 * variance unbiased (·n/(n−1)); num_batches_tracked counts the updates. Eval: normalise with the running
 * statistics. Affine γ (1), β (0) per channel.
 *
 * <p>Not usable under DP: in training mode an example's output depends on the rest of the batch, so per-example
 * gradients are undefined (see {@link MixesExamples}). The DCGAN's non-default BatchNorm variant is the only user.
 * num_batches_tracked is int64 in PyTorch; here it is a float buffer marked integer, written to safetensors as I64.
 */
public final class BatchNorm2d extends Module implements MixesExamples {
    public final int numFeatures;
    public final float eps, momentum;
    public final Parameter weight, bias;

    public BatchNorm2d(int numFeatures, float eps, float momentum) {
        if (numFeatures <= 0) throw new IllegalArgumentException("BatchNorm2d: " + numFeatures + " features");
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        weight = registerParameter("weight", new Parameter(Tensor.full(1f, numFeatures)));
        bias = registerParameter("bias", new Parameter(Tensor.zeros(numFeatures)));
        registerBuffer("running_mean", Tensor.zeros(numFeatures), false);
        registerBuffer("running_var", Tensor.full(1f, numFeatures), false);
        registerBuffer("num_batches_tracked", Tensor.scalar(0f).reshape(), true);
    }

    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5f, 0.1f);
    }

    public Tensor runningMean() {
        return buffer("running_mean");
    }

    public Tensor runningVar() {
        return buffer("running_var");
    }

    public long numBatchesTracked() {
        return (long) buffer("num_batches_tracked").item();
    }

    @Override
    public Variable forward(Variable x) {
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[1] != numFeatures) throw new IllegalArgumentException("BatchNorm2d(" + numFeatures + "): input " + Shape.str(s));
        int[] view = {1, numFeatures, 1, 1};
        Variable xhat;
        if (isTraining()) {
            long count = (long) s[0] * s[2] * s[3];
            if (count <= 1) throw new IllegalArgumentException("BatchNorm2d: training needs more than one value per channel, input " + Shape.str(s));
            updateRunningStats(x.value(), count);
            xhat = NnOps.normalize(x, eps, 0, 2, 3);
        } else {
            float[] mean = runningMean().toArray(), var = runningVar().toArray();
            float[] scale = new float[numFeatures], shift = new float[numFeatures];
            for (int c = 0; c < numFeatures; c++) {
                scale[c] = (float) (1 / Math.sqrt(var[c] + (double) eps));
                shift[c] = -mean[c] * scale[c];
            }
            xhat = Ops.add(Ops.mul(x, Variable.constant(Tensor.of(scale, view))), Variable.constant(Tensor.of(shift, view)));
        }
        return Ops.add(Ops.mul(xhat, Ops.reshape(weight, view)), Ops.reshape(bias, view));
    }

    /** running ← (1 − momentum)·running + momentum·batch, with the unbiased batch variance; in double. */
    private void updateRunningStats(Tensor x, long count) {
        if (x.isOnDevice()) {
            updateRunningStatsOnDevice(x, count);
            return;
        }
        float[] xd = x.toArray();
        int n = x.size(0), c = numFeatures, plane = x.size(2) * x.size(3);
        float[] rm = runningMean().toArray(), rv = runningVar().toArray();
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) for (int p = 0, o = (i * c + ch) * plane; p < plane; p++) sum += xd[o + p];
            double mean = sum / count;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                for (int p = 0, o = (i * c + ch) * plane; p < plane; p++) {
                    double d = xd[o + p] - mean;
                    ss += d * d;
                }
            }
            rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mean);
            rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * ss / (count - 1));
        }
        setBuffer("running_mean", Tensor.of(rm, c));
        setBuffer("running_var", Tensor.of(rv, c));
        setBuffer("num_batches_tracked", Tensor.scalar((float) (numBatchesTracked() + 1)).reshape());
    }

    /**
     * The same update with the backend's ops, in float, for an input on a device: the statistics and the counter stay
     * there, where reading them to the host would cost a round trip per layer per step.
     */
    private void updateRunningStatsOnDevice(Tensor x, long count) {
        int[] view = {1, numFeatures, 1, 1};
        float m = (float) momentum;
        try (Scope noGrad = Grad.noGrad()) {
            Variable v = Variable.constant(x);
            Variable mean = Ops.mean(v, false, 0, 2, 3);
            Variable centred = Ops.sub(v, Ops.reshape(mean, view));
            Variable var = Ops.mulScalar(Ops.sum(Ops.square(centred), false, 0, 2, 3), 1f / (count - 1));
            Variable rm = Ops.add(Ops.mulScalar(Variable.constant(runningMean()), 1 - m), Ops.mulScalar(mean, m));
            Variable rv = Ops.add(Ops.mulScalar(Variable.constant(runningVar()), 1 - m), Ops.mulScalar(var, m));
            setBuffer("running_mean", rm.value());
            setBuffer("running_var", rv.value());
            setBuffer("num_batches_tracked", Ops.addScalar(Variable.constant(buffer("num_batches_tracked")), 1).value());
        }
    }
}
