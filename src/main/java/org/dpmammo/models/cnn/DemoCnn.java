package org.dpmammo.models.cnn;

import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Sequential;
import org.dpmammo.util.Rng;

/**
 * The demo's classifier: three stride-2 convolutions with GroupNorm (per-example gradients exist, so DP can train
 * every parameter) and LeakyReLU on 32×32 gray patches, then one linear layer to two logits (index 0 malignant, 1
 * benign). Small enough to train every cell of a grid in seconds on two cores; its last module is the head.
 */
public final class DemoCnn {
    /** The input side in pixels. */
    public static final int SIZE = 32;

    private DemoCnn() {}

    public static Sequential build(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(
                new Conv2d(1, 16, 4, 2, 1, true, rng), new GroupNorm(4, 16), new LeakyReLU(0.2f),
                new Conv2d(16, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Conv2d(32, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Flatten(), new Linear(32 * 4 * 4, 2, rng));
    }
}
