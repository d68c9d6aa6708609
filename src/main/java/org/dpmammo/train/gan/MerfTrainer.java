package org.dpmammo.train.gan;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Labels;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.Adam;
import org.dpmammo.optim.SGD;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.TrainingRecords;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.BadInputException;
import org.dpmammo.util.Rng;

/**
 * DP-MERF (Harder, Adamczewski &amp; Park, AISTATS 2021): the only access to the real images is one Gaussian release of
 * a class-conditional random-feature mean embedding; a generator is then fitted to it without touching the data again
 * (post-processing). The generator is the GAN's ({@link Generator}), so {@code gan sample} reads its checkpoints.
 *
 * <p>The release. Each record (x, y) contributes v(x, y) = e_y ⊗ [a·φ(x), b] with φ the random Fourier features of
 * the Gaussian kernel ({@link RandomFourierFeatures}, ‖φ(x)‖ = 1) and a² + b² = 1: the class's block holds its
 * features and a count coordinate, and ‖v‖ = 1 for every record. Adding or removing a record moves the sum Σ v by
 * at most 1, so releasing Σ v + N(0, σ²I) is one Gaussian mechanism of sensitivity 1, σ calibrated to (ε, δ). It runs
 * through the one DP driver ({@link PrivateTraining}) as a single DP-SGD step at q = 1 on a linear model
 * w ↦ −w·v(x) whose per-example gradient is −v(x) (norm 1, so clipping at C = 1 leaves it, up to DpSgd's 1e-6
 * guard), with SGD at step size 1 from w = 0: afterwards w = (Σ v + noise)/N, exactly the release, reserved in the
 * ledger before it runs like any DP step. The per-class mean embedding is read off as μ̃_c = N·w_c,φ/(a·ñ_c) with
 * ñ_c = N·w_c,count/b.
 *
 * <p>The generator. Adam on Σ_c ‖μ̃_c − mean_{z} φ(G(z, c))‖² over batches of half benign, half malignant z; the
 * gradient with respect to G's output comes from {@link RandomFourierFeatures#backward}.
 */
