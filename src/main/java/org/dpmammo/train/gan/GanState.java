package org.dpmammo.train.gan;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.dpmammo.models.gan.Discriminator;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.optim.Adam;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.BadInputException;
import org.dpmammo.util.Rng;

/**
 * Everything a GAN run needs to continue exactly where it stopped: both networks, both Adam states and the number
 * of finished epochs. Random draws are not saved as a generator position: every epoch's draws come from streams
 * derived from (seed, epoch), so the epoch number is the position.
 *
 * <p>A checkpoint is one safetensors file with the tensors under {@code generator.}, {@code discriminator.},
 * {@code optimizer_g.} and {@code optimizer_d.} (and {@code generator_ema.} when an exponential moving average of G's
 * weights is kept), and metadata {@code format}, {@code config} (the model as JSON), {@code epoch}, {@code seed},
 * {@code ema_decay} and whatever provenance the caller adds.
 */
public final class GanState {
    public static final String FORMAT = "dpmammo-gan-checkpoint/1";
    private static final String EMA_PREFIX = "generator_ema.";
    /**
     * Metadata key naming what trained the checkpoint's generator: {@link #KIND} for a GAN training state,
     * {@code MerfTrainer.KIND} for a DP-MERF generator (checkpoints from before the key are GAN states). Both hold
     * {@code generator.} and sample alike; each trainer refuses to continue the other's.
     */
    public static final String KIND_KEY = "kind", KIND = "gan";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long INIT_STREAM = 0x494E4954L;

    public final GanConfig config;
    public final Generator generator;
    public final Discriminator discriminator;
    public final Adam optG, optD;
    public final long seed;
    /** The moving average of G's weights that sampling uses (null when none is kept) and its decay. */
    public final Generator ema;
    public final double emaDecay;
    private int epoch;

    /** Fresh networks initialised from a stream of the seed, Adam with the study's settings (lr, β₁, β₂). */
    public GanState(GanConfig config, long seed, double lr, double beta1, double beta2) {
        this(config, seed, lr, beta1, beta2, beta1, 0);
    }

