package org.dpmammo.privacy.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FloatImage;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.Pipeline;
import org.dpmammo.data.Transforms;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.Sequential;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.noise.RandomSource;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * One empirical privacy audit: a DP-SGD run with canaries, then the one-run lower bound on ε next to the ε the ledger
 * claims (Steinke, Nasr &amp; Jagielski 2023; see {@link OneRunAudit}).
 *
 * <p>Two kinds of canary, each included independently with probability ½ from the run's seed:
 * <ul>
 *   <li>input canaries: real patches with their label flipped, so the model can only fit them by memorising; scored by
 *       minus their loss under the final model;</li>
 *   <li>white-box gradient canaries ({@link GradientCanaries}); scored by the total update's projection.</li>
 * </ul>
 * The schedule (q, steps) and σ are fixed from the dataset size with every input canary counted, never from how many
 * were drawn in, so that the inclusion coins influence nothing but the canaries' own presence.
 *
 * <p>Noise and batches are secure unless reproducible randomness is asked for. The canaries' inclusion coins always
 * come from the seed: they must be the same after a resume to score the run, and they are not DP noise.
 */
public final class AuditRun {
    /** The audit's findings, all in one record so the command can print or save it. */
    public record Report(double claimedEpsilon, double delta, String accountant, double noiseMultiplier, double sampleRate,
            long steps, double epsilonLowerBound, double confidence, Kind input, Kind gradient, List<String> warnings, String negativeControl,
            String randomness) {}

    /** One canary kind's result; null fields when the kind was not used. */
    public record Kind(int canaries, int included, OneRunAudit.Guesses best, double epsilonLowerBound) {}

    private final AuditConfig c;
    private DpSgd.TestFault fault = DpSgd.TestFault.NONE;
    private Randomness randomness = Randomness.secure();

    public AuditRun(AuditConfig config) {
        this.c = config;
    }

    /**
     * A negative control: the same audit on a deliberately broken DP-SGD (no noise, or no clipping), so an auditor sees
     * that the audit finds leakage when there is some. Such a run is not private; its ledger phase says so.
     */
    public AuditRun withNegativeControl(DpSgd.TestFault fault) {
        this.fault = fault;
        return this;
    }

    /** Where noise and batches come from: secure by default; reproducible (seed + run id) on request. */
    public AuditRun withRandomness(Randomness randomness) {
        this.randomness = randomness;
        return this;
    }

    /** The examples as model inputs, after every input check, with the plan's warnings; nothing is written here. */
    public record Prepared(Tensor x, int[] y, Tensor canaryX, int[] canaryY, boolean[] inputIncluded, String fingerprint,
            List<String> recordIds, PrivacyPlanner.Plan plan, List<String> warnings) {}

