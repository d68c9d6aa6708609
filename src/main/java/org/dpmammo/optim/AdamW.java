package org.dpmammo.optim;

import java.util.List;
import org.dpmammo.nn.Parameter;

/**
 * Adam with decoupled weight decay, as PyTorch's AdamW: w ← w − lr·wd·w, then the Adam step on the raw gradient.
 * The study's classifier: lr 1e-5, weight decay 1e-8.
 */
public final class AdamW extends Adam {
    public AdamW(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01);
    }
}
