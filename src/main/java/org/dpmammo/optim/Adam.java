package org.dpmammo.optim;

import java.util.List;
import java.util.Map;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Tensor;

/**
 * Adam with PyTorch's update rule (amsgrad off). Per step t: g ← g + wd·w (L2 penalty, Adam) or w ← w·(1 − lr·wd)
 * first (decoupled, {@link AdamW}); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * w ← w − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + eps).
 */
public class Adam extends Optimizer {
    public final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled;

    /** decoupled: weight decay applied to the weights (AdamW) rather than added to the gradient (Adam). */
    Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(params, lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("Adam: betas (" + beta1 + ", " + beta2 + ") outside [0, 1)");
        if (!(eps >= 0) || !(weightDecay >= 0)) throw new IllegalArgumentException("Adam: eps " + eps + " and weight decay " + weightDecay + " must be ≥ 0");
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    /** Adam with the L2 penalty added to the gradient (PyTorch's torch.optim.Adam). */
    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    public boolean decoupledWeightDecay() {
        return decoupled;
    }

    @Override
    protected void update(float[] w, float[] g, Map<String, Tensor> slots) {
        double lr = lr();
        float[] step = slot(slots, "step", 1);
        float[] m = slot(slots, "exp_avg", w.length), v = slot(slots, "exp_avg_sq", w.length);
        step[0] += 1;
        double t = step[0];
        // The scalars are computed in double, as PyTorch computes them in Python; the per-element arithmetic is in
        // float32 in PyTorch's order, which is also what lets the JIT vectorise the loop (a double loop took 6% of
        // a GAN iteration, eight times the float loop's time).
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t))), bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
        float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1), c2 = (float) (1 - beta2), e = (float) eps;
        // L2 penalty on the gradient (Adam) or decay of the weights first (AdamW); with no decay, g + 0·w is g.
        float l2 = decoupled ? 0f : (float) weightDecay;
        if (decoupled && weightDecay != 0) {
            float shrink = (float) (1 - lr * weightDecay);
            for (int i = 0; i < w.length; i++) w[i] *= shrink;
        }
        for (int i = 0; i < w.length; i++) {
            float gi = g[i] + l2 * w[i];
            m[i] = b1 * m[i] + c1 * gi;
            v[i] = b2 * v[i] + c2 * gi * gi;
            w[i] -= stepSize * (m[i] / ((float) Math.sqrt(v[i]) / bc2Sqrt + e));
        }
    }

    @Override
    protected Tensor update(Tensor w, Tensor g, Map<String, Tensor> slots) {
        Backend be = Backends.current();
        int n = w.numel();
        double lr = lr();
        float[] step = slot(slots, "step", 1);
        step[0] += 1;
        double t = step[0];
        Tensor wf = w.reshape(n), gf = g.reshape(n);
        // A backend with a fused kernel (the GPU's dp_adamw) updates w, m and v in place once they all live there.
        Tensor m0 = slots.get("exp_avg"), v0 = slots.get("exp_avg_sq");
        if ((decoupled || weightDecay == 0) && m0 != null && v0 != null
                && be.fusedAdamW(wf, gf, m0, v0, lr, beta1, beta2, eps, decoupled ? weightDecay : 0, (long) t)) {
            return wf;
        }
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t))), bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
        if (decoupled && weightDecay != 0) wf = be.unary(UnaryOp.MUL_SCALAR, wf, (float) (1 - lr * weightDecay));
        Tensor gi = decoupled || weightDecay == 0 ? gf : be.binary(BinaryOp.ADD, gf, be.unary(UnaryOp.MUL_SCALAR, wf, (float) weightDecay));
        Tensor m = be.binary(BinaryOp.ADD, be.unary(UnaryOp.MUL_SCALAR, slotTensor(slots, "exp_avg", n), (float) beta1),
                be.unary(UnaryOp.MUL_SCALAR, gi, (float) (1 - beta1)));
        Tensor v = be.binary(BinaryOp.ADD, be.unary(UnaryOp.MUL_SCALAR, slotTensor(slots, "exp_avg_sq", n), (float) beta2),
                be.binary(BinaryOp.MUL, be.unary(UnaryOp.MUL_SCALAR, gi, (float) (1 - beta2)), gi));
        slots.put("exp_avg", m);
        slots.put("exp_avg_sq", v);
        Tensor denom = be.unary(UnaryOp.ADD_SCALAR, be.unary(UnaryOp.MUL_SCALAR, be.unary(UnaryOp.SQRT, v, 0f), 1f / bc2Sqrt), (float) eps);
        return be.binary(BinaryOp.SUB, wf, be.unary(UnaryOp.MUL_SCALAR, be.binary(BinaryOp.DIV, m, denom), stepSize));
    }

    @Override
    protected int slotSize(String slot, int numel) {
        return switch (slot) {
            case "step" -> 1;
            case "exp_avg", "exp_avg_sq" -> numel;
            default -> -1;
        };
    }
}
