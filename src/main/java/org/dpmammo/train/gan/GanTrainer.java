package org.dpmammo.train.gan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.ChunkPlan;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Labels;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.BuildInfo;
import org.dpmammo.util.Rng;

/**
 * The study's GAN training loop over a labelled dataset, writing a run folder:
 * <pre>
 *   config.json, provenance.json       settings as resolved; version, machine, seed, data fingerprint
 *   losses.csv, loss_curve.png         per-epoch means of both losses and of D's outputs, images/s, sample diversity
 *   samples/epoch_NNNN.png             a fixed-noise grid (benign rows above the white band) every K epochs
 *   checkpoints/epoch_NNNN.safetensors full state (GanState) every K epochs and at the end
 *   metrics.json                       the last epoch's numbers and whether collapse was flagged
 * </pre>
 * Every file is written atomically. Random draws come from streams of (seed, epoch) (data order, augmentation, z,
 * fake labels, label smoothing), so a run resumed from an epoch-N checkpoint continues bit for bit as the
 * uninterrupted run would.
 */
public final class GanTrainer {
    /**
     * Training settings; the study's are batch 8, Adam 1e-4 (0.5, 0.999), augmentation on, one D step per G step, no
     * EMA. Mode collapse is flagged when a class's fixed-noise sample diversity falls below {@code collapseFraction}
     * of the real images' diversity of that class (under DP, of {@link #DP_REFERENCE_DIVERSITY}: the real set's
     * diversity is private). {@code dp} is null for the study's non-private training. {@code dSteps}: D steps per G
     * step (Bie, Kamath &amp; Zhang 2023: under DP the noise on each D step, not the number of G steps, is the
     * bottleneck); every D step is a batch (under DP a DP step, planned and spent). {@code emaDecay}: 0 for none, else
     * samples and checkpoints' sampling generator are an exponential moving average of G's weights.
     * {@code beta1D}: D's Adam β₁ (G keeps {@code beta1}).
     */
    public record Options(GanConfig model, int epochs, int batchSize, double lr, double beta1, double beta2, long seed,
            boolean augment, int checkpointEvery, double collapseFraction, int dataThreads, Dp dp, int dSteps, double emaDecay, double beta1D) {
        public Options {
            if (epochs < 1 || batchSize < 1 || checkpointEvery < 1 || dataThreads < 1 || dSteps < 1) {
                throw new IllegalArgumentException("epochs, batch size, checkpoint interval, data threads and D steps must be positive");
            }
            if (!(collapseFraction >= 0 && collapseFraction < 1)) throw new IllegalArgumentException("collapse fraction must be in [0, 1), got " + collapseFraction);
            if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + emaDecay);
            if (!(beta1D >= 0 && beta1D < 1)) throw new IllegalArgumentException("D's β₁ must be in [0, 1), got " + beta1D);
        }

        /** One D step per G step, no EMA, D's β₁ as G's: the study's loop. */
        public Options(GanConfig model, int epochs, int batchSize, double lr, double beta1, double beta2, long seed,
                boolean augment, int checkpointEvery, double collapseFraction, int dataThreads, Dp dp) {
            this(model, epochs, batchSize, lr, beta1, beta2, seed, augment, checkpointEvery, collapseFraction, dataThreads, dp, 1, 0, beta1);
        }

        public static Options study(GanConfig model, int epochs, long seed) {
            return new Options(model, epochs, 8, 1e-4, 0.5, 0.999, seed, true, 10, 0.25, 1, null);
        }

        /**
         * A preset's training settings: the study's for "paper"; batch 16 and Adam 2e-4 for "cpu", whose wider
         * batch costs nothing per image on a CPU and whose step size DCGAN practice uses (docs/GAN.md).
         */
        public static Options preset(String name, GanConfig model, int epochs, long seed) {
            Options study = study(model, epochs, seed);
            if (!name.equalsIgnoreCase("cpu")) return study;
            return new Options(model, epochs, 16, 2e-4, study.beta1, study.beta2, seed, study.augment, study.checkpointEvery, study.collapseFraction,
                    study.dataThreads, null);
        }

        public Options withDp(Dp dp) {
            return new Options(model, epochs, batchSize, lr, beta1, beta2, seed, augment, checkpointEvery, collapseFraction, dataThreads, dp, dSteps, emaDecay, beta1D);
        }

