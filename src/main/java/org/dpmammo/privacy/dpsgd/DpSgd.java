package org.dpmammo.privacy.dpsgd;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.nn.MixesExamples;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.PerExample;
import org.dpmammo.nn.PerExampleLayer;
import org.dpmammo.optim.Optimizer;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.noise.GaussianNoise;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * One DP-SGD step with Opacus' semantics and book-keeping's cost (docs/ARCHITECTURE.md, "One DP training step"; docs/DP-MATH.md §1):
 * per-example losses → one backward, in which every parameterised layer hands over its activation A and output
 * gradient G instead of summing its weight gradient → per-example squared norms per layer (ghost or materialised)
 * → clip factors cᵢ = min(1, C/(‖gᵢ‖ + 1e-6)) → each layer's clipped sum as gradients(A, diag(c)·G) → Gaussian
 * noise N(0, σ²C²) per coordinate → division by the expected batch size q·N → the wrapped optimizer's step
 * (SGD, Adam or AdamW: DP-SGD, DP-Adam, DP-AdamW).
 *
 * <p>The logical (Poisson) batch is processed in physical chunks to bound memory; since clipping is per example,
 * chunking changes only the order of floating-point sums. An empty batch still adds noise and still spends privacy.
 * If a ledger is attached, the step is reserved there before anything is computed (write-ahead).
 */
public final class DpSgd {
    /** How the clipping norm is shared out. */
    public enum Clipping {
        /** One norm over all trainable parameters (Opacus' default). */
        FLAT,
        /** Each of the L layers clipped to C/√L, so the total stays ≤ C. */
        PER_LAYER
    }

