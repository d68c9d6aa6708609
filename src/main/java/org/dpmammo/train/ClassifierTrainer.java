package org.dpmammo.train;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Pipeline;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.AdamW;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PoissonSampler;
import org.dpmammo.privacy.dpsgd.PrivacyEngine;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * The study's classifier training (paper.md §3–4): Swin with a linear or MLP head, optionally a frozen backbone,
 * cross-entropy with label smoothing, AdamW, flips, per-epoch validation and checkpoint selection by validation
 * AUPRC (under DP only inside the ε window), with or without DP-SGD (Poisson sampling, per-example clipping,
 * Gaussian noise, σ calibrated by RDP — the study's Opacus — or PRV, write-ahead ledger).
 *
 * <p>With a frozen backbone the pooled features are computed once per example and flip variant (4 variants: none,
 * horizontal, vertical, both; the study's two independent 0.5 flips pick one of them uniformly) and cached on disk,
 * so an epoch costs only the head. The cache is computed in eval mode: the study left the frozen backbone's
 * drop-path active (paper.md §8.10), which would make features random and uncacheable; here they are deterministic.
 *
 * <p>Run folder: config.json, provenance.json, metrics.csv (one row per epoch), metrics.json (final), ledger.json
 * (DP), checkpoints/{best,last,optimizer}.safetensors, state.json (for --resume), val-roc.png, val-pr.png, cache/.
 */
public final class ClassifierTrainer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PHASE = "classifier";
    private static final String CSV_HEADER = "epoch,train_loss,val_loss,val_accuracy,val_f1,val_auroc,val_auprc,epsilon,eligible,best,seconds\n";

    /**
     * Every setting of a training run, resolved.
     *
     * @param accountant under DP, what calibrates σ and reads ε back each epoch (and so decides the selection
     *     window): rdp (the study's) or prv (tighter: less noise for the same ε); unused without DP
     */
    public record Settings(List<String> train, String val, Path out, String preset, long seed, int epochs, int batchSize,
                           double lr, double weightDecay, double labelSmoothing, SwinTransformer.Head head,
                           boolean freezeBackbone, Path initWeights, boolean dp, double targetEpsilon, double delta,
                           double maxGradNorm, String accountant, int physicalBatch, int threads, boolean resume, boolean secureNoise) {
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
            o.put("dp", dp);
            if (dp) {
                o.put("target_epsilon", targetEpsilon);
                o.put("delta", delta);
                o.put("max_grad_norm", maxGradNorm);
                o.put("accountant", accountant);
                o.put("secure_noise", secureNoise);
            }
            o.put("physical_batch", physicalBatch);
            return o;
        }
    }

    /** The outcome: the selected epoch (−1 if none was eligible), its validation AUPRC, the ε spent in the end. */
    public record Result(int bestEpoch, double bestAuprc, double epsilonSpent, Path bestCheckpoint) {}

    private ClassifierTrainer() {}

    public static Result run(Settings s, PrintStream log) throws IOException {
        Path out = s.out();
        Path ckpt = out.resolve("checkpoints");
        Files.createDirectories(ckpt);
        Path statePath = out.resolve("state.json");
        ObjectNode config = s.toJson();
        if (Files.exists(statePath) && !s.resume()) {
            throw new IllegalStateException(out + " already holds a run; pass --resume to continue it or choose another --out");
        }
        if (s.resume() && Files.exists(out.resolve("config.json"))) {
            ObjectNode before = (ObjectNode) JSON.readTree(out.resolve("config.json").toFile());
            // Through text, so that numbers compare by value and not by node type (a long seed reads back as an int).
            ObjectNode now = (ObjectNode) JSON.readTree(JSON.writeValueAsString(config));
            before.remove("epochs");
            now.remove("epochs");
            // Runs from before the accountant was a setting were all calibrated by RDP.
            if (before.path("dp").asBoolean() && !before.has("accountant")) before.put("accountant", "rdp");
            if (!before.equals(now)) throw new IllegalStateException(out + " holds a run with other settings; --resume needs the same ones (only --epochs may grow)");
        }
        AtomicFiles.writeString(out.resolve("config.json"), JSON.writeValueAsString(config));

        // ------------------------------------------------------------ data
        List<Dataset> parts = new ArrayList<>();
        for (String t : s.train()) parts.add(Datasets.open(t));
        Dataset train = parts.size() == 1 ? parts.get(0) : new ConcatDataset(parts);
        Dataset val = Datasets.open(s.val());
        if (train.size() == 0) throw new IllegalArgumentException("no training images in " + s.train());
        if (val.size() == 0) throw new IllegalArgumentException("no validation images in " + s.val());
        int[] yTrain = Classifier.labels(train), yVal = Classifier.labels(val);
        log.printf("train: %d images (%d benign) from %s%nval: %d images (%d benign)%n", train.size(), sum(yTrain),
                train.description(), val.size(), sum(yVal));

        // ------------------------------------------------------------ model
        ModelSpec spec = new ModelSpec(ModelSpec.preset(s.preset()), s.head(), 2);
        SwinTransformer model = spec.build(new Rng(s.seed()));
        String initDigest = "seed:" + s.seed();
        if (s.initWeights() != null) {
            Module.LoadReport r = org.dpmammo.nn.StateDictFiles.load(s.initWeights(), model, false);
            int loaded = model.stateDict().size() - r.missing().size() - r.misShaped().size();
            if (loaded == 0) throw new IllegalArgumentException(s.initWeights() + ": no tensor matches the model (" + r + ")");
            log.printf("init weights %s: %d tensors loaded; missing %s; unexpected %s; mis-shaped %s (left at their fresh initialisation)%n",
                    s.initWeights(), loaded, r.missing(), r.unexpected(), r.misShaped());
            ObjectNode rep = JSON.createObjectNode();
            rep.put("file", s.initWeights().toString());
            rep.put("loaded", loaded);
            rep.set("missing", JSON.valueToTree(r.missing()));
            rep.set("unexpected", JSON.valueToTree(r.unexpected()));
            rep.set("mis_shaped", JSON.valueToTree(r.misShaped()));
            AtomicFiles.writeString(out.resolve("init-report.json"), JSON.writeValueAsString(rep));
            initDigest = sha256File(s.initWeights());
        }
        if (s.freezeBackbone()) model.freezeBackbone();
        long trainable = 0;
        for (var p : model.trainableParameters()) trainable += p.value().numel();
        log.printf("model: %s, head %s, %,d parameters, %,d trainable%n", spec.swin(), s.head(), model.numParameters(), trainable);

        AdamW opt = new AdamW(model.trainableParameters(), s.lr(), 0.9, 0.999, 1e-8, s.weightDecay());

        // ------------------------------------------------------------ features (frozen backbone)
        float[][][] trainFeat = null;
        float[][] valFeat = null;
        if (s.freezeBackbone()) {
            String key = sha256(spec.toJson() + "|" + initDigest + "|" + train.fingerprint() + "|" + val.fingerprint());
            Path cache = out.resolve("cache").resolve("features-" + key.substring(0, 16) + ".safetensors");
            FeatureCache fc = FeatureCache.loadOrCompute(cache, model, train, val, s.physicalBatch(), s.threads(), log);
            trainFeat = fc.train();
            valFeat = fc.val();
        }

        // ------------------------------------------------------------ DP
        int batchesPerEpoch = (train.size() + s.batchSize() - 1) / s.batchSize();
        double q = 1.0 / batchesPerEpoch; // Opacus: sample rate 1 / len(data loader)
        PoissonSampler sampler = null;
        DpSgd dpsgd = null;
        double sigma = 0;
        int stepsPerEpoch = batchesPerEpoch;
        Accountant accountant = s.dp() ? PrivacyEngine.accountant(s.accountant()) : null;
        if (s.dp()) {
            sampler = new PoissonSampler(train.size(), q, s.secureNoise() ? RandomSource.secure() : RandomSource.deterministic(s.seed(), "sampler"));
            stepsPerEpoch = sampler.stepsPerEpoch();
            long total = (long) stepsPerEpoch * s.epochs();
            Calibration.Result cal = Calibration.noiseMultiplier(accountant, s.targetEpsilon(), s.delta(), q, total);
            sigma = cal.noiseMultiplier();
            cal.warnings().forEach(w -> log.println("accountant: " + w));
            log.printf("DP-SGD: N %d, q %.6f, %d steps, σ %.4f, C %.3g, δ %.3g, target ε %.3g (%s)%n", train.size(), q, total, sigma,
                    s.maxGradNorm(), s.delta(), s.targetEpsilon(), accountant.name().toUpperCase(java.util.Locale.ROOT));
            PrivacyLedger ledger = PrivacyLedger.open(out.resolve("ledger.json"));
            ledger.beginPhase(new PrivacyLedger.Phase(PHASE, "classifier DP-AdamW", train.fingerprint(), train.size(), q, sigma,
                    s.maxGradNorm(), s.delta(), accountant.name(), s.secureNoise()));
            Module dpModel = s.freezeBackbone() ? model.head : model;
            GaussianNoise noise = new GaussianNoise(s.secureNoise() ? RandomSource.secure() : RandomSource.deterministic(s.seed(), "noise"));
            dpsgd = new DpSgd(dpModel, opt, new DpSgd.Config(sigma, s.maxGradNorm(), q, train.size(), s.physicalBatch(), DpSgd.Clipping.FLAT), noise)
                    .withLedger(ledger, PHASE).withMaxSteps(total);
        }

        // ------------------------------------------------------------ resume
        ModelSelection selection = new ModelSelection(s.dp() ? s.targetEpsilon() : Double.POSITIVE_INFINITY);
        int startEpoch = 0;
        StringBuilder csv = new StringBuilder(CSV_HEADER);
        if (s.resume() && Files.exists(statePath)) {
            JsonNode st = JSON.readTree(statePath.toFile());
            SafeTensors.load(ckpt.resolve("last.safetensors"), model, true);
            if (s.freezeBackbone()) model.freezeBackbone();
            opt.loadState(SafeTensors.read(ckpt.resolve("optimizer.safetensors")).tensors());
            startEpoch = st.get("next_epoch").asInt();
            selection = new ModelSelection(s.dp() ? s.targetEpsilon() : Double.POSITIVE_INFINITY, st.get("best_epoch").asInt(),
                    st.get("best_auprc").asDouble(), st.get("best_loss").asDouble());
            csv = new StringBuilder(Files.readString(out.resolve("metrics.csv")));
            log.printf("resuming at epoch %d (best so far: epoch %d)%n", startEpoch, selection.bestEpoch());
        }

        ObjectNode prov = Provenance.base(JSON);
        prov.put("seed", s.seed());
        prov.put("train_fingerprint", train.fingerprint());
        prov.put("val_fingerprint", val.fingerprint());
        prov.put("init", initDigest);
        if (s.dp()) {
            prov.put("sigma", sigma);
            prov.put("sample_rate", q);
            prov.put("max_grad_norm", s.maxGradNorm());
            prov.put("delta", s.delta());
            prov.put("accountant", accountant.name());
            prov.put("steps_planned", (long) stepsPerEpoch * s.epochs());
        }
        AtomicFiles.writeString(out.resolve("provenance.json"), JSON.writeValueAsString(prov));

        // ------------------------------------------------------------ epochs
        double eps = 0;
        final float[][][] feats = trainFeat;
        DataLoader loader = s.freezeBackbone() ? null
                : new DataLoader(train, Pipeline.classifier(spec.swin().imageSize(), true), BatchSampler.sequential(1), s.seed(), s.threads(), true);
        try {
            for (int epoch = startEpoch; epoch < s.epochs(); epoch++) {
                long t0 = System.nanoTime();
                final int e = epoch;
                double[] lossSum = {0};
                int[] seen = {0};
                Function<int[], Variable> losses = idx -> {
                    Variable logits = s.freezeBackbone()
                            ? model.head.forward(Variable.constant(gather(trainFeatOf(feats, idx, e, s.seed()), idx.length)))
                            : model.forward(Variable.constant(loader.batch(idx, e).images()));
                    int[] y = new int[idx.length];
                    for (int i = 0; i < idx.length; i++) y[i] = yTrain[idx[i]];
                    Variable l = NnOps.crossEntropy(logits, y, (float) s.labelSmoothing());
                    for (float v : l.value().toArray()) lossSum[0] += v;
                    seen[0] += idx.length;
                    return l;
                };
                if (s.freezeBackbone()) model.head.train();
                else model.train();
                if (s.dp()) {
                    for (int k = 0; k < stepsPerEpoch; k++) {
                        long step = (long) epoch * stepsPerEpoch + k;
                        dpsgd.step(step, sampler.batch(step), losses);
                    }
                    // Read back by the calibrating accountant: the ε column and the selection window are in its terms.
                    eps = accountant.epsilon(List.of(new Segment(q, sigma, (long) (epoch + 1) * stepsPerEpoch)), s.delta()).epsilon();
                } else {
                    int[] order = new int[train.size()];
                    for (int i = 0; i < order.length; i++) order[i] = i;
                    new Rng(s.seed()).fork(0x5E9).fork(epoch).shuffle(order);
                    for (int from = 0; from < order.length; from += s.batchSize()) {
                        int[] idx = java.util.Arrays.copyOfRange(order, from, Math.min(order.length, from + s.batchSize()));
                        if (idx.length <= 1) continue; // the study skips batches of one example
                        opt.zeroGrad();
                        for (int c = 0; c < idx.length; c += s.physicalBatch()) {
                            int[] chunk = java.util.Arrays.copyOfRange(idx, c, Math.min(idx.length, c + s.physicalBatch()));
                            // The batch mean, accumulated over physical chunks.
                            Ops.mulScalar(Ops.sum(losses.apply(chunk), false, 0), 1f / idx.length).backward();
                        }
                        opt.step();
                    }
                }
                // validation
                float[][] vl = s.freezeBackbone() ? headLogits(model, valFeat) : Classifier.logits(model, val, s.physicalBatch(), s.threads());
                double[] pv = Classifier.benignProbabilities(vl);
                double valLoss = Classifier.meanLoss(vl, yVal, s.labelSmoothing());
                double auprc = Metrics.averagePrecision(yVal, pv);
                boolean eligible = selection.eligible(eps);
                boolean best = selection.offer(epoch, auprc, valLoss, eps);
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put(ModelSpec.KEY, spec.toJson());
                meta.put("dpmammo.epoch", Integer.toString(epoch));
                meta.put("dpmammo.val_auprc", Double.toString(auprc));
                meta.put("dpmammo.epsilon", Double.toString(eps));
                meta.put("dpmammo.provenance", prov.toString());
                if (best) {
                    double thr = Metrics.youdenThreshold(yVal, pv);
                    meta.put(Classifier.THRESHOLD_KEY, Double.toString(thr));
                    SafeTensors.save(ckpt.resolve("best.safetensors"), model, meta);
                    CurvePlot.roc(out.resolve("val-roc.png"), Metrics.roc(yVal, pv), String.format("validation ROC, epoch %d, AUROC %.3f", epoch, Metrics.auroc(yVal, pv)));
                    CurvePlot.precisionRecall(out.resolve("val-pr.png"), Metrics.precisionRecall(yVal, pv), sum(yVal) / (double) yVal.length,
                            String.format("validation PR (benign), epoch %d, AUPRC %.3f", epoch, auprc));
                    Metrics.Report rep = Metrics.report(yVal, pv, thr, 1000, s.seed());
                    ObjectNode mj = JSON.createObjectNode();
                    mj.put("best_epoch", epoch);
                    mj.put("epsilon_at_best", eps);
                    mj.set("validation", JSON.valueToTree(rep));
                    AtomicFiles.writeString(out.resolve("metrics.json"), JSON.writeValueAsString(mj));
                }
                meta.remove(Classifier.THRESHOLD_KEY);
                SafeTensors.save(ckpt.resolve("last.safetensors"), model, meta);
                SafeTensors.write(ckpt.resolve("optimizer.safetensors"), opt.state(), Map.of());
                double secs = (System.nanoTime() - t0) / 1e9;
                double trainLoss = seen[0] == 0 ? Double.NaN : lossSum[0] / seen[0];
                csv.append(String.format(java.util.Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%b,%b,%.2f%n", epoch, trainLoss, valLoss,
                        Metrics.accuracy(yVal, pv), Metrics.f1(yVal, pv), Metrics.auroc(yVal, pv), auprc, eps, eligible, best, secs));
                AtomicFiles.writeString(out.resolve("metrics.csv"), csv.toString());
                ObjectNode st = JSON.createObjectNode();
                st.put("next_epoch", epoch + 1);
                st.put("best_epoch", selection.bestEpoch());
                st.put("best_auprc", selection.bestAuprc());
                st.put("best_loss", selection.bestLoss());
                AtomicFiles.writeString(statePath, JSON.writeValueAsString(st));
                log.printf(java.util.Locale.ROOT, "epoch %d: train loss %.4f, val loss %.4f, val AUPRC %.4f, AUROC %.4f%s%s (%.1f s)%n", epoch, trainLoss, valLoss,
                        auprc, Metrics.auroc(yVal, pv), s.dp() ? String.format(java.util.Locale.ROOT, ", ε %.3f%s", eps, eligible ? "" : " (outside window)") : "",
                        best ? ", best" : "", secs);
            }
        } finally {
            if (loader != null) loader.close();
        }
        if (selection.bestEpoch() < 0) log.println("no epoch was eligible for selection (DP: ε never inside (0.75, 1.05) × target); no best checkpoint");
        return new Result(selection.bestEpoch(), selection.bestAuprc(), eps, selection.bestEpoch() < 0 ? null : ckpt.resolve("best.safetensors"));
    }

    /** Each example's features for this epoch: the flip variant is a pure function of (seed, epoch, example). */
    private static float[][] trainFeatOf(float[][][] cache, int[] idx, int epoch, long seed) {
        float[][] rows = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) rows[i] = cache[idx[i]][FeatureCache.variant(seed, epoch, idx[i])];
        return rows;
    }

    private static Tensor gather(float[][] rows, int n) {
        int f = rows.length == 0 ? 0 : rows[0].length;
        float[] d = new float[n * f];
        for (int i = 0; i < n; i++) System.arraycopy(rows[i], 0, d, i * f, f);
        return Tensor.of(d, n, f);
    }

    private static float[][] headLogits(SwinTransformer model, float[][] feats) {
        boolean was = model.head.isTraining();
        model.head.eval();
        try (Scope s = Grad.noGrad()) {
            Tensor z = model.head.forward(Variable.constant(gather(feats, feats.length))).value();
            float[][] out = new float[feats.length][];
            for (int i = 0; i < feats.length; i++) out[i] = new float[] {z.get(i, 0), z.get(i, 1)};
            return out;
        } finally {
            model.head.train(was);
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