public final class MerfTrainer {
    /** The record's share of its vector norm spent on the features (a²); the rest (b² = 1 − a²) on its class count. */
    public static final double FEATURE_SHARE = 0.9;
    /** The checkpoint kind (metadata "kind"); GAN training states are "gan". */
    public static final String KIND = "merf";
    public static final String EMBEDDING_FILE = "merf-embedding.safetensors";
    private static final long INIT_STREAM = 0x494E4954L, NOISE_STREAM = 0x4E4F4953L, FIXED_STREAM = 0x46495845L;
    private static final int GRID_PER_CLASS = 8;
    private static final Pattern CKPT = Pattern.compile("step_(\\d+)\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param features   D, the number of random features (half cosines, half sines)
     * @param bandwidth  ℓ of the Gaussian kernel on images in the model's range, flattened
     * @param steps      generator steps; {@code batchSize} generated images per step, Adam at {@code lr}
     * @param dp         the release's (ε, δ), accountant, randomness and ledger ({@code maxGradNorm} must be 1)
     */
    public record Options(GanConfig model, int features, double bandwidth, int steps, int batchSize, double lr, long seed, int checkpointEvery,
            GanTrainer.Dp dp) {
        public Options {
            if (features < 2 || features % 2 != 0) throw new IllegalArgumentException("the feature count must be even and at least 2, got " + features);
            if (!(bandwidth > 0) || Double.isInfinite(bandwidth)) throw new IllegalArgumentException("kernel bandwidth must be positive and finite, got " + bandwidth);
            if (steps < 1 || batchSize < 2 || checkpointEvery < 1) throw new IllegalArgumentException("steps and checkpoint interval must be positive, batch at least 2");
            if (!(lr > 0 && lr < 1)) throw new IllegalArgumentException("learning rate must be in (0, 1), got " + lr);
            if (dp == null) throw new IllegalArgumentException("DP-MERF is a DP generator: it needs the release's (ε, δ)");
            if (dp.maxGradNorm() != 1.0) throw new IllegalArgumentException("DP-MERF's sensitivity is fixed at 1 (‖v(x, y)‖ = 1); the clipping norm cannot be set");
        }

        RandomFourierFeatures featureMap() {
            return new RandomFourierFeatures(model.imageSize() * model.imageSize(), features, bandwidth, seed);
        }
    }

    /** The released per-class mean embeddings μ̃_c [D] and class counts ñ_c (the noisy ones). */
    public record Embedding(float[][] means, double[] counts) {}

    private MerfTrainer() {}

    /** The vector v(x, y) of every row of x [B, S·S] with label y, as rows of [B, 2(D + 1)]. */
    static float[] recordVectors(RandomFourierFeatures rff, Tensor x, int[] labels) {
        int b = labels.length, d = rff.features, width = GanConfig.CLASSES * (d + 1);
        float[] phi = rff.features(x), out = new float[b * width];
        float a = (float) Math.sqrt(FEATURE_SHARE), c = (float) Math.sqrt(1 - FEATURE_SHARE);
        for (int i = 0; i < b; i++) {
            int base = i * width + labels[i] * (d + 1);
            for (int j = 0; j < d; j++) out[base + j] = a * phi[i * d + j];
            out[base + d] = c;
        }
        return out;
    }

    /**
     * The one private access: plans σ for a single Gaussian release at (ε, δ), spends it in the ledger through
     * {@link PrivateTraining}, and returns w = (Σ v + noise)/N as a [2(D + 1)] vector.
     */
    static float[] release(Options o, RandomFourierFeatures rff, Dataset data, Path out, PrintStream log) throws IOException {
        GanTrainer.Dp d = o.dp();
        Accountant accountant = PrivacyPlanner.accountant(d.accountant());
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(data.size(), data.size(), 1, d.targetEpsilon(), d.delta(), accountant);
        plan.warnings().forEach(w -> log.println("accountant: " + w));
        int width = GanConfig.CLASSES * (o.features() + 1);
        Linear sum = new Linear(width, 1, false, new Rng(0));
        sum.weight.setValue(Tensor.zeros(1, width));
        Path ledger = d.ledger() != null ? d.ledger() : out.resolve("ledger.json");
        Pipeline plain = Pipeline.gan(o.model().imageSize(), false, o.model().realRange() == GanConfig.RealRange.SIGNED);
        try (PrivateTraining training = PrivateTraining.open(new PrivateTraining.Spec(null, "DP-MERF mean embedding", d.delta(), 1.0, d.accountant(),
                        d.randomness(), d.physicalBatch(), DpSgd.Clipping.FLAT, d.budget()),
                new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()), TrainingRecords.of(data), sum,
                new SGD(sum.trainableParameters(), 1.0), ledger, out, null, Double.POSITIVE_INFINITY, log);
             DataLoader loader = new DataLoader(data, plain, BatchSampler.shuffled(1, false), o.seed(), 1, false)) {
            if (!training.canStep(0)) {
                throw new IllegalStateException(ledger + " already records this run's release but " + out.resolve(EMBEDDING_FILE)
                        + " was not written (a crash): the spend stands; start a new --out");
            }
            log.printf("DP-MERF release: N %d, D %d features, ℓ %.4g, one Gaussian release of sensitivity 1, σ %.4f, δ %.3g, target ε %.3g (%s), %s randomness%n",
                    data.size(), o.features(), o.bandwidth(), plan.noiseMultiplier(), d.delta(), d.targetEpsilon(), accountant.name(), d.randomness().label());
            training.step(0, chunk -> {
                DataLoader.Batch bt = loader.batch(chunk, 0);
                int b = chunk.length, s = o.model().imageSize();
                Tensor v = Tensor.of(recordVectors(rff, bt.images().reshape(b, s * s), bt.labels()), b, width);
                return Ops.neg(Ops.reshape(sum.forward(Variable.constant(v)), b));
            });
            float[] w = sum.weight.value().toArray();
            Map<String, String> meta = new LinkedHashMap<>(settings(o, data));
            meta.put("dp", new ObjectMapper().writeValueAsString(training.summary(plan.epsilon().epsilon())));
            SafeTensors.write(out.resolve(EMBEDDING_FILE), Map.of("embedding", Tensor.of(w, width)), meta);
            log.println(training.describeSpent());
            return w;
        }
    }

