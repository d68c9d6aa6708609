package org.dpmammo.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.NotFiniteException;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.ChunkPlan;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.AdamW;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * The study's classifier training (Osuala et al. 2024; docs/STUDY.md §3–4): Swin with a linear or MLP head, optionally a frozen
 * backbone, cross-entropy with label smoothing, AdamW, flips, per-epoch validation and checkpoint selection by
 * validation AUPRC (under DP only inside the ε window), with or without DP-SGD through {@link PrivateTraining}.
 *
 * <p>With a frozen backbone the pooled features are computed once per example and flip variant (4 variants: none,
 * horizontal, vertical, both; the study's two independent 0.5 flips pick one of them uniformly) and cached on disk,
 * so an epoch costs only the head. The cache is computed in eval mode: the study left the frozen backbone's
 * drop-path active, which would make features random and uncacheable; here they are deterministic. The cache is a
 * function of the private images and is as private as they are (docs/SECURITY.md).
 *
 * <p>Run folder: config.json, provenance.json, metrics.csv (one row per epoch; under DP without
 * {@code --log-private-stats} no training-set statistic), metrics.json (final), ledger.json and dp-run.json (DP),
 * checkpoints/{best,last}.safetensors (models), checkpoints/resume.safetensors (the one file a resume reads: model,
 * optimizer, selection state, the metrics so far and the DP ledger position, replaced atomically after each epoch),
 * val-roc.png, val-pr.png, cache/.
 */
public final class ClassifierTrainer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String CSV_HEADER = "epoch,train_loss,val_loss,val_accuracy,val_f1,val_auroc,val_auprc,epsilon,eligible,best,seconds\n";
    static final String RESUME_FILE = "resume.safetensors";
    private static final String CONFIG_KEY = "dpmammo.config", NEXT_EPOCH_KEY = "dpmammo.next_epoch", BEST_EPOCH_KEY = "dpmammo.best_epoch",
            BEST_AUPRC_KEY = "dpmammo.best_auprc", BEST_LOSS_KEY = "dpmammo.best_loss", CSV_KEY = "dpmammo.metrics_csv";

    /**
     * DP settings of a run.
     *
     * @param accountant what calibrates σ and reads ε back each epoch (and so decides the selection window): rdp
     *     (the study's) or prv (tighter: less noise for the same ε)
     * @param ledger the ledger to spend against (null: the run folder's ledger.json); sharing one file composes runs
     * @param budget refuse to start if any training record would pass this ε with the ledger's other phases (+∞: none)
     */
    public record Dp(double targetEpsilon, double delta, double maxGradNorm, String accountant, Randomness randomness, Path ledger, double budget) {
        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("target_epsilon", targetEpsilon);
            o.put("delta", delta);
            o.put("max_grad_norm", maxGradNorm);
            o.put("accountant", accountant);
            o.put("randomness", randomness.reproducibleMode() ? "reproducible" : "secure");
            return o;
        }
    }

    /** Every setting of a training run, resolved; {@code dp} is null for non-private training. */
    public record Settings(List<String> train, String val, Path out, String preset, long seed, int epochs, int batchSize,
                           double lr, double weightDecay, double labelSmoothing, SwinTransformer.Head head,
                           boolean freezeBackbone, Path initWeights, int physicalBatch, int augMultiplicity, int threads, boolean resume,
                           boolean logPrivateStats, Dp dp) {
        public Settings {
            if (augMultiplicity < 1 || augMultiplicity > FeatureCache.VARIANTS) {
                throw new IllegalArgumentException("augmentation multiplicity " + augMultiplicity + " outside 1.." + FeatureCache.VARIANTS + " (the flip variants)");
            }
            if (augMultiplicity > 1 && !freezeBackbone) {
                throw new IllegalArgumentException("augmentation multiplicity " + augMultiplicity + " needs a frozen backbone (the cached flip variants)");
            }
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.set("train", JSON.valueToTree(train));
            o.put("val", val);
            o.put("preset", preset);
            o.put("seed", seed);
            o.put("epochs", epochs);
            o.put("batch_size", batchSize);
            o.put("lr", lr);
            o.put("weight_decay", weightDecay);
            o.put("label_smoothing", labelSmoothing);
            o.put("head", head.name().toLowerCase(java.util.Locale.ROOT));
            o.put("freeze", freezeBackbone ? "backbone" : "none");
            o.put("init_weights", initWeights == null ? null : initWeights.toString());
            o.put("dp", dp != null);
            if (dp != null) o.setAll(dp.toJson());
            o.put("physical_batch", physicalBatch);
            // Written only when used, so that resume files of runs from before the setting existed still match.
            if (augMultiplicity > 1) o.put("aug_multiplicity", augMultiplicity);
            return o;
        }
    }

    /** The outcome: the selected epoch (−1 if none was eligible), its validation AUPRC, the ε spent in the end. */
    public record Result(int bestEpoch, double bestAuprc, double epsilonSpent, Path bestCheckpoint) {}

    private ClassifierTrainer() {}

    /**
     * What the run trains on and with: data, labels, model, optimizer, and with a frozen backbone the cached features
     * as tensors of the run's backend (training rows [N·4, F], one per flip variant, and validation [M, F]).
     */
    private record Parts(Dataset train, Dataset val, String trainFingerprint, String valFingerprint, int[] yTrain, int[] yVal, ModelSpec spec,
ImageClassifier model, AdamW opt, String initDigest, Tensor trainFeat, Tensor valFeat) {}

    /** Where a run stands between epochs: what a resume restores. */
    private static final class Progress {
        int nextEpoch;
        ModelSelection selection;
        StringBuilder csv = new StringBuilder(CSV_HEADER);
        StringBuilder privateCsv = new StringBuilder("epoch,train_loss\n");
    }

    public static Result run(Settings s, PrintStream log) throws IOException {
        Path out = s.out();
        Path ckpt = out.resolve("checkpoints");
        Path resumeFile = ckpt.resolve(RESUME_FILE);
        ObjectNode config = s.toJson();
        Map<String, String> resumed = checkResumable(s, out, resumeFile, config);
        Files.createDirectories(ckpt);
        AtomicFiles.writeString(out.resolve("config.json"), JSON.writeValueAsString(config));
        Parts p = prepare(s, out, log);
        Progress progress = new Progress();
        progress.selection = new ModelSelection(s.dp() != null ? s.dp().targetEpsilon() : Double.POSITIVE_INFINITY);
        PrivateTraining dp = null;
        try {
            if (s.dp() != null) dp = openPrivate(s, p, out, resumed, log);
            if (resumed != null) restore(s, p, resumeFile, resumed, progress, log);
            ObjectNode prov = provenance(s, p, dp);
            AtomicFiles.writeString(out.resolve("provenance.json"), JSON.writeValueAsString(prov));
            double eps = train(s, p, dp, prov, progress, log);
            if (progress.selection.bestEpoch() < 0) log.println("no epoch was eligible for selection (DP: ε never inside (0.75, 1.05) × target); no best checkpoint");
            if (dp != null) {
                writeFinalPrivacy(out, dp, s.dp().targetEpsilon());
                log.println(dp.describeSpent());
            }
            return new Result(progress.selection.bestEpoch(), progress.selection.bestAuprc(), eps,
                    progress.selection.bestEpoch() < 0 ? null : ckpt.resolve("best.safetensors"));
        } finally {
            if (dp != null) dp.close();
        }
    }

    /**
     * Refuses a fresh run over an existing one, a resume with other settings, and a non-private resume of a DP run;
     * returns the resume checkpoint's metadata (null for a fresh run). Nothing is written before these checks.
     */
    private static Map<String, String> checkResumable(Settings s, Path out, Path resumeFile, ObjectNode config) throws IOException {
        boolean exists = Files.exists(resumeFile) || Files.exists(out.resolve(PrivateTraining.RUN_FILE)) || Files.exists(out.resolve("state.json"));
        if (exists && !s.resume()) throw new IllegalStateException(out + " already holds a run; pass --resume to continue it or choose another --out");
        if (!s.resume() || !Files.exists(resumeFile)) {
            if (Files.exists(out.resolve("state.json")) && !Files.exists(resumeFile)) {
                throw new IllegalStateException(out + " holds a run of an older dpmammo (state.json); it cannot be resumed, start a new --out");
            }
            return null;
        }
        Map<String, String> meta = SafeTensors.read(resumeFile).metadata();
        if (s.dp() == null && PrivateTraining.isPrivate(meta)) {
            throw new IllegalStateException(resumeFile + " was trained with DP; continuing it without --dp would drop the guarantee (resume with the same --dp settings)");
        }
        // Through text, so that numbers compare by value and not by node type (a long seed reads back as an int).
        ObjectNode before = (ObjectNode) JSON.readTree(meta.getOrDefault(CONFIG_KEY, "{}"));
        ObjectNode now = (ObjectNode) JSON.readTree(JSON.writeValueAsString(config));
        before.remove("epochs");
        now.remove("epochs");
        if (!before.equals(now)) throw new IllegalStateException(out + " holds a run with other settings; --resume needs the same ones (only --epochs may grow)");
        return meta;
    }

    /** Opens the data, builds the model (and its frozen-backbone features) and the optimizer. */
    private static Parts prepare(Settings s, Path out, PrintStream log) throws IOException {
        List<Dataset> parts = new ArrayList<>();
        for (String t : s.train()) parts.add(Datasets.open(t));
        Dataset train = parts.size() == 1 ? parts.get(0) : new ConcatDataset(parts);
        Dataset val = Datasets.open(s.val());
        if (train.size() == 0) throw new IllegalArgumentException("no training images in " + s.train());
        if (val.size() == 0) throw new IllegalArgumentException("no validation images in " + s.val());
        int[] yTrain = Classifier.labels(train), yVal = Classifier.labels(val);
        // Each read once: they key the feature cache and go into provenance.json.
        String trainFingerprint = train.fingerprint(), valFingerprint = val.fingerprint();
        log.printf("train: %d images (%d benign) from %s%nval: %d images (%d benign)%n", train.size(), sum(yTrain),
                train.description(), val.size(), sum(yVal));
        ModelSpec spec = ModelSpec.of(s.preset(), s.head(), 2);
        ImageClassifier model = spec.build(new Rng(s.seed()));
        String initDigest = s.initWeights() == null ? "seed:" + s.seed() : loadInitWeights(s.initWeights(), model, out, log);
        if (s.freezeBackbone()) model.freezeBackbone();
        long trainable = 0;
        for (var prm : model.trainableParameters()) trainable += prm.value().numel();
        log.printf("model: %s, head %s, %,d parameters, %,d trainable%n", spec.describeBackbone(), s.head(), model.numParameters(), trainable);
        AdamW opt = new AdamW(model.trainableParameters(), s.lr(), 0.9, 0.999, 1e-8, s.weightDecay());
        Tensor trainFeat = null, valFeat = null;
        if (s.freezeBackbone()) {
            String key = sha256(spec.toJson() + "|" + initDigest + "|" + trainFingerprint + "|" + valFingerprint);
            Path cache = out.resolve("cache").resolve("features-" + key.substring(0, 16) + ".safetensors");
            FeatureCache fc = FeatureCache.loadOrCompute(cache, model, train, val, s.physicalBatch(), s.threads(), log);
            trainFeat = fc.trainRows();
            valFeat = fc.valRows();
        } else if (s.dp() != null) {
            // Under DP every image is decoded before the first step is spent: a broken file costs no budget.
            Datasets.verifyDecodable(train);
        }
        return new Parts(train, val, trainFingerprint, valFingerprint, yTrain, yVal, spec, model, opt, initDigest, trainFeat, valFeat);
    }

    private static String loadInitWeights(Path file, ImageClassifier model, Path out, PrintStream log) throws IOException {
        Module.LoadReport r = org.dpmammo.nn.StateDictFiles.load(file, model, false);
        int loaded = model.stateDict().size() - r.missing().size() - r.misShaped().size();
        if (loaded == 0) throw new IllegalArgumentException(file + ": no tensor matches the model (" + r + ")");
        log.printf("init weights %s: %d tensors loaded; missing %s; unexpected %s; mis-shaped %s (left at their fresh initialisation)%n",
                file, loaded, r.missing(), r.unexpected(), r.misShaped());
        ObjectNode rep = JSON.createObjectNode();
        rep.put("file", file.toString());
        rep.put("loaded", loaded);
        rep.set("missing", JSON.valueToTree(r.missing()));
        rep.set("unexpected", JSON.valueToTree(r.unexpected()));
        rep.set("mis_shaped", JSON.valueToTree(r.misShaped()));
        AtomicFiles.writeString(out.resolve("init-report.json"), JSON.writeValueAsString(rep));
        return sha256File(file);
    }

    /** DP-AdamW on the head (frozen backbone) or the whole model, through the one DP driver. */
    private static PrivateTraining openPrivate(Settings s, Parts p, Path out, Map<String, String> resumed, PrintStream log) throws IOException {
        Dp d = s.dp();
        Accountant accountant = PrivacyPlanner.accountant(d.accountant());
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(p.train().size(), s.batchSize(), s.epochs(), d.targetEpsilon(), d.delta(), accountant);
        plan.warnings().forEach(w -> log.println("accountant: " + w));
        log.printf("DP-SGD: N %d, q %.6f, %d steps, σ %.4f, C %.3g, δ %.3g, target ε %.3g (%s), %s randomness%n", p.train().size(), plan.sampleRate(), plan.steps(),
                plan.noiseMultiplier(), d.maxGradNorm(), d.delta(), d.targetEpsilon(), accountant.name().toUpperCase(java.util.Locale.ROOT), d.randomness().label());
        Module dpModel = s.freezeBackbone() ? p.model().head() : p.model();
        Path ledger = d.ledger() != null ? d.ledger() : out.resolve("ledger.json");
        return PrivateTraining.open(new PrivateTraining.Spec(null, "classifier DP-AdamW", d.delta(), d.maxGradNorm(), d.accountant(), d.randomness(),
                        s.physicalBatch(), DpSgd.Clipping.FLAT, d.budget()),
                new PrivateTraining.Schedule(plan.sampleRate(), plan.steps(), plan.noiseMultiplier()), TrainingRecords.of(p.train()),
                dpModel, p.opt(), ledger, out, resumed, Double.POSITIVE_INFINITY, log);
    }

    /** Loads model, optimizer and progress from the resume checkpoint (already checked against the ledger). */
    private static void restore(Settings s, Parts p, Path resumeFile, Map<String, String> meta, Progress progress, PrintStream log) throws IOException {
        Map<String, Tensor> weights = new LinkedHashMap<>(), state = new LinkedHashMap<>();
        SafeTensors.read(resumeFile).tensors().forEach((k, v) -> (k.startsWith("optimizer.") ? state : weights)
                .put(k.startsWith("optimizer.") ? k.substring(10) : k.substring(k.indexOf('.') + 1), v));
        p.model().loadStateDict(weights, true);
        if (s.freezeBackbone()) p.model().freezeBackbone();
        p.opt().loadState(state);
        progress.nextEpoch = Integer.parseInt(meta.get(NEXT_EPOCH_KEY));
        progress.selection = new ModelSelection(s.dp() != null ? s.dp().targetEpsilon() : Double.POSITIVE_INFINITY, Integer.parseInt(meta.get(BEST_EPOCH_KEY)),
                Double.parseDouble(meta.get(BEST_AUPRC_KEY)), Double.parseDouble(meta.get(BEST_LOSS_KEY)));
        progress.csv = new StringBuilder(meta.get(CSV_KEY));
        if (meta.containsKey(CSV_KEY + ".private")) progress.privateCsv = new StringBuilder(meta.get(CSV_KEY + ".private"));
        log.printf("resuming at epoch %d (best so far: epoch %d)%n", progress.nextEpoch, progress.selection.bestEpoch());
    }

    private static ObjectNode provenance(Settings s, Parts p, PrivateTraining dp) throws IOException {
        ObjectNode prov = Provenance.base(JSON);
        prov.put("seed", s.seed());
        prov.put("train_fingerprint", p.trainFingerprint());
        prov.put("val_fingerprint", p.valFingerprint());
        prov.put("init", p.initDigest());
        if (dp != null) {
            prov.put("sigma", dp.schedule().noiseMultiplier());
            prov.put("sample_rate", dp.schedule().sampleRate());
            prov.put("max_grad_norm", s.dp().maxGradNorm());
            prov.put("delta", s.dp().delta());
            prov.put("accountant", dp.accountant().name());
            prov.put("steps_planned", dp.schedule().steps());
            prov.put("dp_randomness", dp.randomness().label());
        }
        return prov;
    }

    /** The epochs from progress.nextEpoch on; returns the last ε (0 without DP). */
    private static double train(Settings s, Parts p, PrivateTraining dp, ObjectNode prov, Progress progress, PrintStream log) throws IOException {
        int stepsPerEpoch = dp == null ? 0 : (int) (dp.schedule().steps() / s.epochs());
        double eps = dp == null ? 0 : dp.phaseEpsilon();
        DataLoader loader = s.freezeBackbone() ? null
                : new DataLoader(p.train(), Pipeline.classifier(p.model().imageSize(), true), BatchSampler.sequential(1), s.seed(), s.threads(), true);
        try {
            for (int epoch = progress.nextEpoch; epoch < s.epochs(); epoch++) {
                long t0 = System.nanoTime();
                // The training loss is a statistic of the private set: under DP it is kept only when it will be logged.
                List<Tensor> chunkLosses = dp == null || s.logPrivateStats() ? new ArrayList<>() : null;
                ChunkPlan plan = new ChunkPlan();
                Function<int[], Variable> losses = lossesOf(s, p, loader, epoch, chunkLosses, plan);
                if (s.freezeBackbone()) p.model().head().train();
                else p.model().train();
                boolean stopped = false;
                if (dp != null) {
                    for (int k = 0; k < stepsPerEpoch && !stopped; k++) {
                        long step = (long) epoch * stepsPerEpoch + k;
                        if (!dp.canStep(step)) {
                            stopped = true;
                        } else {
                            // This step's chunks and the next one's, so the loader decodes each chunk while the one before computes.
                            plan.clear();
                            plan.add(dp.batch(step), s.physicalBatch(), epoch);
                            if (k + 1 < stepsPerEpoch) plan.add(dp.batch(step + 1), s.physicalBatch(), epoch);
                            dp.step(step, losses);
                        }
                    }
                    // The calibrating accountant's ε of this run's phase: the ε column and the selection window are in its terms.
                    eps = dp.phaseEpsilon();
                } else {
                    nonPrivateEpoch(s, p, epoch, losses, plan);
                }
                double trainLoss = meanLoss(chunkLosses);
                endEpoch(s, p, dp, prov, progress, epoch, eps, trainLoss, (System.nanoTime() - t0) / 1e9, log);
                if (stopped) {
                    log.println("DP: the privacy budget is reached (steps were lost to a crash); training stops after epoch " + epoch);
                    break;
                }
            }
        } finally {
            if (loader != null) loader.close();
        }
        return eps;
    }

    /**
     * Each chunk's per-example losses, when {@code chunkLosses} is not null, are kept as tensors of the backend (for the
     * epoch's mean loss, read once at its end) so that a step brings nothing back from a GPU.
     */
    private static Function<int[], Variable> lossesOf(Settings s, Parts p, DataLoader loader, int epoch, List<Tensor> chunkLosses, ChunkPlan plan) {
        return idx -> {
            int[] y = new int[idx.length];
            for (int i = 0; i < idx.length; i++) y[i] = p.yTrain()[idx[i]];
            Variable l = s.augMultiplicity() > 1 ? augmentedLosses(s, p, idx, y, epoch)
                    : NnOps.crossEntropy(s.freezeBackbone()
                            ? p.model().head().forward(Variable.constant(featuresOf(p.trainFeat(), idx, epoch, s.seed(), 1)))
                            : p.model().forward(Variable.constant(loader.batch(idx, epoch, plan.after(idx)).images())), y, (float) s.labelSmoothing());
            if (chunkLosses != null) chunkLosses.add(l.value());
            return l;
        };
    }

    /**
     * Augmentation multiplicity (De et al. 2022): each example's loss is the mean over K of its flip variants, so its
     * gradient — the one DP-SGD clips — is the mean of K augmented gradients. The head sees the features as [B, K, F],
     * K tokens per example, so the per-example rules sum the K rows into one example's gradient; the sensitivity
     * and the accounting are those of one example, as without augmentation.
     */
    private static Variable augmentedLosses(Settings s, Parts p, int[] idx, int[] y, int epoch) {
        return multiplicityLosses(p.model().head(), featuresOf(p.trainFeat(), idx, epoch, s.seed(), s.augMultiplicity()), y, s.augMultiplicity(),
                (float) s.labelSmoothing());
    }

    /** Per-example losses [B] of {@code head} on rows [B·K, F] (K rows per example, in order): each the mean over its K rows. */
    static Variable multiplicityLosses(Module head, Tensor rows, int[] y, int k, float smoothing) {
        int b = y.length;
        Variable logits = head.forward(Variable.constant(rows.reshape(b, k, rows.size(1))));
        int[] yk = new int[b * k];
        for (int i = 0; i < yk.length; i++) yk[i] = y[i / k];
        Variable perRow = NnOps.crossEntropy(Ops.reshape(logits, b * k, logits.value().size(2)), yk, smoothing);
        return Ops.mean(Ops.reshape(perRow, b, k), false, 1);
    }

    /** The mean of every loss of the epoch, summed in double in the order the chunks ran; NaN for none or not kept. */
    private static double meanLoss(List<Tensor> chunkLosses) {
        if (chunkLosses == null) return Double.NaN;
        double sum = 0;
        int seen = 0;
        for (Tensor t : chunkLosses) {
            for (float v : t.toArray()) sum += v;
            seen += t.numel();
        }
        return seen == 0 ? Double.NaN : sum / seen;
    }

    private static void nonPrivateEpoch(Settings s, Parts p, int epoch, Function<int[], Variable> losses, ChunkPlan plan) {
        int[] order = new int[p.train().size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(s.seed()).fork(0x5E9).fork(epoch).shuffle(order);
        for (int from = 0; from < order.length; from += s.batchSize()) {
            int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + s.batchSize()));
            if (idx.length > 1) plan.add(idx, s.physicalBatch(), epoch);
        }
        for (int from = 0; from < order.length; from += s.batchSize()) {
            int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + s.batchSize()));
            if (idx.length <= 1) continue; // the study skips batches of one example
            p.opt().zeroGrad();
            for (int c = 0; c < idx.length; c += s.physicalBatch()) {
                int[] chunk = java.util.Arrays.copyOfRange(idx, c, Math.min(idx.length, c + s.physicalBatch()));
                // The batch mean, accumulated over physical chunks.
                Ops.mulScalar(Ops.sum(losses.apply(chunk), false, 0), 1f / idx.length).backward();
            }
            p.opt().step();
        }
    }

    /**
     * Validation, model selection, the epoch's files, and then the resume checkpoint: the one atomic write that
     * commits the epoch (model, optimizer, selection, metrics and the ledger position together).
     */
    private static void endEpoch(Settings s, Parts p, PrivateTraining dp, ObjectNode prov, Progress progress, int epoch, double eps, double trainLoss,
            double secs, PrintStream log) throws IOException {
        Path out = s.out(), ckpt = out.resolve("checkpoints");
        float[][] vl = s.freezeBackbone() ? headLogits(p.model(), p.valFeat()) : Classifier.logits(p.model(), p.val(), s.physicalBatch(), s.threads());
        requireFinite(vl, epoch);
        double[] pv = Classifier.benignProbabilities(vl);
        int[] yVal = p.yVal();
        double valLoss = Classifier.meanLoss(vl, yVal, s.labelSmoothing());
        double auprc = Metrics.averagePrecision(yVal, pv);
        boolean eligible = progress.selection.eligible(eps);
        boolean best = progress.selection.offer(epoch, auprc, valLoss, eps);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelSpec.KEY, p.spec().toJson());
        meta.put("dpmammo.epoch", Integer.toString(epoch));
        meta.put("dpmammo.val_auprc", Double.toString(auprc));
        meta.put("dpmammo.epsilon", Double.toString(eps));
        meta.put("dpmammo.provenance", prov.toString());
        if (best) writeBest(s, p, dp, meta, epoch, eps, pv, auprc);
        meta.remove(Classifier.THRESHOLD_KEY);
        SafeTensors.save(ckpt.resolve("last.safetensors"), p.model(), meta);
        // Statistics of the private training set are not post-processing of the DP model: only on request.
        boolean privateStats = dp == null || s.logPrivateStats();
        String loss = privateStats ? String.format(java.util.Locale.ROOT, "%.6f", trainLoss) : "";
        progress.csv.append(String.format(java.util.Locale.ROOT, "%d,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%b,%b,%.2f%n", epoch, loss, valLoss,
                Metrics.accuracy(yVal, pv), Metrics.f1(yVal, pv), Metrics.auroc(yVal, pv), auprc, eps, eligible, best, secs));
        if (dp != null && s.logPrivateStats()) progress.privateCsv.append(String.format(java.util.Locale.ROOT, "%d,%.6f%n", epoch, trainLoss));
        progress.nextEpoch = epoch + 1;
        writeResume(s, p, dp, progress);
        AtomicFiles.writeString(out.resolve("metrics.csv"), progress.csv.toString());
        if (dp != null && s.logPrivateStats()) {
            AtomicFiles.writeString(out.resolve("private-stats.csv"), "# NOT DIFFERENTIALLY PRIVATE: statistics of the private training records (--log-private-stats)\n"
                    + progress.privateCsv);
        }
        log.printf(java.util.Locale.ROOT, "epoch %d:%s val loss %.4f, val AUPRC %.4f, AUROC %.4f%s%s (%.1f s)%n", epoch,
                privateStats ? String.format(java.util.Locale.ROOT, " train loss %.4f,", trainLoss) : "", valLoss, auprc, Metrics.auroc(yVal, pv),
                dp != null ? String.format(java.util.Locale.ROOT, ", ε %.3f%s%s", eps, eligible ? "" : " (outside window)", dp.randomness().epsilonMark()) : "",
                best ? ", best" : "", secs);
    }

    private static void writeBest(Settings s, Parts p, PrivateTraining dp, Map<String, String> meta, int epoch, double eps, double[] pv, double auprc)
            throws IOException {
        Path out = s.out();
        int[] yVal = p.yVal();
        double thr = Metrics.youdenThreshold(yVal, pv);
        meta.put(Classifier.THRESHOLD_KEY, Double.toString(thr));
        SafeTensors.save(out.resolve("checkpoints").resolve("best.safetensors"), p.model(), meta);
        CurvePlot.roc(out.resolve("val-roc.png"), Metrics.roc(yVal, pv), String.format("validation ROC, epoch %d, AUROC %.3f", epoch, Metrics.auroc(yVal, pv)));
        CurvePlot.precisionRecall(out.resolve("val-pr.png"), Metrics.precisionRecall(yVal, pv), sum(yVal) / (double) yVal.length,
                String.format("validation PR (benign), epoch %d, AUPRC %.3f", epoch, auprc));
        Metrics.Report rep = Metrics.report(yVal, pv, thr, 1000, s.seed());
        ObjectNode mj = JSON.createObjectNode();
        mj.put("best_epoch", epoch);
        mj.put("epsilon_at_best", eps);
        mj.set("validation", JSON.valueToTree(rep));
        if (dp != null) mj.set("dp_at_best", JSON.valueToTree(dp.summary(s.dp().targetEpsilon())));
        AtomicFiles.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(mj));
    }

    /** The run's final spend in metrics.json ("dp"): what the ledger records once the last step has run. */
    private static void writeFinalPrivacy(Path out, PrivateTraining dp, double target) throws IOException {
        Path f = out.resolve("metrics.json");
        ObjectNode mj = Files.exists(f) ? (ObjectNode) JSON.readTree(f.toFile()) : JSON.createObjectNode();
        mj.set("dp", JSON.valueToTree(dp.summary(target)));
        AtomicFiles.writeString(f, JSON.writeValueAsString(mj));
    }

    private static void writeResume(Settings s, Parts p, PrivateTraining dp, Progress progress) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        p.model().stateDict().forEach((k, v) -> all.put("model." + k, v));
        p.opt().state().forEach((k, v) -> all.put("optimizer." + k, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CONFIG_KEY, JSON.writeValueAsString(s.toJson()));
        meta.put(NEXT_EPOCH_KEY, Integer.toString(progress.nextEpoch));
        meta.put(BEST_EPOCH_KEY, Integer.toString(progress.selection.bestEpoch()));
        meta.put(BEST_AUPRC_KEY, Double.toString(progress.selection.bestAuprc()));
        meta.put(BEST_LOSS_KEY, Double.toString(progress.selection.bestLoss()));
        meta.put(CSV_KEY, progress.csv.toString());
        if (dp != null && s.logPrivateStats()) meta.put(CSV_KEY + ".private", progress.privateCsv.toString());
        if (dp != null) meta.putAll(dp.checkpointMetadata((long) progress.nextEpoch * (dp.schedule().steps() / s.epochs())));
        java.util.Set<String> ints = new java.util.HashSet<>();
        for (String k : p.model().integerStateKeys()) ints.add("model." + k);
        SafeTensors.write(s.out().resolve("checkpoints").resolve(RESUME_FILE), all, ints, meta);
    }

    /**
     * Each example's features for this epoch, gathered from the cached rows [N·4, F] on the backend (only the row
     * numbers cross to a GPU): {@code k} distinct flip variants per example, rows i·k … i·k + k − 1 for example i,
     * the first a pure function of (seed, epoch, example) and the others the variants after it (k = 4: all four).
     */
    private static Tensor featuresOf(Tensor rows, int[] idx, int epoch, long seed, int k) {
        int v = FeatureCache.VARIANTS;
        int[] at = new int[idx.length * k];
        for (int i = 0; i < idx.length; i++) {
            int first = FeatureCache.variant(seed, epoch, idx[i]);
            for (int j = 0; j < k; j++) at[i * k + j] = idx[i] * v + (first + j) % v;
        }
        return Backends.current().indexSelect(rows, 0, at);
    }

    /**
     * Weights driven to ±∞ by a runaway step (a huge --weight-decay or --lr) need not produce a NaN inside the training
     * step, but they do in the validation logits: that is the run diverging, reported as such (exit 1), not a score
     * the metrics refuse.
     */
    private static void requireFinite(float[][] logits, int epoch) {
        for (float[] row : logits) {
            for (float v : row) {
                if (!Float.isFinite(v)) throw new NotFiniteException("validation logits after epoch " + epoch + " are " + v);
            }
        }
    }

    private static float[][] headLogits(ImageClassifier model, Tensor feats) {
        boolean was = model.head().isTraining();
        model.head().eval();
        try (Scope s = Grad.noGrad()) {
            Tensor z = model.head().forward(Variable.constant(feats)).value();
            int n = feats.size(0);
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) out[i] = new float[] {z.get(i, 0), z.get(i, 1)};
            return out;
        } finally {
            model.head().train(was);
        }
    }

    private static int sum(int[] y) {
        int n = 0;
        for (int v : y) n += v;
        return n;
    }

    static String sha256(String s) {
        MessageDigest md = Dataset.sha256();
        return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private static String sha256File(Path f) throws IOException {
        MessageDigest md = Dataset.sha256();
        try (var in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
