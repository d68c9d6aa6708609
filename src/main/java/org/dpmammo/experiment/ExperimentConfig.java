package org.dpmammo.experiment;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.models.cnn.DemoCnn;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.train.ModelSpec;

/**
 * Every setting of an experiment grid. A config file is JSON laid over a preset ({@code "preset"} names it,
 * default {@code paper}): keys it gives replace the preset's, and a key the preset does not have is an error that
 * names it, so a misspelt setting can never be silently ignored. ε values are numbers or {@code "inf"}.
 *
 * @param grid the ε values of each condition (∞ = no DP), in the order the report lists them
 * @param seeds one run of every cell per seed; the GAN, the synthetic set and the pretrained model are per seed
 * @param accountants what calibrates σ: "rdp" (the study's Opacus), "prv" (tighter, so less noise for the same ε), or
 *     both, which plans every DP cell once per accountant (the ε = ∞ cells, which no accountant touches, once) so
 *     the report can put the two grids side by side. A config file gives one name or a list.
 * @param reproducibleDp {@code "reproducible_dp": true} draws every DP cell's noise and batches from its seed and
 *     the cell's own run id instead of the secure source (research only: the ε then printed is not a guarantee, and
 *     results.csv and the report say so); default false
 */
public record ExperimentConfig(String preset, Map<Condition, List<Double>> grid, List<Long> seeds, double delta, double maxGradNorm, List<String> accountants,
                               Classifier classifier, Pretrain pretrain, Gan gan, PublicPretraining publicPretraining, int threads,
                               boolean reproducibleDp) {
    /** Duplicate keys are an error ("Duplicate field 'delta'"), not last-wins: a config must say one thing. */
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    public static final List<String> PRESETS = List.of("paper", "cpu", "demo");
    public static final List<String> ACCOUNTANTS = List.of("rdp", "prv");

    /**
     * The classifier cells: the model (a Swin preset paper, cpu, tiny, vit; the fixed-feature models scatter, radiomics, scatter_radiomics; see ModelSpec.of) or the demo's small CNN, and the optimiser settings (docs/STUDY.md §3.2).
     * {@code augMultiplicity} K (1–4, "aug_multiplicity") averages each example's gradient over K of its flip variants
     * in the cells that train a head on a frozen backbone (ClassifierTrainer); 1, the study's one random flip, elsewhere.
     *
     * @param finetune what the pretrain_dp cells train under DP: "head" (the study: the pretrained model's last layer)
     *     or "full" (every trainable parameter: all of the CNN, the Swin, or a fixed-feature model's affine and head)
     * @param activation the CNN's activation, one of DemoCnn.ACTIVATIONS ("leaky_relu" for every other model, which has its own)
     */
    public record Classifier(String model, int epochs, int batchSize, double lr, double weightDecay, double labelSmoothing,
                             int physicalBatch, String initWeights, String head, int augMultiplicity, String finetune, String activation) {
        /** The study's heads: an MLP on a frozen backbone, linear where a pretrained model is fine-tuned. */
        public Classifier(String model, int epochs, int batchSize, double lr, double weightDecay, double labelSmoothing, int physicalBatch, String initWeights) {
            this(model, epochs, batchSize, lr, weightDecay, labelSmoothing, physicalBatch, initWeights, "mlp", 1);
        }

        /** The study's head-only fine-tuning and the default activation. */
        public Classifier(String model, int epochs, int batchSize, double lr, double weightDecay, double labelSmoothing, int physicalBatch, String initWeights,
                          String head, int augMultiplicity) {
            this(model, epochs, batchSize, lr, weightDecay, labelSmoothing, physicalBatch, initWeights, head, augMultiplicity, FINETUNES.get(0),
                    DemoCnn.ACTIVATIONS.get(0));
        }

        /** Whether a cell that does not fine-tune a pretrained model trains a linear head ("head": "linear") rather than the study's MLP. */
        public boolean linearHeads() {
            return head.equals("linear");
        }

        /** Whether the pretrain_dp cells DP-fine-tune the whole pretrained model rather than its head. */
        public boolean finetuneFull() {
            return finetune.equals("full");
        }
    }

    /** Values of {@code classifier.head}: the study's (MLP on frozen features), or linear heads everywhere. */
    public static final List<String> HEADS = List.of("mlp", "linear");
    /** Values of {@code classifier.finetune}; the first, the study's, is the default. */
    public static final List<String> FINETUNES = List.of("head", "full");

    /** The full-model pretraining on synthetic data (the study's dbr15). */
    public record Pretrain(int epochs, double lr) {}

    /**
     * The stand-in for the study's ImageNet weights where none are given: the whole classifier trained once, without
     * DP, on public data (data that needs no privacy), and used as the starting point of every run. Null when
     * {@code classifier.init_weights} supplies real pretrained weights, or to start from random weights.
     */
    public record PublicPretraining(String train, String val, int epochs, double lr) {}

    /**
     * The GAN trained per seed when no synthetic set is given, and how many labelled samples it writes. With
     * {@code dpEpsilon} (null: the study's non-private GAN) its discriminator trains with DP-SGD to that ε at the
     * experiment's δ and C (InstanceNorm in D), and every cell that uses its samples reports the composed end-to-end ε.
     * {@code model} "merf" is DP-MERF instead (needs {@code dpEpsilon}; one Gaussian release, then the generator fitted
     * for {@code epochs} × ⌈N/32⌉ steps of 32, i.e. each epoch generates as many images as there are real ones).
     */
    public record Gan(String model, int epochs, int samples, Double dpEpsilon) {
        public Gan(String model, int epochs, int samples) {
            this(model, epochs, samples, null);
        }
    }

    private static final double INF = Double.POSITIVE_INFINITY;

    public static ExperimentConfig preset(String name) {
        Map<Condition, List<Double>> study = new EnumMap<>(Condition.class);
        List<Double> all = List.of(1.0, 6.0, 12.0, 20.0, 60.0, INF);
        study.put(Condition.REAL, all);
        study.put(Condition.REAL_SYNTH, all);
        study.put(Condition.SYNTH, List.of(6.0, 60.0, INF));
        study.put(Condition.PRETRAIN_DP, all);
        return switch (name) {
            // The study's protocol as published: Swin-T at 224, 300 epochs, AdamW 1e-5, batch 128, the 1400-epoch GAN.
            case "paper" -> new ExperimentConfig("paper", study, List.of(42L, 43L, 44L), 1e-4, 1.0, List.of("rdp"),
                    new Classifier("paper", 300, 128, 1e-5, 1e-8, 0.1, 16, null), new Pretrain(300, 1e-5), new Gan("paper", 1400, 3000), null, 2, false);
            // The same grid on features two CPU cores can afford without ImageNet: 26 fixed radiomics features of the
            // 64 px patch (RadiomicsNet), linear heads trained 30 epochs; synthetic pretraining learns the features'
            // affine and a linear head (15 epochs). Measured against wavelet scattering, scattering + radiomics, 128 px,
            // larger batches and augmentation multiplicity on the same grid: under DP radiomics scored best (docs/RESULTS.md).
            case "cpu" -> new ExperimentConfig("cpu", study, List.of(42L, 43L, 44L), 1e-4, 1.0, List.of("rdp"),
                    new Classifier("radiomics", 30, 128, 1e-3, 1e-8, 0.1, 64, null, "linear", 1), new Pretrain(15, 1e-3), new Gan("cpu", 36, 3000), null, 2, false);
            // Minutes: ε ∈ {1, 8, ∞}, one seed, a GAN of a few epochs, and the small CNN in place of the Swin (see
            // CnnTrainers: without ImageNet weights a frozen tiny Swin gives features that carry almost nothing).
            // Synthetic-only runs without DP alone: the GAN is not private, so DP on its samples protects no real
            // record (end-to-end ε stays ∞), and those two cells took a tenth of the demo's time.
            // Settings measured on the phantom (docs/RESULTS.md, "The demo"): 24 epochs take the non-private CNN
            // past AUROC 0.85; the pretraining's best validation epoch comes early, so 10 suffice.
            case "demo" -> {
                Map<Condition, List<Double>> g = new EnumMap<>(Condition.class);
                for (Condition c : Condition.values()) g.put(c, c == Condition.SYNTH ? List.of(INF) : List.of(1.0, 8.0, INF));
                yield new ExperimentConfig("demo", g, List.of(42L), 1e-4, 1.0, List.of("rdp"),
                        new Classifier("cnn", 24, 64, 2e-3, 1e-8, 0.1, 64, null), new Pretrain(10, 2e-3), new Gan("cpu", 2, 800), null, 2, false);
            }
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (expected " + String.join(", ", PRESETS) + ")");
        };
    }

    /** Reads a config file's text: JSON over the preset it names; unknown keys and impossible values fail, naming the key. */
    public static ExperimentConfig parse(String text) {
        JsonNode user;
        try {
            user = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("config is not valid JSON: " + e.getOriginalMessage());
        }
        if (user == null || !user.isObject()) throw new IllegalArgumentException("config must be a JSON object");
        String base = user.has("preset") ? user.get("preset").asText() : "paper";
        if (!PRESETS.contains(base)) throw new IllegalArgumentException("config key 'preset': unknown preset '" + base + "' (expected " + String.join(", ", PRESETS) + ")");
        ObjectNode merged = preset(base).toJson();
        overlay(merged, (ObjectNode) user, "");
        return fromJson(merged);
    }

    /** Lays user over base in place; "grid" is replaced whole, since its keys are the conditions to run. */
    private static void overlay(ObjectNode base, ObjectNode user, String path) {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = path + e.getKey();
            JsonNode old = base.get(e.getKey());
            if (old == null) {
                List<String> known = new ArrayList<>();
                base.fieldNames().forEachRemaining(known::add);
                throw new IllegalArgumentException("config: unknown key '" + key + "' (known here: " + String.join(", ", known) + ")");
            }
            if (old.isObject() && !key.equals("grid")) {
                if (!e.getValue().isObject()) throw new IllegalArgumentException("config key '" + key + "' must be an object");
                overlay((ObjectNode) old, (ObjectNode) e.getValue(), key + ".");
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("preset", preset);
        ObjectNode g = o.putObject("grid");
        grid.forEach((c, eps) -> {
            ArrayNode a = g.putArray(c.key);
            for (double e : eps) {
                if (Double.isInfinite(e)) a.add("inf");
                else a.add(e);
            }
        });
        ArrayNode s = o.putArray("seeds");
        seeds.forEach(s::add);
        o.put("delta", delta);
        o.put("max_grad_norm", maxGradNorm);
        // One name stays a string, as config files wrote it before lists were allowed, so their config.json still
        // compares equal and an experiment started then resumes.
        if (accountants.size() == 1) {
            o.put("accountant", accountants.get(0));
        } else {
            ArrayNode a = o.putArray("accountant");
            accountants.forEach(a::add);
        }
        ObjectNode c = o.putObject("classifier");
        c.put("model", classifier.model());
        c.put("epochs", classifier.epochs());
        c.put("batch_size", classifier.batchSize());
        c.put("lr", classifier.lr());
        c.put("weight_decay", classifier.weightDecay());
        c.put("label_smoothing", classifier.labelSmoothing());
        c.put("physical_batch", classifier.physicalBatch());
        c.put("init_weights", classifier.initWeights());
        c.put("head", classifier.head());
        c.put("aug_multiplicity", classifier.augMultiplicity());
        c.put("finetune", classifier.finetune());
        c.put("activation", classifier.activation());
        ObjectNode p = o.putObject("pretrain");
        p.put("epochs", pretrain.epochs());
        p.put("lr", pretrain.lr());
        ObjectNode n = o.putObject("gan");
        n.put("model", gan.model());
        n.put("epochs", gan.epochs());
        n.put("samples", gan.samples());
        if (gan.dpEpsilon() == null) n.putNull("dp_epsilon");
        else n.put("dp_epsilon", gan.dpEpsilon());
        if (publicPretraining == null) {
            o.putNull("public_pretraining");
        } else {
            ObjectNode pp = o.putObject("public_pretraining");
            pp.put("train", publicPretraining.train());
            pp.put("val", publicPretraining.val());
            pp.put("epochs", publicPretraining.epochs());
            pp.put("lr", publicPretraining.lr());
        }
        o.put("threads", threads);
        o.put("reproducible_dp", reproducibleDp);
        return o;
    }

    static ExperimentConfig fromJson(JsonNode o) {
        Map<Condition, List<Double>> grid = new LinkedHashMap<>();
        JsonNode g = o.get("grid");
        if (!g.isObject() || g.isEmpty()) throw new IllegalArgumentException("config key 'grid' must map conditions to ε lists");
        for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "grid." + e.getKey();
            Condition c;
            try {
                c = Condition.parse(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("config: unknown key '" + key + "': " + ex.getMessage());
            }
            if (!e.getValue().isArray() || e.getValue().isEmpty()) throw new IllegalArgumentException("config key '" + key + "' must be a non-empty list of ε values");
            List<Double> eps = new ArrayList<>();
            for (JsonNode v : e.getValue()) {
                double x = epsilon(v, key);
                if (eps.contains(x)) throw new IllegalArgumentException("config key '" + key + "': ε " + v + " is listed twice");
                eps.add(x);
            }
            grid.put(c, List.copyOf(eps));
        }
        JsonNode s = o.get("seeds");
        if (!s.isArray() || s.isEmpty()) throw new IllegalArgumentException("config key 'seeds' must be a non-empty list of whole numbers");
        List<Long> seeds = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (JsonNode v : s) {
            if (!v.canConvertToLong() || !v.isIntegralNumber()) throw new IllegalArgumentException("config key 'seeds': " + v + " is not a whole number");
            if (!seen.add(v.asLong())) throw new IllegalArgumentException("config key 'seeds': " + v + " is listed twice");
            seeds.add(v.asLong());
        }
        double delta = number(o, "delta", "");
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("config key 'delta': δ must be in (0, 1), got " + delta);
        double clip = number(o, "max_grad_norm", "");
        if (!(clip > 0 && clip < INF)) throw new IllegalArgumentException("config key 'max_grad_norm': must be positive and finite, got " + clip);
        JsonNode c = o.get("classifier");
        String model = text(c, "model", "classifier.");
        if (!model.equals("cnn") && !ModelSpec.PRESETS.contains(model)) {
            throw new IllegalArgumentException("config key 'classifier.model': expected " + String.join(", ", ModelSpec.PRESETS) + " or cnn, got '" + model + "'");
        }
        double ls = number(c, "label_smoothing", "classifier.");
        if (!(ls >= 0 && ls < 1)) throw new IllegalArgumentException("config key 'classifier.label_smoothing': must be in [0, 1), got " + ls);
        double wd = number(c, "weight_decay", "classifier.");
        if (!(wd >= 0)) throw new IllegalArgumentException("config key 'classifier.weight_decay': must be ≥ 0, got " + wd);
        JsonNode init = c.get("init_weights");
        Classifier cl = new Classifier(model, positiveInt(c, "epochs", "classifier."), positiveInt(c, "batch_size", "classifier."),
                positive(c, "lr", "classifier."), wd, ls, positiveInt(c, "physical_batch", "classifier."),
                init == null || init.isNull() ? null : text(c, "init_weights", "classifier."), head(c), augMultiplicity(c, model),
                choice(c, "finetune", FINETUNES), activation(c, model));
        JsonNode p = o.get("pretrain");
        Pretrain pre = new Pretrain(positiveInt(p, "epochs", "pretrain."), positive(p, "lr", "pretrain."));
        JsonNode n = o.get("gan");
        String ganModel = text(n, "model", "gan.");
        if (!List.of("paper", "cpu", "merf").contains(ganModel)) throw new IllegalArgumentException("config key 'gan.model': expected paper, cpu or merf, got '" + ganModel + "'");
        JsonNode dpEps = n.get("dp_epsilon");
        Double ganEpsilon = null;
        if (dpEps != null && !dpEps.isNull()) {
            if (!dpEps.isNumber()) throw new IllegalArgumentException("config key 'gan.dp_epsilon': expected null or a positive finite ε, got " + dpEps);
            Calibration.checkTrainingTarget(dpEps.asDouble(), "config key 'gan.dp_epsilon'");
            ganEpsilon = dpEps.asDouble();
        }
        if (ganModel.equals("merf") && ganEpsilon == null) throw new IllegalArgumentException("config key 'gan.dp_epsilon': gan.model merf (DP-MERF) is a DP generator and needs its ε");
        Gan gan = new Gan(ganModel, positiveInt(n, "epochs", "gan."), positiveInt(n, "samples", "gan."), ganEpsilon);
        JsonNode pp = o.get("public_pretraining");
        PublicPretraining pub = null;
        if (pp != null && !pp.isNull()) {
            if (!pp.isObject()) throw new IllegalArgumentException("config key 'public_pretraining' must be null or an object");
            for (Iterator<String> it = pp.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!List.of("train", "val", "epochs", "lr").contains(k)) throw new IllegalArgumentException("config: unknown key 'public_pretraining." + k + "' (known here: train, val, epochs, lr)");
            }
            pub = new PublicPretraining(text(pp, "train", "public_pretraining."), text(pp, "val", "public_pretraining."),
                    positiveInt(pp, "epochs", "public_pretraining."), positive(pp, "lr", "public_pretraining."));
        }
        List<String> accountants = accountants(o.get("accountant"));
        return new ExperimentConfig(text(o, "preset", ""), grid, List.copyOf(seeds), delta, clip, accountants, cl, pre, gan, pub, positiveInt(o, "threads", ""),
                bool(o, "reproducible_dp"));
    }

    /** classifier.head: mlp or linear; absent in configs written before the key existed, which meant mlp. */
    private static String head(JsonNode c) {
        if (c.get("head") == null) return "mlp";
        String h = text(c, "head", "classifier.");
        if (!HEADS.contains(h)) throw new IllegalArgumentException("config key 'classifier.head': expected " + String.join(" or ", HEADS) + ", got '" + h + "'");
        return h;
    }

    /** A classifier key that names one of values; absent in configs written before the key existed, which meant the first. */
    private static String choice(JsonNode c, String name, List<String> values) {
        if (c.get(name) == null) return values.get(0);
        String v = text(c, name, "classifier.");
        if (!values.contains(v)) throw new IllegalArgumentException("config key 'classifier." + name + "': expected " + String.join(" or ", values) + ", got '" + v + "'");
        return v;
    }

    /** classifier.activation: only the CNN's can be chosen; the Swin and fixed-feature models keep their own. */
    private static String activation(JsonNode c, String model) {
        String a = choice(c, "activation", DemoCnn.ACTIVATIONS);
        if (!model.equals("cnn") && !a.equals(DemoCnn.ACTIVATIONS.get(0))) {
            throw new IllegalArgumentException("config key 'classifier.activation': '" + a + "' applies to classifier.model cnn only, not '" + model + "'");
        }
        return a;
    }

    /** classifier.aug_multiplicity: 1–4 flip variants per example; absent in configs written before the key existed, which meant 1. */
    private static int augMultiplicity(JsonNode c, String model) {
        if (c.get("aug_multiplicity") == null) return 1;
        int k = positiveInt(c, "aug_multiplicity", "classifier.");
        if (k > 4) throw new IllegalArgumentException("config key 'classifier.aug_multiplicity': at most 4 (the flip variants), got " + k);
        if (k > 1 && model.equals("cnn")) throw new IllegalArgumentException("config key 'classifier.aug_multiplicity': the cnn trains end to end; multiplicity needs a frozen backbone's cached features");
        return k;
    }

    /** "accountant": one name or a non-empty list of distinct names, each rdp or prv. */
    static List<String> accountants(JsonNode v) {
        boolean list = v != null && v.isArray() && !v.isEmpty();
        if (!list && (v == null || !v.isTextual())) {
            throw new IllegalArgumentException("config key 'accountant' must be " + String.join(" or ", ACCOUNTANTS) + " or a non-empty list of them, got " + v);
        }
        List<String> names = new ArrayList<>();
        for (JsonNode n : list ? v : List.of(v)) {
            if (!n.isTextual() || !ACCOUNTANTS.contains(n.asText())) {
                throw new IllegalArgumentException("config key 'accountant': expected " + String.join(" or ", ACCOUNTANTS) + ", got " + n);
            }
            if (names.contains(n.asText())) throw new IllegalArgumentException("config key 'accountant': " + n + " is listed twice");
            names.add(n.asText());
        }
        return List.copyOf(names);
    }

    /** The same config with other calibrating accountants (the command line's --accountant over a preset or file). */
    public ExperimentConfig withAccountants(List<String> names) {
        ObjectNode o = toJson();
        ArrayNode a = o.putArray("accountant");
        names.forEach(a::add);
        return fromJson(o);
    }

    /** A target ε: a positive finite number, or "inf" (no DP). */
    static double epsilon(JsonNode v, String key) {
        if (v.isTextual() && List.of("inf", "infinity", "∞").contains(v.asText().toLowerCase())) return INF;
        if (!v.isNumber()) throw new IllegalArgumentException("config key '" + key + "': ε must be a number or \"inf\", got " + v);
        double x = v.asDouble();
        Calibration.checkTrainingTarget(x, "config key '" + key + "'");
        return x;
    }

    private static double number(JsonNode o, String name, String path) {
        JsonNode v = o.get(name);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException("config key '" + path + name + "' must be a number, got " + v);
        return v.asDouble();
    }

    private static double positive(JsonNode o, String name, String path) {
        double x = number(o, name, path);
        if (!(x > 0) || Double.isInfinite(x)) throw new IllegalArgumentException("config key '" + path + name + "' must be positive, got " + x);
        return x;
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isBoolean()) throw new IllegalArgumentException("config key '" + name + "' must be true or false");
        return v.asBoolean();
    }

    /** Where a DP cell of this seed draws its noise and batches: secure unless the config opted in to reproducible. */
    public Randomness dpRandomness(long seed) {
        return reproducibleDp ? Randomness.reproducible(seed) : Randomness.secure();
    }

    private static int positiveInt(JsonNode o, String name, String path) {
        JsonNode v = o.get(name);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new IllegalArgumentException("config key '" + path + name + "' must be a positive whole number, got " + v);
        }
        return v.asInt();
    }

    private static String text(JsonNode o, String name, String path) {
        JsonNode v = o.get(name);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("config key '" + path + name + "' must be a string, got " + v);
        return v.asText();
    }

    /** Whether any cell needs synthetic data (and so a GAN per seed, unless a synthetic folder is given). */
    public boolean needsSynthetic() {
        return grid.keySet().stream().anyMatch(c -> c.usesSynthetic);
    }
}
