package org.dpmammo.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.StateDictFiles;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/** A trained classifier read back from its checkpoint, with the validation threshold chosen when it was saved. */
public record Classifier(ImageClassifier model, ModelSpec spec, double threshold, Map<String, String> metadata) {
    public static final String THRESHOLD_KEY = "dpmammo.threshold";

    /** The architectures a plain state dict can be read as: torchvision's swin_t and the presets. */
    public static final List<String> ARCHITECTURES = List.of("swin_t", "paper", "cpu", "tiny", "vit");

    /** A file without the model description a dpmammo checkpoint carries: its architecture must be named. */
    public static final class NoModelDescription extends IOException {
        NoModelDescription(String message) {
            super(message);
        }
    }

    /** Loads a checkpoint written by the trainer; the model description and threshold come from its metadata. */
    public static Classifier load(Path checkpoint) throws IOException {
        StateDictFiles.StateDict c = StateDictFiles.read(checkpoint);
        String spec = c.metadata().get(ModelSpec.KEY);
        if (spec == null) {
            throw new NoModelDescription(checkpoint + ": not a dpmammo classifier checkpoint (no '" + ModelSpec.KEY + "' metadata)");
        }
        ModelSpec s = ModelSpec.fromJson(spec);
        ImageClassifier m = s.build(new Rng(0));
        m.loadStateDict(c.tensors(), true);
        m.eval();
        return new Classifier(m, s, threshold(checkpoint, c.metadata().get(THRESHOLD_KEY)), c.metadata());
    }

    /**
     * Loads a plain state dict with torchvision's names (safetensors, or a torch.save .pth such as a swin_t fine-tuned
     * in PyTorch) as the architecture {@code arch} names ({@link #ARCHITECTURES}; swin_t is the paper preset). The
     * head is read from the keys: torchvision's Linear {@code head.weight} or dpmammo's MLP {@code head.0/head.2};
     * it must have two outputs in the study's order, index 0 malignant and index 1 benign — a 1000-class ImageNet
     * head is refused (such weights initialise training, {@code --init-weights}, they cannot classify masses). The
     * load is strict. Without a validation threshold in the file, the decision threshold on P(malignant) is 0.5.
     * {@code benignFirst} reads a head whose output 0 is benign (torchvision's ImageFolder sorts folders named benign
     * and malignant that way) by swapping its two output rows into the study's order.
     */
    public static Classifier loadStateDict(Path file, String arch, boolean benignFirst) throws IOException {
        if (!ARCHITECTURES.contains(arch)) throw new IllegalArgumentException("unknown architecture '" + arch + "' (" + String.join(", ", ARCHITECTURES) + ")");
        StateDictFiles.StateDict sd = StateDictFiles.read(file);
        Map<String, Tensor> t = sd.tensors();
        SwinTransformer.Head head;
        Tensor last;
        if (t.containsKey("head.weight")) {
            head = SwinTransformer.Head.LINEAR;
            last = t.get("head.weight");
        } else if (t.containsKey("head.2.weight")) {
            head = SwinTransformer.Head.MLP;
            last = t.get("head.2.weight");
        } else {
            throw new StateDictFiles.FormatException(file + ": no classifier head (neither torchvision's head.weight nor head.0/head.2 of an MLP head)");
        }
        if (last.rank() != 2) throw new StateDictFiles.FormatException(file + ": head weight of shape " + Shape.str(last.shapeRef()) + " is not a matrix");
        int classes = last.shapeRef()[0];
        if (classes != 2) {
            throw new StateDictFiles.FormatException(file + ": the head has " + classes + " outputs" + (classes == 1000 ? " (ImageNet's)" : "")
                    + "; predicting needs a 2-class head (index 0 malignant, 1 benign): fine-tune first, e.g. classifier train --init-weights " + file);
        }
        if (benignFirst) {
            t = new java.util.LinkedHashMap<>(t);
            String prefix = head == SwinTransformer.Head.LINEAR ? "head." : "head.2.";
            for (String k : List.of(prefix + "weight", prefix + "bias")) {
                if (t.containsKey(k)) t.put(k, swapOutputs(t.get(k)));
            }
        }
        ModelSpec spec = new ModelSpec(ModelSpec.preset(arch.equals("swin_t") ? "paper" : arch), head, 2);
        ImageClassifier m = spec.build(new Rng(0));
        Module.LoadReport r = m.loadStateDict(t, false);
        if (!r.clean()) throw new StateDictFiles.FormatException(file + ": does not fit " + arch + ": " + summary(r));
        m.eval();
        return new Classifier(m, spec, threshold(file, sd.metadata().get(THRESHOLD_KEY)), sd.metadata());
    }