    /**
     * Loads and checks the data and plans the run. Bad input (unreadable or hostile files, wrong image size or depth,
     * one class only, too few examples) is an {@link IllegalArgumentException} or {@link IOException} with one line.
     */
    public Prepared prepare() throws IOException {
        Dataset ds = Datasets.open(c.data());
        int total = ds.size();
        int[] counts = ds.classCounts();
        if (counts[0] == 0 || counts[1] == 0) {
            throw new IllegalArgumentException(ds.description() + ": only one class present (" + counts[0] + " malignant, " + counts[1] + " benign); a classifier audit needs both");
        }
        if (total < c.inputCanaries() + 2) throw new IllegalArgumentException(ds.description() + ": " + total + " examples cannot spare " + c.inputCanaries() + " as canaries");
        // A seeded shuffle decides which examples become input canaries.
        int[] order = new int[total];
        for (int i = 0; i < total; i++) order[i] = i;
        Rng rng = new Rng(c.seed() * 31 + 7);
        rng.shuffle(order);
        int real = total - c.inputCanaries();
        boolean[] coins = coins("input-coins", c.inputCanaries());
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < real; i++) rows.add(order[i]);
        for (int k = 0; k < c.inputCanaries(); k++) rows.add(order[real + k]);
        Pipeline p = new Pipeline(List.of(Transforms.resizeStep(c.inputSize(), c.inputSize()), Transforms.signedStep()));
        int per = c.inputSize() * c.inputSize();
        Tensor all = Tensor.zeros(rows.size(), 1, c.inputSize(), c.inputSize());
        int[] labels = new int[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            int i = rows.get(r);
            GrayImage g = ds.image(i);
            if (g.width() != c.imageSize() || g.height() != c.imageSize()) {
                throw new IllegalArgumentException(ds.name(i) + ": image of " + g.width() + "x" + g.height() + ", expected " + c.imageSize() + "x" + c.imageSize());
            }
            // Fewer than 8 bits is a mask or a thumbnail, not a mammogram patch.
            if (g.bitDepth() < 8) {
                throw new IllegalArgumentException(ds.name(i) + ": " + g.bitDepth() + "-bit samples (max " + g.maxValue() + "), expected 8- to 16-bit grayscale");
            }
            FloatImage f = p.apply(g, new Rng(i));
            System.arraycopy(f.data(), 0, all.data(), r * per, per);
            // Input canaries carry the wrong label: only memorisation fits them.
            labels[r] = r < real ? ds.label(i) : 1 - ds.label(i);
        }
        // Keep the real rows and the included canaries.
        int kept = real;
        for (boolean b : coins) if (b) kept++;
        Tensor x = Tensor.zeros(kept, 1, c.inputSize(), c.inputSize());
        int[] y = new int[kept];
        java.util.TreeSet<String> ids = new java.util.TreeSet<>();
        for (int r = 0, w = 0; r < rows.size(); r++) {
            if (r >= real && !coins[r - real]) continue;
            ids.add(java.util.HexFormat.of().formatHex(ds.contentHash(rows.get(r)), 0, 16));
            System.arraycopy(all.data(), r * per, x.data(), w * per, per);
            y[w++] = labels[r];
        }
        Tensor canaryX = Tensor.zeros(c.inputCanaries(), 1, c.inputSize(), c.inputSize());
        System.arraycopy(all.data(), real * per, canaryX.data(), 0, c.inputCanaries() * per);
        int[] canaryY = Arrays.copyOfRange(labels, real, labels.length);
        // σ and the schedule from the size with every canary in: independent of the coins.
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(total, c.batchSize(), c.epochs(), c.targetEpsilon(), c.delta(), PrivacyPlanner.accountant(c.accountant()));
        List<String> warnings = new ArrayList<>(plan.warnings());
        return new Prepared(x, y, canaryX, canaryY, coins, ds.fingerprint(), List.copyOf(ids), plan, warnings);
    }

    private boolean[] coins(String purpose, int m) {
        RandomSource s = RandomSource.deterministic(c.seed(), purpose);
        boolean[] b = new boolean[m];
        for (int i = 0; i < m; i++) b[i] = s.nextDouble() < 0.5;
        return b;
    }

    /** The audited model: flatten, one hidden ReLU layer, two logits. Small on purpose: d must exceed m·q. */
    Sequential model() {
        Rng rng = new Rng(c.seed());
        return new Sequential(new Flatten(), new Linear(c.inputSize() * c.inputSize(), c.hidden(), rng), new ReLU(), new Linear(c.hidden(), 2, rng));
    }

    /** Trains with canaries into outDir (resuming a checkpoint found there), scores the canaries and audits. */
    public Report run(Prepared prep, Path outDir, Path ledgerFile) throws IOException {
        PrivacyPlanner.Plan plan = prep.plan();
        double sigma = c.noiseMultiplier() != null ? c.noiseMultiplier() : plan.noiseMultiplier();
        Sequential model = model();
        // The phase names the whole config, so a checkpoint left by an audit with other canaries is never resumed.
        String phase = "audit:" + configHash() + ":" + outDir.toAbsolutePath().normalize();
        CrashSafeRun.Settings settings = new CrashSafeRun.Settings(phase, prep.fingerprint(),
                c.learningRate(), c.momentum(), sigma, c.maxGradNorm(), plan.sampleRate(), plan.steps(), 256, c.delta(),
                c.targetEpsilon(), c.accountant(), randomness.secureMode(), c.seed(), (int) Math.max(1, plan.steps() / 10));
        CrashSafeRun run = new CrashSafeRun(model, prep.x(), prep.y(), settings, outDir, ledgerFile).withRecords(prep.recordIds()).injectFault(fault);
        float[] before = flat(model);
        boolean[] gradIncluded = coins("gradient-coins", c.gradientCanaries());
        float[][] directions = GradientCanaries.randomDirections(c.gradientCanaries(), before.length, new Rng(c.seed()).fork(0x6772616469656e74L));
        if (c.gradientCanaries() > 0) {
            run.withExtraExamples(new GradientCanaries(directions, gradIncluded, c.maxGradNorm(), plan.sampleRate(),
                    randomness.secureMode() ? RandomSource.secure() : RandomSource.deterministic(c.seed(), "gradient-canary-sampler")));
        }
        CrashSafeRun.Outcome out = run.run();
        float[] after = flat(model);
        List<Double> fractions = c.guessFractions();
        int kinds = (c.inputCanaries() >= 2 ? 1 : 0) + (c.gradientCanaries() >= 2 ? 1 : 0);
        // Both kinds share the confidence (Bonferroni), so the larger of the two bounds holds at the stated level.
        double each = 1 - (1 - c.confidence()) / kinds;
        Kind input = null, gradient = null;
        if (c.inputCanaries() >= 2) {
            input = kind(inputScores(model, prep), prep.inputIncluded(), fractions, each);
        }
        if (c.gradientCanaries() >= 2) {
            gradient = kind(GradientCanaries.scores(directions, before, after), gradIncluded, fractions, each);
        }
        double bound = Math.max(input == null ? 0 : input.epsilonLowerBound(), gradient == null ? 0 : gradient.epsilonLowerBound());
        return new Report(out.epsilonSpent(), c.delta(), c.accountant(), sigma, plan.sampleRate(), plan.steps(), bound, c.confidence(), input, gradient,
                prep.warnings(), fault.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), randomness.label());
    }

    private String configHash() {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(c.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private Kind kind(double[] scores, boolean[] included, List<Double> fractions, double confidence) {
        List<Double> usable = fractions.stream().filter(f -> Math.floor(f * scores.length) >= 1).toList();
        int in = 0;
        for (boolean b : included) if (b) in++;
        if (usable.isEmpty()) return new Kind(scores.length, in, new OneRunAudit.Guesses(0, 0, 0, 0), 0);
        OneRunAudit.Result r = OneRunAudit.audit(scores, included, c.delta(), confidence, usable);
        return new Kind(scores.length, in, r.best(), r.epsilonLowerBound());
    }

    /** Minus each input canary's loss (with its flipped label) under the trained model. */
    private static double[] inputScores(Sequential model, Prepared prep) {
        model.eval();
        try (var s = Grad.noGrad()) {
            float[] loss = NnOps.crossEntropy(model.forward(Variable.constant(prep.canaryX())), prep.canaryY(), 0f).value().toArray();
            double[] out = new double[loss.length];
            for (int i = 0; i < loss.length; i++) out[i] = -loss[i];
            return out;
        } finally {
            model.train();
        }
    }

    /** All trainable values in DpSgd's order (the model's named-parameter order). */
    static float[] flat(Sequential model) {
        int n = 0;
        for (Parameter p : model.namedParameters().values()) if (p.requiresGrad()) n += p.value().numel();
        float[] out = new float[n];
        int at = 0;
        for (Parameter p : model.namedParameters().values()) {
            if (!p.requiresGrad()) continue;
            p.value().copyTo(out, at);
            at += p.value().numel();
        }
        return out;
    }
}