    /**
     * The same with D's Adam at its own β₁ ({@code beta1D}; DP GAN practice uses a smaller one) and, when
     * {@code emaDecay} > 0, an exponential moving average of G's weights, started at G's initial weights and updated
     * after each G step as ema ← decay·ema + (1 − decay)·G (G's BatchNorm statistics are copied, not averaged).
     */
    public GanState(GanConfig config, long seed, double lr, double beta1, double beta2, double beta1D, double emaDecay) {
        if (!(emaDecay >= 0 && emaDecay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + emaDecay);
        this.config = config;
        this.seed = seed;
        this.emaDecay = emaDecay;
        Rng init = new Rng(seed).fork(INIT_STREAM);
        generator = new Generator(config, init);
        discriminator = new Discriminator(config, init);
        optG = new Adam(generator.trainableParameters(), lr, beta1, beta2, 1e-8, 0);
        optD = new Adam(discriminator.trainableParameters(), lr, beta1D, beta2, 1e-8, 0);
        if (emaDecay > 0) {
            ema = new Generator(config, new Rng(0));
            ema.loadStateDict(generator.stateDict(), true);
            ema.eval();
        } else {
            ema = null;
        }
    }

    /** The generator samples come from: the moving average if one is kept, else G itself. */
    public Generator sampler() {
        return ema != null ? ema : generator;
    }

    /** One EMA update after a G step; nothing without an EMA. */
    void updateEma() {
        if (ema == null) return;
        Map<String, Tensor> avg = ema.stateDict(), next = new LinkedHashMap<>();
        Set<String> params = generator.namedParameters().keySet();
        generator.stateDict().forEach((k, v) -> {
            if (!params.contains(k)) {
                next.put(k, v);
                return;
            }
            float[] a = avg.get(k).toArray(), g = v.toArray();
            for (int i = 0; i < a.length; i++) a[i] = (float) (emaDecay * a[i] + (1 - emaDecay) * g[i]);
            next.put(k, Tensor.of(a, v.shape()));
        });
        ema.loadStateDict(next, true);
    }

    /** Epochs finished so far. */
    public int epoch() {
        return epoch;
    }

    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    public void save(Path file, Map<String, String> extraMetadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Set<String> int64 = new LinkedHashSet<>();
        put(tensors, int64, "generator.", generator);
        put(tensors, int64, "discriminator.", discriminator);
        optG.state().forEach((k, v) -> tensors.put("optimizer_g." + k, v));
        optD.state().forEach((k, v) -> tensors.put("optimizer_d." + k, v));
        if (ema != null) put(tensors, int64, EMA_PREFIX, ema);
        Map<String, String> meta = new LinkedHashMap<>(extraMetadata);
        meta.put("ema_decay", Double.toString(emaDecay));
        meta.put("format", FORMAT);
        meta.put(KIND_KEY, KIND);
        meta.put("config", configJson(config));
        meta.put("epoch", Integer.toString(epoch));
        meta.put("seed", Long.toString(seed));
        SafeTensors.write(file, tensors, int64, meta);
    }

    private static void put(Map<String, Tensor> out, Set<String> int64, String prefix, Module m) {
        m.stateDict().forEach((k, v) -> out.put(prefix + k, v));
        for (String k : m.integerStateKeys()) int64.add(prefix + k);
    }

    /** The model configuration a checkpoint was made with. */
    public static GanConfig configOf(SafeTensors.Contents c, Path file) throws IOException {
        if (!FORMAT.equals(c.metadata().get("format"))) {
            throw new BadInputException(file + ": not a dpmammo GAN checkpoint (format '" + c.metadata().get("format") + "')");
        }
        return parseConfig(c.metadata().get("config"));
    }

    /** Restores a full training state (networks, optimizers, epoch) from a checkpoint of the same model. */
    public void load(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        GanConfig saved = configOf(c, file);
        String kind = c.metadata().getOrDefault(KIND_KEY, KIND);
        if (!KIND.equals(kind)) throw new BadInputException(file + ": a " + kind + " checkpoint, not a GAN training state; continue it with gan train --model " + kind);
        if (!saved.equals(config)) throw new BadInputException(file + ": checkpoint model " + saved + " differs from this run's " + config);
        generator.loadStateDict(section(c.tensors(), "generator."), true);
        discriminator.loadStateDict(section(c.tensors(), "discriminator."), true);
        optG.loadState(section(c.tensors(), "optimizer_g."));
        optD.loadState(section(c.tensors(), "optimizer_d."));
        Map<String, Tensor> avg = section(c.tensors(), EMA_PREFIX);
        if (ema != null && avg.isEmpty()) throw new BadInputException(file + ": checkpoint has no generator EMA but this run keeps one (--ema-decay)");
        if (ema == null && !avg.isEmpty()) throw new BadInputException(file + ": checkpoint has a generator EMA but this run keeps none (--ema-decay)");
        if (ema != null) ema.loadStateDict(avg, true);
        epoch = Integer.parseInt(c.metadata().get("epoch"));
    }

    /** Only the generator of a checkpoint, for sampling: its moving average where the run kept one. */
    public static Generator loadGenerator(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Generator g = new Generator(configOf(c, file), new Rng(0));
        Map<String, Tensor> avg = section(c.tensors(), EMA_PREFIX);
        g.loadStateDict(avg.isEmpty() ? section(c.tensors(), "generator.") : avg, true);
        g.eval();
        return g;
    }

    static Map<String, Tensor> section(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    static String configJson(GanConfig c) {
        try {
            return JSON.writeValueAsString(modelConfig(c));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model's settings under the keys both checkpoints and a run's config.json use. */
    static Map<String, Object> modelConfig(GanConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image_size", c.imageSize());
        m.put("latent_size", c.latentSize());
        m.put("ngf", c.ngf());
        m.put("ndf", c.ndf());
        m.put("embedding_size", c.embeddingSize());
        m.put("norm_g", c.generatorNorm().name().toLowerCase());
        m.put("norm_d", c.discriminatorNorm().name().toLowerCase());
        m.put("real_range", c.realRange().name().toLowerCase());
        m.put("upsampling", c.upsampling().name().toLowerCase());
        return m;
    }

    /** One network's norm; checkpoints written before G and D could differ hold a single "norm" for both. */
    private static GanConfig.Norm norm(Map<?, ?> m, String key) {
        Object v = m.containsKey(key) ? m.get(key) : m.get("norm");
        return GanConfig.Norm.parse((String) v);
    }

    static GanConfig parseConfig(String json) throws IOException {
        if (json == null) throw new BadInputException("checkpoint has no model configuration");
        try {
            Map<?, ?> m = JSON.readValue(json, Map.class);
            return new GanConfig(((Number) m.get("image_size")).intValue(), ((Number) m.get("latent_size")).intValue(),
                    ((Number) m.get("ngf")).intValue(), ((Number) m.get("ndf")).intValue(), ((Number) m.get("embedding_size")).intValue(),
                    norm(m, "norm_g"), norm(m, "norm_d"), GanConfig.RealRange.parse((String) m.get("real_range")),
                    // Checkpoints from before the option have the study's transposed convolutions.
                    GanConfig.Upsampling.parse((String) (m.containsKey("upsampling") ? m.get("upsampling") : "transposed")));
        } catch (RuntimeException | IOException e) {
            throw new BadInputException("checkpoint model configuration is unreadable: " + json, e);
        }
    }
}
