package org.dpmammo.models;

import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;

/**
 * A classifier of square images split as the study's training needs it: a backbone that maps an image batch
 * [N, 3, S, S] to pooled features [N, F], and a head (a child module named {@code head}) that maps features to
 * logits. The trainer caches the features of a frozen backbone and trains only the head on them.
 */
public abstract class ImageClassifier extends Module {
    /** The side S of the input images. */
    public abstract int imageSize();

    /** The width F of the pooled feature. */
    public abstract int numFeatures();

    /** The pooled features [N, F] of an image batch [N, 3, S, S]. */
    public abstract Variable features(Variable images);

    /** The head: features [N, F] → logits [N, K]. */
    public abstract Module head();

    /** Logits [N, K]. */
    @Override
    public Variable forward(Variable images) {
        return head().forward(features(images));
    }

    /** Freezes every parameter except the head's (the study's frozen-backbone variants). */
    public void freezeBackbone() {
        setFrozen(true);
        for (Parameter p : head().parameters()) p.setFrozen(false);
    }
}
