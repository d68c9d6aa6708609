package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.data.Datasets;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.StateDictFiles;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.Classifier;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * torchvision state dicts on the command line: {@code classifier predict|evaluate --arch} and {@code classifier train
 * --init-weights} with the files PyTorch wrote (src/test/resources/fixtures/torchvision-tiny), and the refusals.
 */
class TorchvisionWeightsCommandTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/torchvision-tiny");
    static final Path PAYLOAD_MARKER = Path.of("/tmp/dpmammo-pickle-payload-ran");
    static final List<String> GOOD = List.of("swin_tiny.pth", "swin_tiny_legacy.pth", "swin_tiny.safetensors");

    static MainTest.Run run(String... args) {
        return new MainTest.Run(args);
    }

    static String fixture(String name) {
        return FIXTURE.resolve(name).toString();
    }

    /** The classifier predict and evaluate build from a plain state dict computes PyTorch's logits. */
    @Test
    void archLoadGivesPyTorchsLogits() throws Exception {
        Map<String, Tensor> io = SafeTensors.read(FIXTURE.resolve("io.safetensors")).tensors();
        float[] want = io.get("x.logits").toArray();
        for (String f : GOOD) {
            Classifier c = Classifier.loadStateDict(FIXTURE.resolve(f), "tiny", false);
            assertFalse(c.thresholdFromValidation());
            assertEquals(0.5, c.threshold());
            float[] got;
            try (Scope s = Grad.noGrad()) {
                got = c.model().forward(Variable.constant(io.get("x.input"))).value().toArray();
            }
            double scale = 0;
            for (float w : want) scale = Math.max(scale, Math.abs(w));
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * scale, f + " logit " + i);
        }
    }

    @Test
    void predictWithArchWritesTheModelsProbabilitiesAndSaysTheThreshold(@TempDir Path dir) throws Exception {
        String data = "phantom:32:6:1";
        double[] p = Classifier.loadStateDict(FIXTURE.resolve("swin_tiny.safetensors"), "tiny", false).probabilities(Datasets.open(data), 4, 1);
        List<String> first = null;
        for (String f : GOOD) {
            Path csv = dir.resolve(f + ".csv");
            MainTest.Run r = run("classifier", "predict", "--checkpoint", fixture(f), "--arch", "tiny", "--data", data, "--out", csv.toString(), "--threads", "1");
            assertEquals(0, r.rc, r.err);
            assertTrue(r.out.contains("no validation threshold in the file, so malignant means P(malignant) ≥ 0.5"), r.out);
            List<String> rows = Files.readAllLines(csv);
            assertEquals(p.length + 1, rows.size());
            for (int i = 0; i < p.length; i++) {
                String[] cells = rows.get(i + 1).split(",");
                assertEquals(p[i], Double.parseDouble(cells[2]), 1e-6, f + " row " + i);
                assertEquals(1 - Double.parseDouble(cells[2]) >= 0.5, Boolean.parseBoolean(cells[5]), f + " row " + i);
            }
            if (first == null) first = rows;
            else assertEquals(first, rows, f + " predicts what " + GOOD.get(0) + " does");
        }
    }

    /** A head trained with benign as output 0 (ImageFolder's order) is read with --class-order benign,malignant. */
    @Test
    void classOrderSwapsTheHeadsOutputs(@TempDir Path dir) throws Exception {
        String data = "phantom:32:6:1";
        Path study = dir.resolve("study.csv"), swapped = dir.resolve("swapped.csv");
        assertEquals(0, run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "tiny", "--data", data, "--out", study.toString()).rc);
        MainTest.Run r = run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "tiny", "--class-order", "benign,malignant",
                "--data", data, "--out", swapped.toString());
        assertEquals(0, r.rc, r.err);
        List<String> a = Files.readAllLines(study), b = Files.readAllLines(swapped);
        for (int i = 1; i < a.size(); i++) {
            assertEquals(Double.parseDouble(a.get(i).split(",")[3]), Double.parseDouble(b.get(i).split(",")[2]), 2e-6, "row " + i);
        }
        assertOneLineUsageError(run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--class-order", "benign,malignant",
                "--data", data, "--out", swapped.toString()), "--class-order needs --arch");
        assertOneLineUsageError(run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "tiny", "--class-order", "b,m",
                "--data", data, "--out", swapped.toString()), "--class-order: expected malignant,benign or benign,malignant");
    }

    @Test
    void evaluateWithArchReportsTheDefaultThreshold() throws Exception {
        MainTest.Run r = run("classifier", "evaluate", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "tiny", "--data", "phantom:32:6:1",
                "--json", "--bootstrap", "20", "--threads", "1");
        assertEquals(0, r.rc, r.err);
        JsonNode doc = new ObjectMapper().readTree(r.out);
        assertEquals("default", doc.get("threshold_source").asText());
        assertEquals(0.5, doc.get("threshold_malignancy").asDouble());
        assertEquals(6, doc.get("sets").get(0).get("metrics").get("n").asInt());
    }

    @Test
    void refusalsAreOneLineUsageErrorsAndRunNothing() throws Exception {
        Files.deleteIfExists(PAYLOAD_MARKER);
        Map<String, String> byFile = new java.util.LinkedHashMap<>();
        byFile.put("evil_reduce.pth", "GLOBAL posix.system is not allowed");
        byFile.put("evil_os_system.pth", "GLOBAL os.system is not allowed");
        byFile.put("evil_eval.pth", "GLOBAL builtins.eval is not allowed");
        byFile.put("evil_opcode.pth", "opcode 0x69 (INST) is not allowed");
        byFile.put("truncated.pth", "not a readable zip archive");
        byFile.put("wrong_storage_size.pth", "storage '0' holds 4604 bytes");
        byFile.put("oversized_view.pth", "brings the rebuilt tensors to");
        byFile.put("swin_tiny_1000_fp16.pth", "the head has 1000 outputs (ImageNet's); predicting needs a 2-class head");
        for (var e : byFile.entrySet()) {
            for (String sub : List.of("predict", "evaluate")) {
                String[] args = sub.equals("predict")
                        ? new String[] {"classifier", "predict", "--checkpoint", fixture(e.getKey()), "--arch", "tiny", "--data", "phantom:32:4:1", "--out", "/nonexistent/x.csv"}
                        : new String[] {"classifier", "evaluate", "--checkpoint", fixture(e.getKey()), "--arch", "tiny", "--data", "phantom:32:4:1"};
                assertOneLineUsageError(run(args), e.getValue());
            }
        }
        assertOneLineUsageError(run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "swin_t", "--data", "phantom:32:4:1",
                "--out", "/nonexistent/x.csv"), "does not fit swin_t: ");
        assertOneLineUsageError(run("classifier", "predict", "--checkpoint", fixture("swin_tiny.pth"), "--data", "phantom:32:4:1",
                "--out", "/nonexistent/x.csv"), "no 'dpmammo.model' metadata); for a plain state dict name its architecture with --arch");
        assertOneLineUsageError(run("classifier", "evaluate", "--checkpoint", fixture("swin_tiny.pth"), "--arch", "resnet50", "--data", "phantom:32:4:1"),
                "--arch: expected one of swin_t, paper, cpu, tiny, vit");
        assertFalse(Files.exists(PAYLOAD_MARKER), "a payload ran");
    }

    static void assertOneLineUsageError(MainTest.Run r, String expected) {
        assertEquals(2, r.rc, r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains(expected), r.err);
    }

    /**
     * --init-weights with torchvision's ImageNet layout (1000-class head, here in float16): the backbone loads, the
     * head does not fit and stays fresh, and the run says so; the frozen backbone of the checkpoint is the file's.
     */
    @Test
    void initWeightsFromAnImageNetPthLoadsTheBackboneAndReportsTheHead(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        MainTest.Run r = run("classifier", "train", "--train", "phantom:32:8:1", "--val", "phantom:32:6:2", "--out", out.toString(), "--preset", "tiny",
                "--head", "linear", "--epochs", "1", "--batch-size", "8", "--threads", "1", "--init-weights", fixture("swin_tiny_1000_fp16.pth"));
        assertEquals(0, r.rc, r.err);
        assertTrue(r.out.contains("mis-shaped [head.weight [1000, 48] vs [2, 48], head.bias [1000] vs [2]]"), r.out);
        Map<String, Tensor> file = StateDictFiles.read(FIXTURE.resolve("swin_tiny_1000_fp16.pth")).tensors();
        JsonNode report = new ObjectMapper().readTree(out.resolve("init-report.json").toFile());
        assertEquals(file.size() - 2, report.get("loaded").asInt());
        assertEquals(2, report.get("mis_shaped").size());
        assertEquals(0, report.get("missing").size());
        Map<String, Tensor> best = SafeTensors.read(out.resolve("checkpoints/best.safetensors")).tensors();
        for (String k : List.of("features.0.0.weight", "features.3.1.attn.qkv.weight", "norm.bias")) {
            assertArrayEquals(file.get(k).toArray(), best.get(k).toArray(), k);
        }
    }

    @Test
    void initWeightsThatTryToRunCodeAreRefused(@TempDir Path dir) throws Exception {
        Files.deleteIfExists(PAYLOAD_MARKER);
        for (String f : List.of("evil_reduce.pth", "evil_eval.pth", "truncated.pth")) {
            MainTest.Run r = run("classifier", "train", "--train", "phantom:32:8:1", "--val", "phantom:32:6:2", "--out", dir.resolve(f).toString(),
                    "--preset", "tiny", "--epochs", "1", "--threads", "1", "--device", "cpu", "--init-weights", fixture(f));
            assertOneLineUsageError(r, "--init-weights: " + fixture(f) + ": ");
        }
        assertFalse(Files.exists(PAYLOAD_MARKER), "a payload ran");
    }
}
