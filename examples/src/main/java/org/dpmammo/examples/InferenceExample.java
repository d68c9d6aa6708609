package org.dpmammo.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dpmammo.api.MassClassifier;

/**
 * Inference: loads a classifier checkpoint and classifies image files. A checkpoint of {@code dpmammo classifier
 * train} carries its architecture and threshold; a plain state dict (e.g. a torchvision swin_t fine-tuned in PyTorch,
 * {@code .pth} or safetensors) needs its architecture named with {@code --arch}.
 *
 * <p>usage: InferenceExample CHECKPOINT [--arch swin_t|cpu|tiny|vit] IMAGE_OR_FOLDER...
 */
public final class InferenceExample {
    private InferenceExample() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: InferenceExample CHECKPOINT [--arch NAME] IMAGE_OR_FOLDER...");
            System.exit(2);
        }
        Path checkpoint = Path.of(args[0]);
        int first = 1;
        MassClassifier classifier;
        if (args[1].equals("--arch") && args.length > 3) {
            classifier = MassClassifier.load(checkpoint, args[2], false);
            first = 3;
        } else {
            classifier = MassClassifier.load(checkpoint);
        }
        System.out.printf("%s: %d×%d input, malignant when P(malignant) ≥ %.3f (threshold from %s)%n", checkpoint, classifier.imageSize(),
                classifier.imageSize(), classifier.threshold(), classifier.thresholdSource());
        for (Path image : images(args, first)) {
            MassClassifier.Prediction p = classifier.classify(image);
            System.out.printf("%s: P(benign) %.4f, P(malignant) %.4f -> %s%n", image.getFileName(), p.pBenign(), p.pMalignant(), p.decision());
        }
    }

    /** The files named, with every PNG or PGM of a folder in name order. */
    private static List<Path> images(String[] args, int first) throws IOException {
        List<Path> out = new ArrayList<>();
        for (int i = first; i < args.length; i++) {
            Path p = Path.of(args[i]);
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> files = Files.list(p)) {
                files.filter(f -> f.toString().matches(".*\\.(png|pgm)$")).sorted().forEach(out::add);
            }
        }
        return out;
    }
}