    /** The step's settings: σ, C, q, N, the chunk size, the clipping style. */
    public record Config(double noiseMultiplier, double maxGradNorm, double sampleRate, int datasetSize, int physicalBatch, Clipping clipping) {
        public Config {
            if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) throw new IllegalArgumentException("noise multiplier σ must be finite and ≥ 0, got " + noiseMultiplier);
            if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) throw new IllegalArgumentException("clipping norm C must be positive, got " + maxGradNorm);
            if (!(sampleRate > 0 && sampleRate <= 1)) throw new IllegalArgumentException("sample rate q must be in (0, 1], got " + sampleRate);
            if (datasetSize <= 0) throw new IllegalArgumentException("dataset size must be positive, got " + datasetSize);
            if (physicalBatch <= 0) throw new IllegalArgumentException("physical batch must be positive, got " + physicalBatch);
        }

        public double expectedBatchSize() {
            return sampleRate * datasetSize;
        }
    }

    /**
     * What one step did: realised batch size, how many examples were clipped, their mean pre-clip norm. The norms stay
     * tensors of the step's backend until {@link #clipped()} or {@link #meanNorm()} is asked for, so a caller that
     * does not log them costs the device no download.
     */
    public static final class StepStats {
        private final int batchSize;
        private final double clip;
        /** Per chunk, the squared norms [layers, examples]; empty when nothing was captured. */
        private final List<Tensor> chunkNorms;
        private int clipped = -1;
        private double meanNorm;

        StepStats(int batchSize, double clip, List<Tensor> chunkNorms) {
            this.batchSize = batchSize;
            this.clip = clip;
            this.chunkNorms = chunkNorms;
        }

        public int batchSize() {
            return batchSize;
        }

        public int clipped() {
            summarise();
            return clipped;
        }

        public double meanNorm() {
            summarise();
            return meanNorm;
        }

        /** ‖gᵢ‖ = √(Σ_l sₗᵢ) in double, as the clip factors read it; an example with no captured layer has norm 0. */
        private void summarise() {
            if (clipped >= 0) return;
            int count = 0;
            double sum = 0;
            for (Tensor t : chunkNorms) {
                int layers = t.size(0), n = t.size(1);
                float[] s = t.compact().data();
                for (int i = 0; i < n; i++) {
                    double total = 0;
                    for (int l = 0; l < layers; l++) total += s[l * n + i];
                    double norm = Math.sqrt(total);
                    sum += norm;
                    if (!(norm <= clip)) count++;
                }
            }
            clipped = count;
            meanNorm = batchSize == 0 ? 0 : sum / batchSize;
        }
    }

    private final Module model;
    private final Optimizer optimizer;
    private final Config config;
    private final GaussianNoise noise;
    private final List<PerExampleLayer> layers = new ArrayList<>();
    private final Map<String, Parameter> trainable = new LinkedHashMap<>();
    private PrivacyLedger ledger;
    private String phaseId;
    private long maxSteps = Long.MAX_VALUE;
    private long ledgerOffset;
    private ExtraExamples extra;
    private TestFault fault = TestFault.NONE;

    public DpSgd(Module model, Optimizer optimizer, Config config, GaussianNoise noise) {
        this.model = model;
        this.optimizer = optimizer;
        this.config = config;
        this.noise = noise;
        validate();
    }

    /** Refuses models DP-SGD cannot handle, naming the module or parameter (as Opacus' ModuleValidator does). */
    private void validate() {
        Map<Parameter, Boolean> covered = new IdentityHashMap<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            if (m instanceof MixesExamples && m.isTraining()) {
                throw new IllegalArgumentException("module '" + e.getKey() + "' (" + m.getClass().getSimpleName()
                        + ") mixes examples in training mode, so per-example gradients do not exist: use GroupNorm or InstanceNorm under DP");
            }
            if (m instanceof PerExampleLayer l) {
                boolean any = false;
                for (Parameter p : l.perExampleParameters()) {
                    covered.put(p, Boolean.TRUE);
                    any |= p.requiresGrad();
                }
                if (any) layers.add(l);
            }
        }
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (!e.getValue().requiresGrad()) continue;
            if (!covered.containsKey(e.getValue())) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' is trainable but its module has no per-example gradient rule; freeze it or use a supported layer");
            }
            trainable.put(e.getKey(), e.getValue());
        }
        for (Parameter p : optimizer.parameters()) {
            if (p.requiresGrad() && !trainable.containsValue(p)) throw new IllegalArgumentException("the optimizer updates a parameter outside the model");
        }
    }

    /** Records every step in the ledger before it runs, under the given phase (which must exist there). */
    public DpSgd withLedger(PrivacyLedger ledger, String phaseId) {
        this.ledger = ledger;
        this.phaseId = phaseId;
        return this;
    }

    /**
     * Steps already spent in the ledger phase that the model does not hold: steps a crash lost in a run with secure
     * randomness (their fresh noise cannot be redrawn, so repeating them would spend again). Step k of the model
     * is then ledger step k + offset, and the budget counts ledger steps.
     */
    public DpSgd withLedgerOffset(long offset) {
        if (offset < 0) throw new IllegalArgumentException("negative ledger offset " + offset);
        this.ledgerOffset = offset;
        return this;
    }

    /** The ledger step count the privacy budget allows; stepping beyond it throws. */
    public DpSgd withMaxSteps(long maxSteps) {
        this.maxSteps = maxSteps;
        return this;
    }

    public Config config() {
        return config;
    }

    /**
     * Audit-only: gradients of examples that do not pass through the model (white-box gradient canaries). Each is a
     * flat vector over the trainable parameters in {@link #trainableParameters()} order; it is clipped to total norm
     * C like a real example and joins the clipped sum of that step, before noise. Whoever supplies them decides which
     * steps sample them (Poisson, like real examples), so the accountant's analysis covers them unchanged.
     */
    @FunctionalInterface
    public interface ExtraExamples {
        /** The unclipped per-example gradients that join step {@code step}; empty when none was sampled. */
        List<float[]> at(long step);
    }

    /** Adds white-box canaries to every step (see {@link ExtraExamples}); used by the privacy audit only. */
    public DpSgd withExtraExamples(ExtraExamples extra) {
        this.extra = extra;
        return this;
    }

    /**
     * Deliberate privacy bugs, so that a test can show the empirical audit catches a broken implementation. Set only
     * through {@link #injectFaultForTest}: by tests, and by {@code audit --negative-control}, whose report and ledger
     * phase say the run is not private.
     */
    public enum TestFault {
        NONE,
        /** Clip factors are all 1: a single example can move the sum arbitrarily far. */
        SKIP_CLIPPING,
        /** No Gaussian noise, whatever σ says: the ledger still claims the σ of the config. */
        SKIP_NOISE
    }

    /** Breaks the guarantee on purpose (see {@link TestFault}): tests and the audit's negative control only. */
    public DpSgd injectFaultForTest(TestFault fault) {
        this.fault = fault;
        return this;
    }

    /** The trainable parameters in the order noise is drawn and extra examples are laid out, by name. */
    public Map<String, Parameter> trainableParameters() {
        return java.util.Collections.unmodifiableMap(trainable);
    }

    /** Total number of trainable values: the length of one flat per-example gradient. */
    public int trainableSize() {
        int n = 0;
        for (Parameter p : trainable.values()) n += p.value().numel();
        return n;
    }

    /** Thrown when a step would spend more than the planned budget. */
    public static final class BudgetExhaustedException extends IllegalStateException {
        public BudgetExhaustedException(String message) {
            super(message);
        }
    }

    /** One (A, G) pair handed over by a layer during backward. */
    private record Capture(PerExampleLayer layer, Tensor activation, Tensor gradOut) {}

    /**
     * Runs global step {@code step} on the examples in {@code batch}. {@code perExampleLosses} maps a chunk of example
     * indices to a loss vector [chunk] — one loss per example, each depending on its own example only.
     */
    public StepStats step(long step, int[] batch, Function<int[], Variable> perExampleLosses) throws IOException {
        return step(step, batch, perExampleLosses, null);
    }

    /**
     * As {@link #step(long, int[], Function)}, plus a public gradient: {@code publicGradient} runs an ordinary
     * backward (accumulating into the parameters' gradients) of a loss that reads no private example, such as a GAN
     * discriminator's loss on generated images. It joins after clipping, noise and scaling, without noise: it is a
     * function of the released parameters and of fresh randomness only, so adding it is post-processing and costs no
     * privacy. It is scaled to total norm at most C, the bound of the private mean it joins, so that it cannot
     * outweigh it (unscaled, a GAN discriminator's fake-image gradient taught it to call every image fake on
     * CBIS-DDSM at ε = 10). It must not touch any private example.
     */
    public StepStats step(long step, int[] batch, Function<int[], Variable> perExampleLosses, Runnable publicGradient) throws IOException {
        if (step + ledgerOffset >= maxSteps) {
            throw new BudgetExhaustedException("step " + (step + ledgerOffset + 1) + " would exceed the " + maxSteps + " steps the privacy budget allows");
        }
        if (ledger != null) ledger.reserve(phaseId, step + ledgerOffset + 1);
        Backend be = Backends.current();
        // The clipped sums stay tensors of the backend (on a GPU they never visit the host); null until a chunk adds.
        Map<Parameter, Tensor> sums = new IdentityHashMap<>();
        List<Tensor> chunkNorms = new ArrayList<>();
        for (int from = 0; from < batch.length; from += config.physicalBatch()) {
            int[] chunk = Arrays.copyOfRange(batch, from, Math.min(batch.length, from + config.physicalBatch()));
            List<Capture> captures = backwardWithCapture(chunk, perExampleLosses);
            if (captures.isEmpty()) continue;
            PerExample.Norms[] norms = new PerExample.Norms[captures.size()];
            Tensor[] rows = new Tensor[captures.size()];
            for (int k = 0; k < captures.size(); k++) {
                Capture c = captures.get(k);
                norms[k] = c.layer().perExampleNorms(c.activation(), c.gradOut());
                rows[k] = norms[k].sqNorms().reshape(1, chunk.length);
            }
            Tensor layerNorms = be.concat(rows, 0); // [layers, examples]
            chunkNorms.add(layerNorms);
            Tensor[] factors = clipFactors(be, rows, layerNorms);
            for (int k = 0; k < captures.size(); k++) {
                Capture c = captures.get(k);
                Tensor[] grads = clippedSums(c, norms[k], factors[k]);
                List<Parameter> ps = c.layer().perExampleParameters();
                for (int j = 0; j < ps.size(); j++) {
                    if (grads[j] == null || !ps.get(j).requiresGrad()) continue;
                    accumulate(be, sums, ps.get(j), grads[j]);
                }
            }
        }
        for (Parameter p : trainable.values()) sums.computeIfAbsent(p, q -> be.full(0f, q.value().shapeRef()));
        if (extra != null) addExtraExamples(be, step, sums);
        // Noise in a fixed parameter order from the step's own keystream, so a resumed run adds the same noise.
        noise.source().seekStep(step);
        double std = fault == TestFault.SKIP_NOISE ? 0 : config.noiseMultiplier() * config.maxGradNorm();
        float scale = (float) (1.0 / config.expectedBatchSize());
        for (Parameter p : trainable.values()) sums.put(p, be.unary(UnaryOp.MUL_SCALAR, noise.addTo(sums.get(p), std), scale));
        if (publicGradient != null) addPublicGradient(be, publicGradient, sums);
        for (Parameter p : trainable.values()) p.setGrad(sums.get(p));
        optimizer.step();
        optimizer.zeroGrad();
        return new StepStats(batch.length, config.maxGradNorm(), chunkNorms);
    }

    /**
     * sum += g for one parameter; the first addition is 0 + g (ADD_SCALAR 0), which is bit for bit what adding g to a
     * zero-filled sum gives (a −0 becomes +0), without a zero tensor to upload.
     */
    private static void accumulate(Backend be, Map<Parameter, Tensor> sums, Parameter p, Tensor g) {
        Tensor shaped = g.reshape(p.value().shapeRef());
        Tensor acc = sums.get(p);
        sums.put(p, acc == null ? be.unary(UnaryOp.ADD_SCALAR, shaped, 0f) : be.binary(BinaryOp.ADD, acc, shaped));
    }

    /** Runs the public backward on cleared gradients and adds its result, scaled to norm at most C, to the sums. */
    private void addPublicGradient(Backend be, Runnable publicGradient, Map<Parameter, Tensor> sums) {
        for (Parameter p : trainable.values()) p.zeroGrad();
        publicGradient.run();
        List<Tensor> flat = new ArrayList<>();
        for (Parameter p : trainable.values()) if (p.grad() != null) flat.add(p.grad().reshape(1, -1));
        if (flat.isEmpty()) return;
        // One norm over all parameters, squares summed in double in parameter order.
        Tensor c = be.rowClipFactors(be.concat(flat.toArray(new Tensor[0]), 1), config.maxGradNorm());
        for (Parameter p : trainable.values()) {
            if (p.grad() == null) continue;
            sums.put(p, be.binary(BinaryOp.ADD, sums.get(p), be.binary(BinaryOp.MUL, p.grad(), c)));
            p.zeroGrad();
        }
    }

    /** Clips each extra example to norm C and adds it, split by parameter, to the step's sums. */
    private void addExtraExamples(Backend be, long step, Map<Parameter, Tensor> sums) {
        int size = trainableSize();
        for (float[] g : extra.at(step)) {
            if (g.length != size) throw new IllegalArgumentException("extra example of " + g.length + " values for " + size + " trainable values");
            double sq = 0;
            for (float v : g) sq += (double) v * v;
            float c = clip(Math.sqrt(sq), config.maxGradNorm());
            int at = 0;
            for (Parameter p : trainable.values()) {
                int n = p.value().numel();
                Tensor part = Tensor.of(Arrays.copyOfRange(g, at, at + n), p.value().shapeRef());
                sums.put(p, be.binary(BinaryOp.ADD, sums.get(p), be.unary(UnaryOp.MUL_SCALAR, part, c)));
                at += n;
            }
        }
    }

    /** Σ cᵢ·gᵢ per parameter: from the materialised per-example gradients if the norm rule kept them, else Aᵀ·diag(c)·G. */
    private static Tensor[] clippedSums(Capture c, PerExample.Norms norms, Tensor factors) {
        Tensor[] perExample = norms.perExampleGrads();
        if (perExample == null) return c.layer().gradients(c.activation(), PerExample.scaleExamples(c.gradOut(), factors));
        Tensor[] out = new Tensor[perExample.length];
        for (int j = 0; j < out.length; j++) {
            if (perExample[j] != null) out[j] = PerExample.clippedSumOfMaterialised(perExample[j], factors);
        }
        return out;
    }

    /** Per-example losses of a chunk, one backward, and the (A, G) of every trainable layer, each layer once. */
    private List<Capture> backwardWithCapture(int[] chunk, Function<int[], Variable> perExampleLosses) {
        List<Capture> captures = new ArrayList<>();
        Map<PerExampleLayer, Boolean> seen = new IdentityHashMap<>();
        for (PerExampleLayer l : layers) {
            l.setGradientSink((layer, a, g) -> {
                if (seen.put(layer, Boolean.TRUE) != null) {
                    throw new IllegalStateException(layer.getClass().getSimpleName() + " was applied twice in one DP step: its per-example"
                            + " gradient would need cross terms; run it once on the concatenated batch");
                }
                captures.add(new Capture(layer, a, g));
            });
        }
        try {
            Variable losses = perExampleLosses.apply(chunk);
            if (losses.rank() != 1 || losses.size(0) != chunk.length) {
                throw new IllegalArgumentException("per-example losses must be a vector of " + chunk.length + ", got " + Shape.str(losses.value().shapeRef()));
            }
            // The sum, not the mean: each example's own gradient reaches the layers unscaled.
            if (chunk.length > 0 && losses.requiresGrad()) Ops.sum(losses, false).backward();
        } finally {
            for (PerExampleLayer l : layers) l.setGradientSink(null);
        }
        return captures;
    }

    /**
     * cᵢ per capture: flat clipping reads the total norm over all layers ([layers, examples] summed in double), per-layer
     * clipping each layer's own row against C/√L. SKIP_CLIPPING clips at +∞: factor 1, and still 0 for a non-finite norm.
     */
    private Tensor[] clipFactors(Backend be, Tensor[] rows, Tensor layerNorms) {
        Tensor[] f = new Tensor[rows.length];
        boolean off = fault == TestFault.SKIP_CLIPPING;
        if (config.clipping() == Clipping.FLAT) {
            Arrays.fill(f, be.clipFactors(layerNorms, off ? Double.POSITIVE_INFINITY : config.maxGradNorm()));
        } else {
            double perLayer = off ? Double.POSITIVE_INFINITY : config.maxGradNorm() / Math.sqrt(Math.max(1, layers.size()));
            for (int k = 0; k < rows.length; k++) f[k] = be.clipFactors(rows[k], perLayer);
        }
        return f;
    }

    /** The clip factor, or 1 under the SKIP_CLIPPING test fault (which still drops non-finite norms). */
    private float clip(double norm, double c) {
        if (fault == TestFault.SKIP_CLIPPING) return Double.isFinite(norm) ? 1f : 0f;
        return Backend.clipFactor(norm, c);
    }
}