    /** The two output rows of a head weight [2, F] or bias [2], exchanged. */
    private static Tensor swapOutputs(Tensor t) {
        float[] v = t.toArray(), out = new float[v.length];
        int half = v.length / 2;
        System.arraycopy(v, half, out, 0, half);
        System.arraycopy(v, 0, out, half, half);
        return Tensor.of(out, t.shape());
    }

    /** True when the threshold was chosen on validation data (the trainer's checkpoints), false for the default 0.5. */
    public boolean thresholdFromValidation() {
        return metadata.containsKey(THRESHOLD_KEY);
    }

    /** A load report in one bounded line: counts, and the first few names of each kind. */
    private static String summary(Module.LoadReport r) {
        return part("missing", r.missing()) + "; " + part("unexpected", r.unexpected()) + "; " + part("mis-shaped", r.misShaped());
    }

    private static String part(String what, List<String> keys) {
        return keys.size() + " " + what + (keys.isEmpty() ? "" : " " + keys.subList(0, Math.min(3, keys.size())) + (keys.size() > 3 ? "…" : ""));
    }

    /**
     * The stored decision threshold, a malignancy probability in [0, 1] (0.5 where an older checkpoint has none). A
     * NaN or infinite one is refused: every comparison with NaN is false, so it called no image malignant.
     */
    private static double threshold(Path checkpoint, String text) throws IOException {
        if (text == null) return 0.5;
        double t;
        try {
            t = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            t = Double.NaN;
        }
        if (!(t >= 0 && t <= 1)) {
            throw new IOException(checkpoint + ": decision threshold '" + text + "' in the metadata (" + THRESHOLD_KEY
                    + ") is not a probability in [0, 1]");
        }
        return t;
    }

    /** P(benign) for every example, in dataset order, with the evaluation transform (no augmentation). */
    public double[] probabilities(Dataset data, int batch, int threads) throws IOException {
        return probabilities(model, data, batch, threads);
    }

    /** P(benign) for inputs already prepared as the evaluation transform makes them: [N, 3, size, size] in [−1, 1]. */
    public double[] probabilities(Tensor inputs) {
        int[] s = inputs.shapeRef();
        int size = model.imageSize();
        if (s.length != 4 || s[1] != 3 || s[2] != size || s[3] != size) {
            throw new IllegalArgumentException("inputs of shape " + Shape.str(s) + ": this classifier takes [N, 3, " + size + ", " + size + "]");
        }
        boolean was = model.isTraining();
        model.eval();
        try (Scope g = Grad.noGrad()) {
            Tensor z = model.forward(Variable.constant(inputs)).value();
            float[][] logits = new float[s[0]][];
            for (int i = 0; i < s[0]; i++) logits[i] = new float[] {z.get(i, 0), z.get(i, 1)};
            return benignProbabilities(logits);
        } finally {
            model.train(was);
        }
    }

    static double[] probabilities(ImageClassifier model, Dataset data, int batch, int threads) throws IOException {
        return benignProbabilities(logits(model, data, batch, threads));
    }

    /** Logits [N, 2] in eval mode with the evaluation transform. */
    static float[][] logits(ImageClassifier model, Dataset data, int batch, int threads) throws IOException {
        boolean was = model.isTraining();
        model.eval();
        float[][] out = new float[data.size()][];
        try (DataLoader loader = new DataLoader(data, Pipeline.classifier(model.imageSize(), false),
                BatchSampler.sequential(batch), 0, threads, false); Scope s = Grad.noGrad()) {
            var it = loader.epoch(0);
            int at = 0;
            while (it.hasNext()) {
                DataLoader.Batch b = it.next();
                Tensor z = model.forward(Variable.constant(b.images())).value();
                for (int i = 0; i < b.size(); i++) out[at + i] = new float[] {z.get(i, 0), z.get(i, 1)};
                at += b.size();
            }
        } finally {
            model.train(was);
        }
        return out;
    }

    /** softmax(z)[1] for two logits, computed stably in double. */
    static double[] benignProbabilities(float[][] logits) {
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp((double) logits[i][0] - logits[i][1]));
        return p;
    }

    /** Mean cross-entropy with label smoothing ε over two classes, as PyTorch's CrossEntropyLoss, from logits. */
    static double meanLoss(float[][] logits, int[] y, double smoothing) {
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            double a = logits[i][0], b = logits[i][1], m = Math.max(a, b);
            double lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
            double lpTrue = logits[i][y[i]] - lse, lpOther = logits[i][1 - y[i]] - lse;
            sum -= (1 - smoothing + smoothing / 2) * lpTrue + smoothing / 2 * lpOther;
        }
        return y.length == 0 ? Double.NaN : sum / y.length;
    }

    public static int[] labels(Dataset data) {
        int[] y = new int[data.size()];
        for (int i = 0; i < y.length; i++) y[i] = data.label(i);
        return y;
    }
}
