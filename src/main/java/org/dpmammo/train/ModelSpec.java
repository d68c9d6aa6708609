package org.dpmammo.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.scatter.ScatterNet;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.util.Rng;

/**
 * What is needed to rebuild a classifier from its checkpoint: the backbone (a Swin shape, or a scattering shape),
 * the head kind and the class count. Exactly one of {@code swin} and {@code scatter} is set. Stored as JSON in every
 * checkpoint's metadata under {@link #KEY}; Swin descriptions are written as before scattering existed.
 */
public record ModelSpec(SwinConfig swin, ScatterNet.Config scatter, SwinTransformer.Head head, int classes) {
    public static final String KEY = "dpmammo.model";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The names {@link #of} knows, for validation and help texts. */
    public static final List<String> PRESETS = List.of("paper", "cpu", "tiny", "vit", "scatter");

    public ModelSpec {
        if ((swin == null) == (scatter == null)) throw new IllegalArgumentException("a model has exactly one backbone: a Swin or a scattering");
    }

    public ModelSpec(SwinConfig swin, SwinTransformer.Head head, int classes) {
        this(swin, null, head, classes);
    }

    /**
     * The named preset with a head: "paper" (torchvision swin_t, 224×224), "cpu" (the reduced Swin, 64×64), "tiny"
     * (32×32, for tests and smoke runs), "vit" (a ViT-style global-attention model at 64×64, see {@link SwinConfig#vit})
     * or "scatter" (fixed wavelet-scattering features at 64×64, {@link ScatterNet}).
     */
    public static ModelSpec of(String preset, SwinTransformer.Head head, int classes) {
        return preset.equals("scatter") ? new ModelSpec(null, ScatterNet.Config.preset(), head, classes) : new ModelSpec(preset(preset), head, classes);
    }

    /** The Swin shape of a Swin preset (every name of {@link #PRESETS} but "scatter"). */
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
        return swin != null ? new SwinTransformer(swin, head, classes, rng) : new ScatterNet(scatter, head, classes, rng);
    }

    /** One line for logs: the backbone's shape. */
    public String describeBackbone() {
        return swin != null ? swin.toString() : "scattering " + scatter;
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
        } else {
            o.put("backbone", "scatter");
            o.put("image", scatter.imageSize());
            o.put("scales", scatter.scales());
            o.put("angles", scatter.angles());
        }
        o.put("head", head.name().toLowerCase(java.util.Locale.ROOT));
        o.put("classes", classes);
        return o.toString();
    }

    public static ModelSpec fromJson(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            SwinTransformer.Head head = SwinTransformer.Head.valueOf(o.get("head").asText().toUpperCase(java.util.Locale.ROOT));
            if (o.has("backbone")) {
                if (!o.get("backbone").asText().equals("scatter")) throw new IllegalArgumentException("unknown backbone '" + o.get("backbone").asText() + "'");
                return new ModelSpec(null, new ScatterNet.Config(o.get("image").asInt(), o.get("scales").asInt(), o.get("angles").asInt()), head,
                        o.get("classes").asInt());
            }
            SwinConfig c = new SwinConfig(o.get("image").asInt(), o.get("patch").asInt(), o.get("embed").asInt(),
                    JSON.treeToValue(o.get("depths"), int[].class), JSON.treeToValue(o.get("heads"), int[].class),
                    o.get("window").asInt(), o.get("mlp_ratio").asDouble(), o.get("drop_path").asDouble());
            return new ModelSpec(c, head, o.get("classes").asInt());
        } catch (Exception e) {
            throw new IllegalArgumentException("checkpoint model description is unreadable: " + e.getMessage(), e);
        }
    }
}
