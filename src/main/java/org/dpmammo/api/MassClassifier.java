package org.dpmammo.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Pipeline;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.Classifier;
import org.dpmammo.util.Rng;

/**
 * A trained mass classifier: P(benign), P(malignant) and the decision for mammography patches. It computes what
 * {@code dpmammo classifier predict} writes, through the same classes.
 *
 * <p>Two kinds of file load: a checkpoint written by {@code dpmammo classifier train} ({@link #load(Path)}: the
 * architecture and the malignancy threshold chosen on validation come from its metadata), or a plain state dict with
 * torchvision's names — safetensors or a {@code torch.save} {@code .pth}, read by a restricted unpickler that never
 * runs anything in the file — for a named architecture ({@link #load(Path, String, boolean)}: {@code swin_t}, or a
 * dpmammo preset {@code cpu}, {@code tiny}, {@code vit}); such a file has no threshold, so 0.5 is used and
 * {@link #thresholdSource()} says so. Images are prepared as in training: gray, resized to {@link #imageSize()},
 * repeated to 3 channels, scaled to [−1, 1]. Loading and classifying read only the files given and write nothing.
 *
 * <p>Not thread-safe: one instance per thread (the model caches activations while it runs).
 */
public final class MassClassifier {
    /**
     * One image's result.
     *
     * @param pBenign P(benign) = softmax(logits)[benign]
     * @param pMalignant 1 − pBenign
     * @param malignant the decision: pMalignant ≥ threshold
     * @param threshold the threshold on P(malignant) the decision used
     */
    public record Prediction(double pBenign, double pMalignant, boolean malignant, double threshold) {
        /** "malignant" or "benign". */
        public String decision() {
            return malignant ? "malignant" : "benign";
        }
    }

    private final Classifier classifier;

    private MassClassifier(Classifier classifier) {
        this.classifier = classifier;
    }

    /**
     * Loads a checkpoint written by {@code dpmammo classifier train} (or the experiment's Swin cells).
     *
     * @throws IOException if the file is unreadable, malformed, or not a dpmammo classifier checkpoint (the message
     *     says to name the architecture for a plain state dict)
     */
    public static MassClassifier load(Path checkpoint) throws IOException {
        try {
            return new MassClassifier(Classifier.load(checkpoint));
        } catch (Classifier.NoModelDescription e) {
            throw new IOException(e.getMessage() + "; for a plain state dict use load(file, arch, benignFirst) with arch one of "
                    + String.join(", ", Classifier.ARCHITECTURES), e);
        }
    }

    /**
     * Loads a plain state dict (torchvision's names; safetensors or {@code .pth}) as architecture {@code arch}
     * ({@code swin_t}, {@code paper}, {@code cpu}, {@code tiny} or {@code vit}). Its head must have two outputs,
     * index 0 malignant and 1 benign, or the other way round with {@code benignFirst} (what torchvision's ImageFolder
     * gives folders named benign and malignant). The load is strict.
     *
     * @throws IOException if the file is unreadable or malformed, or does not fit the architecture (named)
     * @throws IllegalArgumentException for an unknown architecture
     */
    public static MassClassifier load(Path stateDict, String arch, boolean benignFirst) throws IOException {
        return new MassClassifier(Classifier.loadStateDict(stateDict, arch, benignFirst));
    }

    /** The side of the square input the model takes (224 for swin_t). */
    public int imageSize() {
        return classifier.model().imageSize();
    }

    /** The decision threshold on P(malignant). */
    public double threshold() {
        return classifier.threshold();
    }

    /** {@code "validation"} when the threshold was chosen on validation data at training time, {@code "default"} (0.5) otherwise. */
    public String thresholdSource() {
        return classifier.thresholdFromValidation() ? "validation" : "default";
    }

    /** Classifies one PNG or PGM image file. */
    public Prediction classify(Path image) throws IOException {
        return classify(ImageIo.read(image));
    }

    /** Classifies one decoded gray image. */
    public Prediction classify(GrayImage image) {
        return classify(prepare(image)).get(0);
    }

    /** Classifies every image of a dataset ({@code Datasets.open(folder)}), in its order. */
    public List<Prediction> classify(Dataset data) throws IOException {
        return predictions(classifier.probabilities(data, 16, 2));
    }

    /**
     * Classifies inputs already prepared: [N, 3, {@link #imageSize()}, {@link #imageSize()}] in [−1, 1] (what
     * {@link #prepare} gives, stacked).
     *
     * @throws IllegalArgumentException for another shape (named)
     */
    public List<Prediction> classify(Tensor inputs) {
        return predictions(classifier.probabilities(inputs));
    }

    /** The model input for one image, [1, 3, size, size], exactly as the training pipeline evaluates it. */
    public Tensor prepare(GrayImage image) {
        int s = imageSize();
        return Tensor.of(Pipeline.classifier(s, false).apply(image, new Rng(0)).data(), 1, 3, s, s);
    }

    private List<Prediction> predictions(double[] pBenign) {
        double t = threshold();
        List<Prediction> out = new ArrayList<>(pBenign.length);
        for (double p : pBenign) out.add(new Prediction(p, 1 - p, 1 - p >= t, t));
        return out;
    }
}
