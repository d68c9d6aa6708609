package org.dpmammo.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;

/**
 * The data of an experiment, as specs {@code Datasets.open} understands (a folder, a manifest, a phantom spec).
 * Stored as data.json in the experiment folder, so the report can be rebuilt and a restart can check it is the
 * same data.
 *
 * @param tests test sets in report order, the first being the internal one
 * @param synthetic a labelled synthetic folder used by every seed instead of training GANs, or null
 * @param referenceSamples labelled synthetic patches from elsewhere (e.g. the study's published set), shown beside ours in the report, or null
 */
public record ExperimentData(String realTrain, String val, Map<String, String> tests, String synthetic, String referenceSamples, String description) {
    public ExperimentData {
        if (tests.isEmpty()) throw new IllegalArgumentException("at least one test set is needed");
        tests = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tests));
    }

    /** The test sets, opened, in order. */
    public Map<String, Dataset> openTests() throws IOException {
        Map<String, Dataset> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> t : tests.entrySet()) out.put(t.getKey(), Datasets.open(t.getValue()));
        return out;
    }

    public ObjectNode toJson() {
        ObjectNode o = ExperimentConfig.JSON.createObjectNode();
        o.put("real_train", realTrain);
        o.put("val", val);
        ObjectNode t = o.putObject("tests");
        tests.forEach(t::put);
        o.put("synthetic", synthetic);
        o.put("reference_samples", referenceSamples);
        o.put("description", description);
        return o;
    }

    public static ExperimentData read(Path file) throws IOException {
        if (!Files.exists(file)) throw new IOException(file + ": no such file (is this an experiment folder?)");
        JsonNode o = ExperimentConfig.JSON.readTree(file.toFile());
        Map<String, String> tests = new LinkedHashMap<>();
        o.get("tests").fields().forEachRemaining(e -> tests.put(e.getKey(), e.getValue().asText()));
        return new ExperimentData(o.get("real_train").asText(), o.get("val").asText(), tests, text(o, "synthetic"), text(o, "reference_samples"),
                o.path("description").asText(""));
    }

    private static String text(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }
}
