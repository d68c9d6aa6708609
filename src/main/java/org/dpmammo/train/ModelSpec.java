package org.dpmammo.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.radiomics.RadiomicsNet;
import org.dpmammo.models.scatter.ScatterNet;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.util.Rng;

/**
 * What is needed to rebuild a classifier from its checkpoint: the backbone (a Swin shape, a scattering shape, or a
 * radiomics shape — radiomics alone or followed by scattering), the head kind and the class count. Exactly one of
 * {@code swin}, {@code scatter} and {@code radiomics} is set. Stored as JSON in every checkpoint's metadata under
 * {@link #KEY}; Swin descriptions are written as before the fixed-feature backbones existed.
 */
public record ModelSpec(SwinConfig swin, ScatterNet.Config scatter, RadiomicsNet.Config radiomics, SwinTransformer.Head head, int classes) {
    public static final String KEY = "dpmammo.model";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The names {@link #of} knows, for validation and help texts. */
    public static final List<String> PRESETS = List.of("paper", "cpu", "tiny", "vit", "scatter", "radiomics", "radiomics_128", "scatter_radiomics");

    public ModelSpec {
        int set = (swin != null ? 1 : 0) + (scatter != null ? 1 : 0) + (radiomics != null ? 1 : 0);
        if (set != 1) throw new IllegalArgumentException("a model has exactly one backbone: a Swin, a scattering or a radiomics one");
    }

    public ModelSpec(SwinConfig swin, SwinTransformer.Head head, int classes) {
        this(swin, null, null, head, classes);
    }

    /**
     * The named preset with a head: "paper" (torchvision swin_t, 224×224), "cpu" (the reduced Swin, 64×64), "tiny"
     * (32×32, for tests and smoke runs), "vit" (a ViT-style global-attention model at 64×64, see {@link SwinConfig#vit}),
     * "scatter" (fixed wavelet-scattering features at 64×64, {@link ScatterNet}), "radiomics" (fixed hand-crafted
     * features at 64×64, {@link RadiomicsNet}), "radiomics_128" (the same at 128×128, the patches' own size) or
     * "scatter_radiomics" (both, concatenated, at 64×64).
     */
    public static ModelSpec of(String preset, SwinTransformer.Head head, int classes) {
        return switch (preset) {
            case "scatter" -> new ModelSpec(null, ScatterNet.Config.preset(), null, head, classes);
            case "radiomics" -> new ModelSpec(null, null, RadiomicsNet.Config.preset(), head, classes);
            case "radiomics_128" -> new ModelSpec(null, null, new RadiomicsNet.Config(128, null), head, classes);
            case "scatter_radiomics" -> new ModelSpec(null, null, RadiomicsNet.Config.withScattering(), head, classes);
            default -> new ModelSpec(preset(preset), head, classes);
        };
    }

    /** The Swin shape of a Swin preset (paper, cpu, tiny, vit). */
    public static SwinConfig preset(String name) {
        return switch (name) {
            case "paper" -> SwinConfig.swinT();
            case "cpu" -> SwinConfig.cpu();
            case "tiny" -> SwinConfig.tiny();
            case "vit" -> SwinConfig.vit();
            default -> throw new IllegalArgumentException("unknown Swin preset '" + name + "' (paper, cpu, tiny, vit)");
        };
    }

    public ImageClassifier build(Rng rng) {
        if (swin != null) return new SwinTransformer(swin, head, classes, rng);
        return scatter != null ? new ScatterNet(scatter, head, classes, rng) : new RadiomicsNet(radiomics, head, classes, rng);
    }

    /** One line for logs: the backbone's shape. */
    public String describeBackbone() {
        if (swin != null) return swin.toString();
        if (scatter != null) return "scattering " + scatter;
        int side = radiomics.imageSize();
        return radiomics.scattering() == null ? "radiomics " + side + "×" + side : "radiomics + scattering " + radiomics.scattering();
    }

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        if (swin != null) {
            o.put("image", swin.imageSize());
            o.put("patch", swin.patchSize());
            o.put("embed", swin.embedDim());
            o.set("depths", JSON.valueToTree(swin.depths()));
            o.set("heads", JSON.valueToTree(swin.heads()));
            o.put("window", swin.window());
            o.put("mlp_ratio", swin.mlpRatio());
            o.put("drop_path", swin.stochasticDepth());
        } else if (scatter != null) {
            o.put("backbone", "scatter");
            putScattering(o, scatter);
        } else if (radiomics.scattering() == null) {
            o.put("backbone", "radiomics");
            o.put("image", radiomics.imageSize());
        } else {
            o.put("backbone", "scatter_radiomics");
            putScattering(o, radiomics.scattering());
        }
        o.put("head", head.name().toLowerCase(java.util.Locale.ROOT));
        o.put("classes", classes);
        return o.toString();
    }

    public static ModelSpec fromJson(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            SwinTransformer.Head head = SwinTransformer.Head.valueOf(o.get("head").asText().toUpperCase(java.util.Locale.ROOT));
            int classes = o.get("classes").asInt();
            if (o.has("backbone")) {
                return switch (o.get("backbone").asText()) {
                    case "scatter" -> new ModelSpec(null, scattering(o), null, head, classes);
                    case "radiomics" -> new ModelSpec(null, null, new RadiomicsNet.Config(o.get("image").asInt(), null), head, classes);
                    case "scatter_radiomics" -> new ModelSpec(null, null, new RadiomicsNet.Config(o.get("image").asInt(), scattering(o)), head, classes);
                    default -> throw new IllegalArgumentException("unknown backbone '" + o.get("backbone").asText() + "'");
                };
            }
            SwinConfig c = new SwinConfig(o.get("image").asInt(), o.get("patch").asInt(), o.get("embed").asInt(),
                    JSON.treeToValue(o.get("depths"), int[].class), JSON.treeToValue(o.get("heads"), int[].class),
                    o.get("window").asInt(), o.get("mlp_ratio").asDouble(), o.get("drop_path").asDouble());
            return new ModelSpec(c, head, classes);
        } catch (Exception e) {
            throw new IllegalArgumentException("checkpoint model description is unreadable: " + e.getMessage(), e);
        }
    }

    private static void putScattering(ObjectNode o, ScatterNet.Config c) {
        o.put("image", c.imageSize());
        o.put("scales", c.scales());
        o.put("angles", c.angles());
    }

    private static ScatterNet.Config scattering(JsonNode o) {
        return new ScatterNet.Config(o.get("image").asInt(), o.get("scales").asInt(), o.get("angles").asInt());
    }
}
