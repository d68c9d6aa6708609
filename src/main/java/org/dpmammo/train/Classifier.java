package org.dpmammo.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/** A trained classifier read back from its checkpoint, with the validation threshold chosen when it was saved. */
public record Classifier(SwinTransformer model, ModelSpec spec, double threshold, Map<String, String> metadata) {
    public static final String THRESHOLD_KEY = "dpmammo.threshold";

    /** Loads a checkpoint written by the trainer; the model description and threshold come from its metadata. */
    public static Classifier load(Path checkpoint) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(checkpoint);
        String spec = c.metadata().get(ModelSpec.KEY);
        if (spec == null) throw new IOException(checkpoint + ": not a dpmammo classifier checkpoint (no '" + ModelSpec.KEY + "' metadata)");
        ModelSpec s = ModelSpec.fromJson(spec);
        SwinTransformer m = s.build(new Rng(0));
        m.loadStateDict(c.tensors(), true);
        m.eval();
        return new Classifier(m, s, threshold(checkpoint, c.metadata().get(THRESHOLD_KEY)), c.metadata());
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

    static double[] probabilities(SwinTransformer model, Dataset data, int batch, int threads) throws IOException {
        return benignProbabilities(logits(model, data, batch, threads));
    }

    /** Logits [N, 2] in eval mode with the evaluation transform. */
    static float[][] logits(SwinTransformer model, Dataset data, int batch, int threads) throws IOException {
        boolean was = model.isTraining();
        model.eval();
        float[][] out = new float[data.size()][];
        try (DataLoader loader = new DataLoader(data, Pipeline.classifier(model.config.imageSize(), false),
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
