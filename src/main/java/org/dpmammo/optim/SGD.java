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
 * Stochastic gradient descent with PyTorch's update rule:
 * d = g + wd·w; with momentum μ: b ← d on the first step, else b ← μ·b + (1 − dampening)·d, and d = b, or
 * d = d + μ·b with Nesterov; then w ← w − lr·d.
 */
public final class SGD extends Optimizer {
    public final double momentum, dampening, weightDecay;
    public final boolean nesterov;

    public SGD(List<Parameter> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, lr);
        if (momentum < 0 || weightDecay < 0) throw new IllegalArgumentException("SGD: momentum " + momentum + " and weight decay " + weightDecay + " must be ≥ 0");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    public SGD(List<Parameter> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    @Override
    protected void update(float[] w, float[] g, Map<String, Tensor> slots) {
        double lr = lr();
        boolean first = !hasSlot(slots, "momentum_buffer");
        float[] buf = momentum != 0 ? slot(slots, "momentum_buffer", w.length) : null;
        for (int i = 0; i < w.length; i++) {
            double d = g[i] + weightDecay * w[i];
            if (buf != null) {
                double b = first ? d : momentum * buf[i] + (1 - dampening) * d;
                buf[i] = (float) b;
                d = nesterov ? d + momentum * b : b;
            }
            w[i] = (float) (w[i] - lr * d);
        }
    }

    @Override
    protected Tensor update(Tensor w, Tensor g, Map<String, Tensor> slots) {
        Backend be = Backends.current();
        int n = w.numel();
        Tensor wf = w.reshape(n), d = g.reshape(n);
        if (weightDecay != 0) d = be.binary(BinaryOp.ADD, d, be.unary(UnaryOp.MUL_SCALAR, wf, (float) weightDecay));
        if (momentum != 0) {
            boolean first = !hasSlot(slots, "momentum_buffer");
            Tensor b = first ? be.copy(d)
                    : be.binary(BinaryOp.ADD, be.unary(UnaryOp.MUL_SCALAR, slotTensor(slots, "momentum_buffer", n), (float) momentum),
                            be.unary(UnaryOp.MUL_SCALAR, d, (float) (1 - dampening)));
            slots.put("momentum_buffer", b);
            d = nesterov ? be.binary(BinaryOp.ADD, d, be.unary(UnaryOp.MUL_SCALAR, b, (float) momentum)) : b;
        }
        return be.binary(BinaryOp.SUB, wf, be.unary(UnaryOp.MUL_SCALAR, d, (float) lr()));
    }

    @Override
    protected int slotSize(String slot, int numel) {
        return slot.equals("momentum_buffer") && momentum != 0 ? numel : -1;
    }
}
