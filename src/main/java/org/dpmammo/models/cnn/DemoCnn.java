package org.dpmammo.models.cnn;

import java.util.List;
import java.util.function.Supplier;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.nn.Tanh;
import org.dpmammo.util.Rng;

/**
 * The demo's classifier: three stride-2 convolutions with GroupNorm (per-example gradients exist, so DP can train
 * every parameter) and LeakyReLU or tanh on 32×32 gray patches, then one linear layer to two logits (index 0
 * malignant, 1 benign). Small enough to train every cell of a grid in seconds on two cores; its last module is the head.
 *
 * <p>tanh is the tempered sigmoid with scale 2, inverse temperature 2 and offset 1 (Papernot et al., AAAI 2021):
 * bounded activations keep pre-clipping gradient norms small, so DP-SGD's clipping throws away less signal.
 */
public final class DemoCnn {
    /** The input side in pixels. */
    public static final int SIZE = 32;
    /** The activations {@link #build(long, String)} knows; the first is the default. */
    public static final List<String> ACTIVATIONS = List.of("leaky_relu", "tanh");

    private DemoCnn() {}

    public static Sequential build(long seed, String activation) {
        Supplier<Module> act = switch (activation) {
            case "leaky_relu" -> () -> new LeakyReLU(0.2f);
            case "tanh" -> Tanh::new;
            default -> throw new IllegalArgumentException("unknown CNN activation '" + activation + "' (expected " + String.join(" or ", ACTIVATIONS) + ")");
        };
        Rng rng = new Rng(seed);
        return new Sequential(
                new Conv2d(1, 16, 4, 2, 1, true, rng), new GroupNorm(4, 16), act.get(),
                new Conv2d(16, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), act.get(),
                new Conv2d(32, 32, 4, 2, 1, true, rng), new GroupNorm(8, 32), act.get(),
                new Flatten(), new Linear(32 * 4 * 4, 2, rng));
    }
}
