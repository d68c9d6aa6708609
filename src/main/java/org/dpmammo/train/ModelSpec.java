package org.dpmammo.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.util.Rng;

/**
 * What is needed to rebuild a classifier from its checkpoint: the Swin shape, the head kind and the class count.
 * Stored as JSON in every checkpoint's metadata under {@link #KEY}.
 */
public record ModelSpec(SwinConfig swin, SwinTransformer.Head head, int classes) {
    public static final String KEY = "dpmammo.model";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The names {@link #preset} knows, for validation and help texts. */
    public static final List<String> PRESETS = List.of("paper", "cpu", "tiny", "vit");

    /**
     * "paper" (torchvision swin_t, 224×224), "cpu" (the reduced Swin, 64×64), "tiny" (32×32, for tests and smoke runs)
     * or "vit" (a ViT-style global-attention model at 64×64, see {@link SwinConfig#vit}).
     */
    public static SwinConfig preset(String name) {
        return switch (name) {
            case "paper" -> SwinConfig.swinT();
            case "cpu" -> SwinConfig.cpu();
            case "tiny" -> SwinConfig.tiny();
            case "vit" -> SwinConfig.vit();
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (" + String.join(", ", PRESETS) + ")");
        };
    }

    public SwinTransformer build(Rng rng) {
        return new SwinTransformer(swin, head, classes, rng);
    }

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("image", swin.imageSize());
        o.put("patch", swin.patchSize());
        o.put("embed", swin.embedDim());
        o.set("depths", JSON.valueToTree(swin.depths()));
        o.set("heads", JSON.valueToTree(swin.heads()));
        o.put("window", swin.window());
        o.put("mlp_ratio", swin.mlpRatio());
        o.put("drop_path", swin.stochasticDepth());
        o.put("head", head.name().toLowerCase(java.util.Locale.ROOT));
        o.put("classes", classes);
        return o.toString();
    }

    public static ModelSpec fromJson(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            SwinConfig c = new SwinConfig(o.get("image").asInt(), o.get("patch").asInt(), o.get("embed").asInt(),
                    JSON.treeToValue(o.get("depths"), int[].class), JSON.treeToValue(o.get("heads"), int[].class),
                    o.get("window").asInt(), o.get("mlp_ratio").asDouble(), o.get("drop_path").asDouble());
            return new ModelSpec(c, SwinTransformer.Head.valueOf(o.get("head").asText().toUpperCase(java.util.Locale.ROOT)), o.get("classes").asInt());
        } catch (Exception e) {
            throw new IllegalArgumentException("checkpoint model description is unreadable: " + e.getMessage(), e);
        }
    }
}
