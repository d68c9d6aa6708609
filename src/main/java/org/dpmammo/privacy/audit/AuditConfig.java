package org.dpmammo.privacy.audit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.dpmammo.privacy.accounting.Calibration;

/**
 * Settings of {@code dpmammo audit}, read from JSON (snake_case keys). Keys left out take the {@code demo} preset's
 * value; unknown keys, wrong types and out-of-range values are refused with one line, before anything is written.
 *
 * @param data              a dataset SRC as {@code dpmammo data} reads it (a phantom spec or a path)
 * @param imageSize         the side every source image must have (no silent resizing of odd images)
 * @param inputSize         the side images are resized to before the model
 * @param hidden            width of the model's hidden layer
 * @param batchSize         nominal batch size B; q = 1/⌈N/B⌉ as in Opacus
 * @param epochs            passes over the data
 * @param targetEpsilon     the ε budget: σ is calibrated for it, and the run stops rather than exceed it
 * @param noiseMultiplier   σ instead of calibration (must be &gt; 0); the budget still stops the run
 * @param inputCanaries     mislabelled examples, each included with probability ½
 * @param gradientCanaries  white-box gradient canaries, each included with probability ½
 * @param guessFractions    the guessing rules tried: each guesses this fraction of the canaries on each side
 */
public record AuditConfig(String data, int imageSize, int inputSize, int hidden, int batchSize, int epochs,
        double targetEpsilon, Double noiseMultiplier, double delta, double maxGradNorm, double learningRate,
        double momentum, String accountant, int inputCanaries, int gradientCanaries, long seed, double confidence,
        List<Double> guessFractions) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * About 30 s on two busy cores: 1000 phantom patches at 16×16 through a 16-unit MLP, 200 mislabelled and 1000
     * gradient canaries, 200 steps at q = 0.05, ε = 8 (a large ε, so that the audit has something to find).
     */
    public static AuditConfig demo() {
        return new AuditConfig("phantom:64:1000:11", 64, 16, 16, 50, 10, 8.0, null, 1e-5, 1.0, 0.5, 0.0, "rdp",
                200, 1000, 1, 0.95, List.of(0.02, 0.05, 0.1, 0.25, 0.5));
    }

    public AuditConfig {
        if (data == null || data.isBlank()) throw new IllegalArgumentException("data: a dataset is required");
        if (imageSize < 1 || inputSize < 1 || inputSize > imageSize) throw new IllegalArgumentException("image_size " + imageSize + " and input_size " + inputSize + " must be ≥ 1 with input_size ≤ image_size");
        if (hidden < 1 || batchSize < 1 || epochs < 1) throw new IllegalArgumentException("hidden, batch_size and epochs must be ≥ 1");
        Calibration.checkTrainingTarget(targetEpsilon, "target_epsilon");
        if (noiseMultiplier != null && (!(noiseMultiplier > 0) || noiseMultiplier.isInfinite())) {
            throw new IllegalArgumentException("noise_multiplier σ = " + noiseMultiplier + " gives no privacy: a DP run needs σ > 0");
        }
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        if (!(maxGradNorm > 0) || Double.isInfinite(maxGradNorm)) throw new IllegalArgumentException("max_grad_norm must be positive, got " + maxGradNorm);
        if (!(learningRate > 0) || !(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("learning_rate must be > 0 and momentum in [0, 1)");
        if (!"rdp".equals(accountant) && !"prv".equals(accountant)) throw new IllegalArgumentException("accountant must be rdp or prv, got " + accountant);
        // One canary cannot be ranked against another: a kind is audited only with at least two.
        if (inputCanaries < 0 || gradientCanaries < 0 || (inputCanaries < 2 && gradientCanaries < 2)) {
            throw new IllegalArgumentException("need at least 2 canaries of one kind (input_canaries " + inputCanaries + ", gradient_canaries " + gradientCanaries + ")");
        }
        if (!(confidence > 0.5 && confidence < 1)) throw new IllegalArgumentException("confidence must be in (0.5, 1), got " + confidence);
        if (guessFractions == null || guessFractions.isEmpty()) throw new IllegalArgumentException("guess_fractions: at least one rule is needed");
        for (Double f : guessFractions) {
            if (f == null || !(f > 0 && f <= 0.5)) throw new IllegalArgumentException("guess_fractions must lie in (0, 0.5], got " + f);
        }
        guessFractions = List.copyOf(guessFractions);
    }

    /** Parses a JSON document over the demo preset's values. */
    public static AuditConfig parse(String json) {
        try {
            JsonNode user = JSON.readTree(json);
            if (user == null || !user.isObject()) throw new IllegalArgumentException("config must be a JSON object");
            ObjectNode merged = JSON.valueToTree(demo());
            merged.setAll((ObjectNode) user);
            return JSON.treeToValue(merged, AuditConfig.class);
        } catch (JsonProcessingException e) {
            // Jackson wraps the record's own IllegalArgumentException; its message is the one to show.
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException) throw (IllegalArgumentException) cause;
            throw new IllegalArgumentException("config: " + e.getOriginalMessage().lines().findFirst().orElse("invalid JSON"));
        }
    }

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