    /** The per-class means and counts read off a released vector w (see the class comment). */
    static Embedding decode(float[] w, int features, int n) {
        float[][] means = new float[GanConfig.CLASSES][features];
        double[] counts = new double[GanConfig.CLASSES];
        double a = Math.sqrt(FEATURE_SHARE), b = Math.sqrt(1 - FEATURE_SHARE);
        for (int c = 0; c < GanConfig.CLASSES; c++) {
            int base = c * (features + 1);
            counts[c] = n * w[base + features] / b;
            // A class whose noisy count is below one would divide by noise: it is read as one record.
            double scale = n / (a * Math.max(1, counts[c]));
            for (int j = 0; j < features; j++) means[c][j] = (float) (scale * w[base + j]);
        }
        return new Embedding(means, counts);
    }

    /** Settings the released embedding is tied to (a resume must present the same). */
    private static Map<String, String> settings(Options o, Dataset data) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("features", Integer.toString(o.features()));
        m.put("bandwidth", Double.toString(o.bandwidth()));
        m.put("feature_seed", Long.toString(o.seed()));
        m.put("feature_share", Double.toString(FEATURE_SHARE));
        m.put("image_size", Integer.toString(o.model().imageSize()));
        m.put("real_range", o.model().realRange().name().toLowerCase());
        m.put("records", Integer.toString(data.size()));
        m.put("data_fingerprint", data.fingerprint());
        return m;
    }

    /**
     * Releases the embedding (or, resuming, reads the one this run folder already released: never a second
     * release), then fits the generator, checkpointing every K steps. Returns the generator.
     */
    public static Generator run(Options o, Dataset data, Path out, boolean resume, PrintStream log) throws IOException {
        RandomFourierFeatures rff = o.featureMap();
        Path embeddingFile = out.resolve(EMBEDDING_FILE), ckDir = out.resolve("checkpoints");
        Path last = lastCheckpoint(ckDir);
        if (!resume && (last != null || Files.exists(embeddingFile))) {
            throw new IllegalStateException(out + " already holds a DP-MERF release; pass --resume to continue it or choose another --out");
        }
        Files.createDirectories(ckDir);
        float[] w;
        Map<String, Object> dpSummary;
        if (Files.exists(embeddingFile)) {
            SafeTensors.Contents c = SafeTensors.read(embeddingFile);
            Map<String, String> want = settings(o, data);
            for (Map.Entry<String, String> e : want.entrySet()) {
                if (!e.getValue().equals(c.metadata().get(e.getKey()))) {
                    throw new IllegalStateException("--resume: " + embeddingFile + " was released with " + e.getKey() + " " + c.metadata().get(e.getKey())
                            + " but this run asks for " + e.getValue() + "; resume with the run's settings or start a new --out");
                }
            }
            w = c.tensors().get("embedding").toArray();
            dpSummary = JSON.readValue(c.metadata().get("dp"), Map.class);
            log.println("resuming: the embedding released in " + embeddingFile + " is reused (no new spend)");
        } else {
            w = release(o, rff, data, out, log);
            dpSummary = JSON.readValue(SafeTensors.read(embeddingFile).metadata().get("dp"), Map.class);
        }
        Embedding target = decode(w, o.features(), data.size());
        log.printf("released class counts (noisy): benign %.1f, malignant %.1f%n", target.counts()[Labels.BENIGN], target.counts()[Labels.MALIGNANT]);
        AtomicFiles.writeString(out.resolve("config.json"), JSON.writeValueAsString(config(o, data)));

        Generator g = new Generator(o.model(), new Rng(o.seed()).fork(INIT_STREAM));
        Adam opt = new Adam(g.trainableParameters(), o.lr(), 0.5, 0.999, 1e-8, 0);
        int done = 0;
        if (resume && last != null) {
            SafeTensors.Contents c = SafeTensors.read(last);
            requireKind(c.metadata(), last);
            g.loadStateDict(GanState.section(c.tensors(), "generator."), true);
            opt.loadState(GanState.section(c.tensors(), "optimizer_g."));
            done = Integer.parseInt(c.metadata().get("step"));
            log.printf("resuming from %s (step %d)%n", last, done);
        }
        List<String> rows = new ArrayList<>(RunFiles.rowsUpTo(out.resolve("losses.csv"), done));
        long t0 = System.nanoTime();
        double lossSum = 0;
        int lossCount = 0;
        for (int step = done + 1; step <= o.steps(); step++) {
            double loss = fitStep(g, opt, rff, target, o.batchSize(), new Rng(o.seed()).fork(NOISE_STREAM).fork(step));
            if (!Double.isFinite(loss)) throw new IllegalStateException("training stopped: non-finite loss at step " + step + "; last good checkpoint " + last);
            lossSum += loss;
            lossCount++;
            if (step % o.checkpointEvery() == 0 || step == o.steps()) {
                double seconds = (System.nanoTime() - t0) / 1e9;
                rows.add(String.format("%d,%.6g,%.2f", step, lossSum / lossCount, lossCount * o.batchSize() / seconds));
                log.printf("step %d/%d  MMD² to the released embedding %.5f  %.1f img/s%n", step, o.steps(), lossSum / lossCount, lossCount * o.batchSize() / seconds);
                lossSum = 0;
                lossCount = 0;
                t0 = System.nanoTime();
                last = checkpoint(g, opt, o, ckDir, step, last);
                AtomicFiles.writeString(out.resolve("losses.csv"), "step,mmd2,images_per_s\n" + String.join("\n", rows) + "\n");
            }
        }
        writeSamplesAndMetrics(g, o, out, last, dpSummary, target);
        return g;
    }

    /** One generator step; returns Σ_c ‖μ̃_c − mean φ(G(z, c))‖² before the step. */
    static double fitStep(Generator g, Adam opt, RandomFourierFeatures rff, Embedding target, int batch, Rng rng) {
        GanConfig cfg = g.config;
        int nz = cfg.latentSize(), s = cfg.imageSize(), d = rff.features;
        float[] z = new float[batch * nz];
        for (int i = 0; i < z.length; i++) z[i] = (float) rng.nextGaussian();
        int[] labels = GanSampler.labels("balanced", batch);
        g.train();
        Variable fake = g.forward(Variable.constant(Tensor.of(z, batch, nz, 1, 1)), labels);
        Tensor x = fake.value().reshape(batch, s * s);
        float[] phi = rff.features(x);
        double[][] diff = new double[GanConfig.CLASSES][d];
        int[] count = new int[GanConfig.CLASSES];
        for (int i = 0; i < batch; i++) {
            count[labels[i]]++;
            for (int j = 0; j < d; j++) diff[labels[i]][j] += phi[i * d + j];
        }
        double loss = 0;
        for (int c = 0; c < GanConfig.CLASSES; c++) {
            for (int j = 0; j < d; j++) {
                diff[c][j] = count[c] == 0 ? 0 : diff[c][j] / count[c] - target.means()[c][j];
                if (count[c] > 0) loss += diff[c][j] * diff[c][j];
            }
        }
        float[] r = new float[batch * d];
        for (int i = 0; i < batch; i++) {
            int c = labels[i];
            for (int j = 0; j < d; j++) r[i * d + j] = (float) (2 * diff[c][j] / count[c]);
        }
        opt.zeroGrad();
        fake.backward(rff.backward(x, r).reshape(batch, 1, s, s));
        opt.step();
        return loss;
    }

    private static Path checkpoint(Generator g, Adam opt, Options o, Path ckDir, int step, Path previous) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        java.util.Set<String> int64 = new LinkedHashSet<>();
        g.stateDict().forEach((k, v) -> tensors.put("generator." + k, v));
        for (String k : g.integerStateKeys()) int64.add("generator." + k);
        opt.state().forEach((k, v) -> tensors.put("optimizer_g." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", GanState.FORMAT);
        meta.put(GanState.KIND_KEY, KIND);
        meta.put("config", GanState.configJson(o.model()));
        meta.put("step", Integer.toString(step));
        meta.put("seed", Long.toString(o.seed()));
        Path ck = ckDir.resolve(String.format("step_%06d.safetensors", step));
        SafeTensors.write(ck, tensors, int64, meta);
        if (previous != null && !previous.equals(ck)) Files.deleteIfExists(previous);
        return ck;
    }

    /** Refuses a checkpoint of another kind (a GAN training state) with one line. */
    static void requireKind(Map<String, String> meta, Path file) throws BadInputException {
        String kind = meta.getOrDefault(GanState.KIND_KEY, GanState.KIND);
        if (!KIND.equals(kind)) throw new BadInputException(file + ": a " + kind + " checkpoint, not a DP-MERF generator; continue it with gan train --model " + kind);
    }

    private static void writeSamplesAndMetrics(Generator g, Options o, Path out, Path last, Map<String, Object> dp, Embedding target) throws IOException {
        int[] labels = new int[2 * GRID_PER_CLASS];
        for (int i = 0; i < labels.length; i++) labels[i] = i < GRID_PER_CLASS ? Labels.BENIGN : Labels.MALIGNANT;
        g.eval();
        List<GrayImage> grid = GanSampler.generate(g, labels, new Rng(o.seed()).fork(FIXED_STREAM), labels.length);
        double db = GanSampler.diversity(grid.subList(0, GRID_PER_CLASS)), dm = GanSampler.diversity(grid.subList(GRID_PER_CLASS, grid.size()));
        ImageIo.writePng(out.resolve("samples").resolve("final.png"), GanSampler.sheet(grid.subList(0, GRID_PER_CLASS), grid.subList(GRID_PER_CLASS, grid.size())));
        double threshold = 0.25 * GanTrainer.DP_REFERENCE_DIVERSITY;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", KIND);
        m.put("steps", o.steps());
        m.put("diversity", Map.of("benign", db, "malignant", dm));
        m.put("mode_collapse_flagged", db < threshold || dm < threshold);
        m.put("collapse_threshold", threshold);
        m.put("released_counts", Map.of("benign", target.counts()[Labels.BENIGN], "malignant", target.counts()[Labels.MALIGNANT]));
        m.put("dp", dp);
        m.put("last_checkpoint", last == null ? null : out.relativize(last).toString());
        AtomicFiles.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(m));
    }

    private static Map<String, Object> config(Options o, Dataset data) {
        Map<String, Object> m = GanState.modelConfig(o.model());
        m.put("generator", KIND);
        m.put("features", o.features());
        m.put("bandwidth", o.bandwidth());
        m.put("feature_share", FEATURE_SHARE);
        m.put("steps", o.steps());
        m.put("batch_size", o.batchSize());
        m.put("lr", o.lr());
        m.put("seed", o.seed());
        m.put("data", data.description());
        m.put("images", data.size());
        Map<String, Object> dp = new LinkedHashMap<>();
        dp.put("target_epsilon", o.dp().targetEpsilon());
        dp.put("delta", o.dp().delta());
        dp.put("accountant", o.dp().accountant());
        dp.put("randomness", o.dp().randomness().reproducibleMode() ? "reproducible" : "secure");
        m.put("dp", dp);
        return m;
    }

    /** The step checkpoint with the highest step in the folder, or null. */
    public static Path lastCheckpoint(Path dir) throws IOException {
        return RunFiles.highestNumbered(dir, CKPT);
    }
}
