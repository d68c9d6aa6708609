package org.dpmammo.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Pipeline;
import org.dpmammo.data.Transforms;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;

/**
 * Pooled backbone features of a frozen backbone (Swin or scattering): for every training example all 4 flip variants (0 none, 1 horizontal,
 * 2 vertical, 3 both) and for every validation example the unflipped image. Stored as safetensors (train [N, 4, F],
 * val [M, F]) under a name derived from the model, its weights and the data, so a resumed run reuses them.
 */
record FeatureCache(float[][][] train, float[][] val) {
    static final int VARIANTS = 4;

    /** The flip variant example i sees in an epoch: uniform over the 4, as two independent fair flips. */
    static int variant(long seed, int epoch, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 31)) >>> 62);
    }

    static FeatureCache loadOrCompute(Path file, ImageClassifier model, Dataset train, Dataset val, int batch, int threads,
                                      PrintStream log) throws IOException {
        int f = model.numFeatures();
        if (Files.exists(file)) {
            Map<String, Tensor> t = SafeTensors.read(file).tensors();
            log.println("features: reusing " + file);
            return new FeatureCache(unpack3(t.get("train"), train.size(), f), unpack2(t.get("val"), val.size(), f));
        }
        long t0 = System.nanoTime();
        float[][][] tr = new float[train.size()][VARIANTS][];
        int size = model.imageSize();
        for (int v = 0; v < VARIANTS; v++) {
            Pipeline p = new Pipeline(List.of(Transforms.randomFlipHorizontal((v & 1) != 0 ? 1 : 0),
                    Transforms.randomFlipVertical((v & 2) != 0 ? 1 : 0), Transforms.resizeStep(size, size),
                    Transforms.channelsStep(3), Transforms.signedStep()));
            float[][] rows = features(model, train, p, batch, threads);
            for (int i = 0; i < rows.length; i++) tr[i][v] = rows[i];
            log.printf("features: training variant %d of %d done (%.1f s)%n", v + 1, VARIANTS, (System.nanoTime() - t0) / 1e9);
        }
        float[][] va = features(model, val, Pipeline.classifier(size, false), batch, threads);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("train", pack3(tr, f));
        out.put("val", pack2(va, f));
        Files.createDirectories(file.getParent());
        SafeTensors.write(file, out, Map.of());
        log.printf("features: %d×%d training and %d validation vectors of %d in %.1f s, cached in %s%n", train.size(), VARIANTS,
                val.size(), f, (System.nanoTime() - t0) / 1e9, file);
        return new FeatureCache(tr, va);
    }

    /**
     * The training features as rows [N·4, F] — row 4i + v is example i under flip variant v — made the current
     * backend's own: on a GPU the cache is uploaded once and each DP chunk gathers its rows there.
     */
    Tensor trainRows() {
        int f = width();
        return Backends.current().upload(pack3(train, f).reshape(train.length * VARIANTS, f));
    }

    /** The validation features [M, F] on the current backend. */
    Tensor valRows() {
        return Backends.current().upload(pack2(val, width()));
    }

    private int width() {
        return train.length > 0 ? train[0][0].length : val.length > 0 ? val[0].length : 0;
    }

    private static float[][] features(ImageClassifier model, Dataset data, Pipeline p, int batch, int threads) throws IOException {
        boolean was = model.isTraining();
        model.eval();
        float[][] out = new float[data.size()][];
        try (DataLoader loader = new DataLoader(data, p, BatchSampler.sequential(batch), 0, threads, false); Scope s = Grad.noGrad()) {
            Iterator<DataLoader.Batch> it = loader.epoch(0);
            int at = 0;
            while (it.hasNext()) {
                DataLoader.Batch b = it.next();
                Tensor z = model.features(Variable.constant(b.images())).value().compact();
                int f = z.size(1);
                for (int i = 0; i < b.size(); i++) {
                    out[at + i] = new float[f];
                    System.arraycopy(z.data(), z.offset() + i * f, out[at + i], 0, f);
                }
                at += b.size();
            }
        } finally {
            model.train(was);
        }
        return out;
    }

    private static Tensor pack3(float[][][] a, int f) {
        float[] d = new float[a.length * VARIANTS * f];
        for (int i = 0; i < a.length; i++) for (int v = 0; v < VARIANTS; v++) System.arraycopy(a[i][v], 0, d, (i * VARIANTS + v) * f, f);
        return Tensor.of(d, a.length, VARIANTS, f);
    }

    private static Tensor pack2(float[][] a, int f) {
        float[] d = new float[a.length * f];
        for (int i = 0; i < a.length; i++) System.arraycopy(a[i], 0, d, i * f, f);
        return Tensor.of(d, a.length, f);
    }

    private static float[][][] unpack3(Tensor t, int n, int f) throws IOException {
        if (t == null || t.numel() != n * VARIANTS * f) throw new IOException("feature cache does not match the data; delete the cache folder");
        float[] d = t.toArray();
        float[][][] a = new float[n][VARIANTS][f];
        for (int i = 0; i < n; i++) for (int v = 0; v < VARIANTS; v++) System.arraycopy(d, (i * VARIANTS + v) * f, a[i][v], 0, f);
        return a;
    }

    private static float[][] unpack2(Tensor t, int n, int f) throws IOException {
        if (t == null || t.numel() != n * f) throw new IOException("feature cache does not match the data; delete the cache folder");
        float[] d = t.toArray();
        float[][] a = new float[n][f];
        for (int i = 0; i < n; i++) System.arraycopy(d, i * f, a[i], 0, f);
        return a;
    }
}
