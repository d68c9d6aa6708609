package org.dpmammo.data;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.util.Rng;

/** A fixed sequence of {@link Transforms.Step}s from a decoded source image to a model input [C, H, W]. */
public record Pipeline(List<Transforms.Step> steps) {
    public Pipeline {
        steps = List.copyOf(steps);
    }

    /**
     * The study's classifier input (docs/STUDY.md §1.5): gray, resized to size × size, replicated to 3 channels, scaled to
     * [-1, 1]; with {@code augment}, horizontal and vertical flips with probability 0.5 first. Flipping and resizing
     * before replicating is the same image as the study's order, at a third of the work.
     */
    public static Pipeline classifier(int size, boolean augment) {
        return augment
                ? new Pipeline(List.of(Transforms.randomFlipHorizontal(0.5), Transforms.randomFlipVertical(0.5),
                        Transforms.resizeStep(size, size), Transforms.channelsStep(3), Transforms.signedStep()))
                : new Pipeline(List.of(Transforms.resizeStep(size, size), Transforms.channelsStep(3), Transforms.signedStep()));
    }

    /**
     * The GAN's real-image input (docs/STUDY.md §2.5): one channel at size × size; with {@code augment}, flips with
     * probability 0.5 and a light random resized crop (area 95–100 %, aspect 0.95–1.1). The study fed real images in
     * [0, 1] against a tanh generator; {@code signed} chooses [-1, 1] instead.
     */
    public static Pipeline gan(int size, boolean augment, boolean signed) {
        List<Transforms.Step> steps = new ArrayList<>();
        if (augment) {
            steps.add(Transforms.randomFlipHorizontal(0.5));
            steps.add(Transforms.randomFlipVertical(0.5));
            steps.add(Transforms.randomResizedCropStep(size, size, 0.95, 1.0, 0.95, 1.1));
        } else {
            steps.add(Transforms.resizeStep(size, size));
        }
        if (signed) steps.add(Transforms.signedStep());
        return new Pipeline(steps);
    }

    public FloatImage apply(GrayImage source, Rng rng) {
        FloatImage x = source.toUnit();
        for (Transforms.Step s : steps) x = s.apply(x, rng);
        return x;
    }

    /** The output [C, H, W] for a source of height × width. */
    public int[] outShape(int height, int width) {
        int[] chw = {1, height, width};
        for (Transforms.Step s : steps) chw = s.outShape(chw);
        return chw;
    }
}