        /** The same settings with D steps per G step, EMA decay and D's β₁ replaced. */
        public Options withStabilisers(int dSteps, double emaDecay, double beta1D) {
            return new Options(model, epochs, batchSize, lr, beta1, beta2, seed, augment, checkpointEvery, collapseFraction, dataThreads, dp, dSteps, emaDecay, beta1D);
        }
    }

    /**
     * DP-SGD on the discriminator, the only network that reads real images: σ is calibrated so that all planned
     * steps (Poisson batches of expected size about the batch size) stay within (ε, δ) under the accountant.
     * Randomness is secure unless {@code randomness} is reproducible (tests, research); {@code ledger} null means the run
     * folder's ledger.json; {@code budget} refuses a run that would take a record past it (+∞: none);
     * {@code logPrivateStats} also writes D's statistics on real images (loss_D, D(x)), which are not private.
     */
    public record Dp(double targetEpsilon, double delta, double maxGradNorm, String accountant, Randomness randomness, int physicalBatch,
            Path ledger, double budget, boolean logPrivateStats) {
        public Dp(double targetEpsilon, double delta, double maxGradNorm, String accountant, Randomness randomness, int physicalBatch) {
            this(targetEpsilon, delta, maxGradNorm, accountant, randomness, physicalBatch, null, Double.POSITIVE_INFINITY, false);
        }

        public Dp {
            if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) throw new IllegalArgumentException("target ε must be positive and finite, got " + targetEpsilon);
            if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("δ must be in (0, 1), got " + delta);
            if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) throw new IllegalArgumentException("clipping norm C must be positive and finite, got " + maxGradNorm);
            PrivacyPlanner.accountant(accountant);
            if (physicalBatch < 1) throw new IllegalArgumentException("physical batch must be positive, got " + physicalBatch);
            if (randomness == null) throw new IllegalArgumentException("DP needs its randomness mode");
        }
    }

    /**
     * The diversity (mean pairwise RMS distance, levels in [0, 1]) collapse is measured against under DP, where the
     * real images' own diversity may not be looked at: a typical value for mammography mass patches.
     */
    public static final double DP_REFERENCE_DIVERSITY = 0.12;

    private static final long NOISE_STREAM = 0x4E4F4953L, FIXED_STREAM = 0x46495845L;
    private static final int GRID_PER_CLASS = 8;
    private static final Pattern CKPT = Pattern.compile("epoch_(\\d+)\\.safetensors");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String CSV_HEADER = "epoch,steps,loss_d,loss_g,d_real,d_fake,d_fake_after,images_per_s,diversity_benign,diversity_malignant,epsilon";

    private GanTrainer() {}

    /** Trains into out (resuming from its last checkpoint if asked) and returns the final state. */
    public static GanState run(Options o, Dataset data, Path out, boolean resume, PrintStream log) throws IOException {
        return run(o, new GanState(o.model(), o.seed(), o.lr(), o.beta1(), o.beta2(), o.beta1D(), o.emaDecay()), data, out, resume, log);
    }

    /** Trains a given fresh state (tests start from a damaged one to check the non-finite stop). */
    static GanState run(Options o, GanState state, Dataset data, Path out, boolean resume, PrintStream log) throws IOException {
        if (data.size() < o.batchSize()) throw new IllegalArgumentException("dataset has " + data.size() + " images, fewer than one batch of " + o.batchSize());
        Run run = new Run(o, state, data, out, log);
        run.open(resume);
        try (PrivateDiscriminator dp = run.dp;
             DataLoader loader = new DataLoader(data, run.pipeline(), BatchSampler.shuffled(o.batchSize(), true), o.seed(), o.dataThreads(), true)) {
            for (int epoch = state.epoch() + 1; epoch <= o.epochs(); epoch++) {
                EpochMeans means = run.trainEpoch(loader, epoch);
                run.endEpoch(epoch, means);
                if (run.budgetReached) {
                    log.println("DP: the privacy budget is reached (steps were lost to a crash); training stops after epoch " + epoch);
                    break;
                }
            }
        }
        run.writeMetrics();
        return state;
    }

    /** An epoch's step count, images, wall time and the means of loss_D, loss_G, D(x), D(G(z)), D(G(z)) after D's step. */
    private record EpochMeans(int steps, long images, double seconds, double[] means) {}

    /** One training run's state between its phases: resume, epochs, checkpoints, the final metrics. */
    private static final class Run {
        final Options o;
        final GanState state;
        final Dataset data;
        final Path out, ckDir;
        final PrintStream log;
        final List<String> rows = new ArrayList<>();
        final Map<String, String> ckMeta = new LinkedHashMap<>();
        final int[] fixedLabels = new int[2 * GRID_PER_CLASS];
        PrivateDiscriminator dp;
        Path last;
        int stepsPerEpoch;
        /** D's statistics on real images are not post-processing of the DP model: under DP only on request. */
        boolean privateStats;
        double[] collapseBelow;
        boolean collapsed, budgetReached;
        double[] lastMeans;
        double epsilon;

        Run(Options o, GanState state, Dataset data, Path out, PrintStream log) {
            this.o = o;
            this.state = state;
            this.data = data;
            this.out = out;
            this.ckDir = out.resolve("checkpoints");
            this.log = log;
            for (int i = 0; i < fixedLabels.length; i++) fixedLabels[i] = i < GRID_PER_CLASS ? Labels.BENIGN : Labels.MALIGNANT;
        }

        /** Checks and loads the checkpoint being resumed, opens the DP side, writes config and provenance. */
        void open(boolean resume) throws IOException {
            last = lastCheckpoint(ckDir);
            if (last != null && !resume) throw new IllegalStateException(out + " already holds checkpoints; pass --resume to continue it or choose another --out");
            if (resume && last != null) {
                if (o.dp() == null) PrivateDiscriminator.refuseDpCheckpoint(last);
                refuseChangedSettings(out.resolve("config.json"), config(o, data));
                state.load(last);
                rows.addAll(RunFiles.rowsUpTo(out.resolve("losses.csv"), state.epoch()));
                log.printf("resuming from %s (epoch %d)%n", last, state.epoch());
            } else if (resume) {
                log.println("nothing to resume in " + out + "; starting a new run");
            }
            dp = o.dp() == null ? null : PrivateDiscriminator.open(o, state, data, out, resume ? last : null, log);
            Files.createDirectories(ckDir);
            Map<String, Object> provenance = provenance(o, data);
            AtomicFiles.writeString(out.resolve("config.json"), JSON.writeValueAsString(config(o, data)));
            AtomicFiles.writeString(out.resolve("provenance.json"), JSON.writeValueAsString(provenance));
            ckMeta.put("provenance", new ObjectMapper().writeValueAsString(provenance));
            stepsPerEpoch = dp == null ? data.size() / o.batchSize() : dp.plan.stepsPerEpoch();
            privateStats = dp == null || o.dp().logPrivateStats();
            collapseBelow = collapseThresholds(o, data);
            epsilon = dp == null ? Double.POSITIVE_INFINITY : dp.training.spent().epsilon();
        }

        Pipeline pipeline() {
            return Pipeline.gan(o.model().imageSize(), o.augment(), o.model().realRange() == GanConfig.RealRange.SIGNED);
        }

        /** The epoch's steps: shuffled batches, or Poisson batches through DP-SGD until the epoch or the budget ends. */
        EpochMeans trainEpoch(DataLoader loader, int epoch) throws IOException {
            Rng rng = new Rng(o.seed()).fork(NOISE_STREAM).fork(epoch);
            double[] sum = new double[5];
            int[] count = new int[5];
            int steps = 0;
            long t0 = System.nanoTime(), lastLog = t0, images = 0;
            Iterator<DataLoader.Batch> it = dp == null ? loader.epoch(epoch) : null;
            ChunkPlan plan = new ChunkPlan();
            while (dp == null ? it.hasNext() : steps < stepsPerEpoch) {
                long step = (long) (epoch - 1) * stepsPerEpoch + steps;
                // G steps after every dSteps-th D step, counted over the whole run, so a resume keeps the rhythm.
                boolean stepG = (step + 1) % o.dSteps() == 0;
                if (dp != null && !dp.training.canStep(step)) {
                    budgetReached = true;
                    break;
                }
                GanStep.Result r;
                try {
                    if (dp == null) {
                        DataLoader.Batch batch = it.next();
                        r = GanStep.run(state, batch.images(), batch.labels(), rng, stepG);
                        images += batch.size();
                    } else {
                        int[] batch = dp.training.batch(step);
                        // The augmentation stream is keyed by the step, so every step augments afresh. This step's
                        // chunks and the next one's are planned, so each is decoded while the one before computes.
                        plan.clear();
                        plan.add(batch, o.dp().physicalBatch(), (int) step);
                        if (steps + 1 < stepsPerEpoch) plan.add(dp.training.batch(step + 1), o.dp().physicalBatch(), (int) step + 1);
                        r = GanStep.runDp(state, dp.training.dpSgd(), step, batch, idx -> loader.batch(idx, (int) step, plan.after(idx)), o.batchSize(),
                                rng, stepG);
                        images += batch.length;
                    }
                } catch (ArithmeticException e) {
                    throw nonFinite(epoch, steps + 1, e.getMessage(), last);
                }
                if (!r.finite()) throw nonFinite(epoch, steps + 1, "loss_D " + r.lossD() + ", loss_G " + r.lossG(), last);
                double[] v = {r.lossD(), r.lossG(), r.dReal(), r.dFake(), r.dFakeAfter()};
                // D(x) is undefined for an empty Poisson batch; every mean is over the steps that define it.
                for (int k = 0; k < 5; k++) {
                    if (Double.isNaN(v[k])) continue;
                    sum[k] += v[k];
                    count[k]++;
                }
                steps++;
                long now = System.nanoTime();
                if (now - lastLog > 10_000_000_000L || steps == stepsPerEpoch) {
                    lastLog = now;
                    log.printf("epoch %d/%d D step %d/%d %s loss_G %.4f  D(G(z)) %.3f  %.1f img/s%n", epoch, o.epochs(), steps, stepsPerEpoch,
                            privateStats ? String.format(" loss_D %.4f  D(x) %.3f ", sum[0] / count[0], sum[2] / count[2]) : "",
                            sum[1] / count[1], sum[3] / count[3], images / ((now - t0) / 1e9));
                }
            }
            double[] means = new double[5];
            for (int k = 0; k < 5; k++) means[k] = sum[k] / count[k];
            return new EpochMeans(steps, images, (System.nanoTime() - t0) / 1e9, means);
        }

        /** ε so far, the fixed-noise grid and checkpoint (every K epochs; every epoch under DP), the losses row and plot. */
        void endEpoch(int epoch, EpochMeans m) throws IOException {
            state.setEpoch(epoch);
            lastMeans = m.means();
            if (dp != null) {
                epsilon = dp.training.spent().epsilon();
                log.printf("epoch %d: ε spent %.4f of %.4g (δ %.3g, %s)%s%n", epoch, epsilon, o.dp().targetEpsilon(), o.dp().delta(), o.dp().accountant(),
                        dp.training.randomness().epsilonMark());
            }
            boolean kept = epoch % o.checkpointEvery() == 0 || epoch == o.epochs() || budgetReached;
            // Under DP every epoch is checkpointed: steps a crash loses stay spent, so at most one epoch's may be lost.
            String divB = "", divM = "";
            if (kept || dp != null) {
                List<GrayImage> grid = fixedSamples(state, fixedLabels, o.seed());
                double db = GanSampler.diversity(grid.subList(0, GRID_PER_CLASS)), dm = GanSampler.diversity(grid.subList(GRID_PER_CLASS, grid.size()));
                divB = String.format("%.5f", db);
                divM = String.format("%.5f", dm);
                if (db < collapseBelow[Labels.BENIGN] || dm < collapseBelow[Labels.MALIGNANT]) {
                    collapsed = true;
                    log.printf("warning: possible mode collapse at epoch %d: fixed-noise diversity benign %.4f (threshold %.4f), malignant %.4f (threshold %.4f)%n",
                            epoch, db, collapseBelow[Labels.BENIGN], dm, collapseBelow[Labels.MALIGNANT]);
                }
                ImageIo.writePng(out.resolve("samples").resolve(String.format("epoch_%04d.png", epoch)),
                        GanSampler.sheet(grid.subList(0, GRID_PER_CLASS), grid.subList(GRID_PER_CLASS, grid.size())));
                checkpoint(epoch);
            }
            double[] v = m.means();
            rows.add(String.format("%d,%d,%s,%.6f,%s,%.6f,%.6f,%.2f,%s,%s,%s", epoch, m.steps(), privateStats ? String.format("%.6f", v[0]) : "",
                    v[1], privateStats ? String.format("%.6f", v[2]) : "", v[3], v[4], m.images() / m.seconds(), divB, divM,
                    dp == null ? "" : String.format("%.6f", epsilon)));
            writeLosses(out, rows, privateStats);
        }

        private void checkpoint(int epoch) throws IOException {
            Path ck = ckDir.resolve(String.format("epoch_%04d.safetensors", epoch));
            Map<String, String> meta = new LinkedHashMap<>(ckMeta);
            if (dp != null) {
                meta.putAll(dp.training.checkpointMetadata((long) epoch * stepsPerEpoch));
                meta.put("dpmammo.epsilon", Double.toString(epsilon));
            }
            state.save(ck, meta);
            if (last != null && !isKept(last, o)) Files.deleteIfExists(last);
            last = ck;
        }

        /** metrics.json: the last epoch's means (D's on real images only where allowed), collapse, the DP spend. */
        void writeMetrics() throws IOException {
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("epochs", state.epoch());
            if (lastMeans != null) {
                if (privateStats) metrics.put("loss_d", lastMeans[0]);
                metrics.put("loss_g", lastMeans[1]);
                if (privateStats) metrics.put("d_real", lastMeans[2]);
                metrics.put("d_fake", lastMeans[3]);
            }
            metrics.put("mode_collapse_flagged", collapsed);
            metrics.put("collapse_thresholds", Map.of("benign", collapseBelow[Labels.BENIGN], "malignant", collapseBelow[Labels.MALIGNANT]));
            if (dp != null) {
                metrics.put("dp", dp.training.summary(dp.plan.epsilon().epsilon()));
                log.println(dp.training.describeSpent());
            }
            metrics.put("last_checkpoint", last == null ? null : out.relativize(last).toString());
            AtomicFiles.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(metrics));
        }
    }

    /**
     * The diversity below which each class counts as collapsed: a fraction of the diversity of that class's first
     * GRID_PER_CLASS real images (unaugmented, at the model's size), the number the fixed-noise grid has. Under DP
     * the real images may not be looked at outside DP-SGD, so the fraction applies to a fixed reference instead.
     */
    private static double[] collapseThresholds(Options o, Dataset data) throws IOException {
        double[] out = new double[2];
        if (o.dp() != null) {
            java.util.Arrays.fill(out, o.collapseFraction() * DP_REFERENCE_DIVERSITY);
            return out;
        }
        Pipeline plain = Pipeline.gan(o.model().imageSize(), false, false);
        for (int label : new int[] {Labels.BENIGN, Labels.MALIGNANT}) {
            List<GrayImage> real = new ArrayList<>();
            for (int i = 0; i < data.size() && real.size() < GRID_PER_CLASS; i++) {
                if (data.label(i) != label) continue;
                org.dpmammo.data.FloatImage x = plain.apply(data.image(i), new Rng(0));
                real.add(GrayImage.fromUnit(x.data(), o.model().imageSize(), o.model().imageSize()));
            }
            double d = GanSampler.diversity(real);
            out[label] = Double.isNaN(d) ? 0 : o.collapseFraction() * d;
        }
        return out;
    }

    /** The fixed-noise grid: the same z and labels every time, so grids of successive epochs compare. */
    private static List<GrayImage> fixedSamples(GanState s, int[] labels, long seed) {
        s.generator.eval();
        try {
            return GanSampler.generate(s.sampler(), labels, new Rng(seed).fork(FIXED_STREAM), labels.length);
        } finally {
            s.generator.train();
        }
    }

    private static IllegalStateException nonFinite(int epoch, int step, String what, Path last) {
        return new IllegalStateException("training stopped: non-finite value at epoch " + epoch + ", step " + step + " (" + what + "); "
                + (last == null ? "no checkpoint was written yet" : "last good checkpoint " + last));
    }

    /** The checkpoint with the highest epoch in the folder, or null. */
    public static Path lastCheckpoint(Path dir) throws IOException {
        return RunFiles.highestNumbered(dir, CKPT);
    }

    /**
     * losses.csv and its plot. Without the private statistics (DP), loss_D and D(x) columns stay empty and the plot
     * shows loss_G only: it is a function of D (released) and of generated images, so post-processing.
     */
    private static void writeLosses(Path out, List<String> rows, boolean privateStats) throws IOException {
        String marked = privateStats ? "" : "# loss_d and d_real are statistics of private records and are left out under DP (--log-private-stats writes them)\n";
        AtomicFiles.writeString(out.resolve("losses.csv"), marked + CSV_HEADER + "\n" + String.join("\n", rows) + "\n");
        double[] d = new double[rows.size()], g = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i).split(",", -1);
            d[i] = f[2].isEmpty() ? Double.NaN : Double.parseDouble(f[2]);
            g[i] = Double.parseDouble(f[3]);
        }
        if (privateStats) {
            LossPlot.write(out.resolve("loss_curve.png"), "GAN losses (epoch means)", List.of("loss_D", "loss_G"), List.of(d, g),
                    List.of(new Color(200, 40, 40), new Color(30, 90, 200)));
        } else {
            LossPlot.write(out.resolve("loss_curve.png"), "generator loss (epoch means)", List.of("loss_G"), List.of(g), List.of(new Color(30, 90, 200)));
        }
    }

    /** Whether a checkpoint is one of the every-K-epochs ones (kept) rather than a DP run's latest (replaced). */
    private static boolean isKept(Path checkpoint, Options o) {
        Matcher m = CKPT.matcher(checkpoint.getFileName().toString());
        return !m.matches() || Integer.parseInt(m.group(1)) % o.checkpointEvery() == 0;
    }

    /** Settings a resumed run must share with the run it continues; epochs, checkpoint interval and data path may change. */
    private static final List<String> RESUME_INVARIANTS = List.of("image_size", "latent_size", "ngf", "ndf", "embedding_size", "norm_g", "norm_d",
            "real_range", "upsampling", "batch_size", "lr", "betas", "label_smoothing", "augment", "seed", "d_steps", "ema_decay", "beta1_d");

    /**
     * A resume with another batch size, learning rate or seed would run on silently while config.json, rewritten
     * with the new values, claimed them for the whole run: stop instead, naming the first setting that changed.
     * Keys an older run's config.json lacks are not compared.
     */
    static void refuseChangedSettings(Path configFile, Map<String, Object> now) throws IOException {
        if (!Files.exists(configFile)) return;
        JsonNode before = JSON.readTree(configFile.toFile());
        JsonNode after = JSON.readTree(JSON.writeValueAsString(now)); // through text, so 42 reads as the same node type on both sides
        for (String key : RESUME_INVARIANTS) {
            if (before.has(key) && !before.get(key).equals(after.get(key))) {
                throw new IllegalStateException("--resume: " + configFile + " has " + key + " " + before.get(key) + " but this run asks for "
                        + after.get(key) + "; resume with the run's settings or start a new --out");
            }
        }
    }

    static Map<String, Object> config(Options o, Dataset data) {
        Map<String, Object> m = GanState.modelConfig(o.model());
        m.put("epochs", o.epochs());
        m.put("batch_size", o.batchSize());
        m.put("lr", o.lr());
        m.put("betas", List.of(o.beta1(), o.beta2()));
        m.put("beta1_d", o.beta1D());
        m.put("d_steps", o.dSteps());
        m.put("ema_decay", o.emaDecay());
        m.put("label_smoothing", List.of(GanStep.SMOOTH_LO, GanStep.SMOOTH_HI));
        m.put("augment", o.augment());
        m.put("seed", o.seed());
        m.put("checkpoint_every", o.checkpointEvery());
        m.put("collapse_fraction", o.collapseFraction());
        m.put("data", data.description());
        m.put("images", data.size());
        if (o.dp() == null) {
            m.put("dp", false);
        } else {
            Map<String, Object> dp = new LinkedHashMap<>();
            dp.put("target_epsilon", o.dp().targetEpsilon());
            dp.put("delta", o.dp().delta());
            dp.put("max_grad_norm", o.dp().maxGradNorm());
            dp.put("accountant", o.dp().accountant());
            dp.put("randomness", o.dp().randomness().reproducibleMode() ? "reproducible" : "secure");
            dp.put("physical_batch", o.dp().physicalBatch());
            m.put("dp", dp);
        }
        return m;
    }

    static Map<String, Object> provenance(Options o, Dataset data) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dpmammo_version", BuildInfo.version());
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("device", org.dpmammo.backend.Backends.current().describe());
        m.put("seed", o.seed());
        m.put("data", data.description());
        int[] counts = data.classCounts();
        m.put("data_counts", Map.of("benign", counts[Labels.BENIGN], "malignant", counts[Labels.MALIGNANT]));
        m.put("data_fingerprint", data.fingerprint());
        return m;
    }
}
