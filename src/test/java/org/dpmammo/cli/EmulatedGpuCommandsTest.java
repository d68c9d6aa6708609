package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dpmammo.backend.cuda.EmulatedCuda;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.dpmammo.testing.PinnedRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands' {@code --device cuda} paths on a machine without a GPU: the kernel emulator stands in for the GPU
 * ({@link EmulatedCuda#asTheGpu}), so the real CudaBackend and .cu kernels compute every op of the run, and each run is
 * compared with the same command on {@code --device cpu}: the per-epoch CSV (timings left out) and every tensor of
 * the final checkpoint. DP runs draw their batches and noise from the seed, so the two devices see the same noise.
 */
class EmulatedGpuCommandsTest {
    private static EmulatedCuda emu;

    @BeforeAll
    static void start() throws Exception {
        emu = EmulatedCuda.startOrSkip();
    }

    @AfterAll
    static void stop() throws Exception {
        if (emu != null) emu.close();
    }

    private static MainTest.Run onBoth(Path dir, String device, String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--device");
        a.add(device);
        for (int i = 0; i < a.size(); i++) a.set(i, a.get(i).replace("RUN", dir.resolve(device).toString()));
        try (Scope gpu = emu.asTheGpu()) {
            MainTest.Run r = new MainTest.Run(a.toArray(String[]::new));
            assertEquals(0, r.rc, device + ": " + r.out + r.err);
            return r;
        }
    }

    /** The CSV without the columns that hold timings. */
    /** The same table, cell for cell: text equal, or numbers within {@code tolerance}. */
    private static void assertCsvWithin(List<String> expected, List<String> actual, double tolerance, String what) {
        assertEquals(expected.size(), actual.size(), what + ": rows");
        for (int r = 0; r < expected.size(); r++) {
            String[] e = expected.get(r).split(",", -1), a = actual.get(r).split(",", -1);
            assertEquals(e.length, a.length, what + ": cells of row " + r);
            for (int c = 0; c < e.length; c++) {
                if (e[c].equals(a[c])) continue;
                try {
                    assertEquals(Double.parseDouble(e[c]), Double.parseDouble(a[c]), tolerance, what + ": row " + r + " cell " + c);
                } catch (NumberFormatException notANumber) {
                    assertEquals(expected.get(r), actual.get(r), what + ": row " + r);
                }
            }
        }
    }

    private static List<String> csv(Path file, String... timingColumns) throws Exception {
        // A DP run's losses.csv opens with a comment line saying which private statistics it leaves out.
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.startsWith("#")).toList();
        List<String> header = List.of(lines.get(0).split(","));
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String[] cells = line.split(",", -1);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < cells.length; i++) if (!List.of(timingColumns).contains(header.get(i))) b.append(cells[i]).append(',');
            out.add(b.toString());
        }
        return out;
    }

    /** Largest |a − b| / max(1, |b|) over every tensor of two checkpoints with the same keys. */
    private static double checkpointDifference(Path a, Path b) throws Exception {
        Map<String, Tensor> ta = SafeTensors.read(a).tensors(), tb = SafeTensors.read(b).tensors();
        assertEquals(tb.keySet(), ta.keySet());
        double worst = 0;
        for (String k : tb.keySet()) {
            float[] x = ta.get(k).toArray(), y = tb.get(k).toArray();
            for (int i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
        }
        return worst;
    }

    private static void assertProvenanceNames(Path run, String device) throws Exception {
        String p = Files.readString(run.resolve("provenance.json"));
        assertTrue(p.contains("\"device\"") && p.contains(device), p);
    }

    @Test
    void classifierTrainsWithDpOnTheEmulatedGpuAsOnTheCpu(@TempDir Path dir) throws Exception {
        String[] args = {"classifier", "train", "--train", "phantom:32:24:1", "--val", "phantom:32:12:2", "--out", "RUN", "--preset", "tiny",
            "--freeze", "none", "--head", "linear", "--epochs", "1", "--batch-size", "12", "--physical-batch", "12", "--lr", "1e-3", "--seed", "5",
            "--dp", "--target-epsilon", "8", "--threads", "1", "--reproducible-dp", "--resume"};
        // Both devices replay one reproducible run id, so their noise and batches are the same.
        PinnedRun.pin(dir.resolve("cpu"), 77);
        PinnedRun.pin(dir.resolve("cuda"), 77);
        onBoth(dir, "cpu", args);
        MainTest.Run cuda = onBoth(dir, "cuda", args);
        assertEquals(csv(dir.resolve("cpu/metrics.csv"), "seconds"), csv(dir.resolve("cuda/metrics.csv"), "seconds"));
        double diff = checkpointDifference(dir.resolve("cuda/checkpoints/last.safetensors"), dir.resolve("cpu/checkpoints/last.safetensors"));
        assertTrue(diff < 1e-5, "checkpoint differs by " + diff);
        assertProvenanceNames(dir.resolve("cuda"), "emulated CUDA device");
        assertProvenanceNames(dir.resolve("cpu"), "\"cpu\"");
        assertTrue(cuda.err.isEmpty(), cuda.err);

        // The trained model evaluated on either device: the same metrics (printed to 4 decimals, bootstrap seeded).
        String ck = dir.resolve("cpu/checkpoints/last.safetensors").toString();
        MainTest.Run evalCpu = onBoth(dir, "cpu", "classifier", "evaluate", "--checkpoint", ck, "--data", "phantom:32:12:2", "--bootstrap", "50");
        MainTest.Run evalCuda = onBoth(dir, "cuda", "classifier", "evaluate", "--checkpoint", ck, "--data", "phantom:32:12:2", "--bootstrap", "50");
        assertEquals(evalCpu.out, evalCuda.out);
    }

    @Test
    void classifierTrainsAHeadOnCachedFeaturesOnTheEmulatedGpuAsOnTheCpu(@TempDir Path dir) throws Exception {
        // Non-private, frozen backbone: the feature cache is computed on the device, then the head trains on it.
        String[] args = {"classifier", "train", "--train", "phantom:32:24:1", "--val", "phantom:32:12:2", "--out", "RUN", "--preset", "tiny",
            "--epochs", "2", "--batch-size", "8", "--lr", "1e-3", "--seed", "5", "--threads", "1"};
        onBoth(dir, "cpu", args);
        onBoth(dir, "cuda", args);
        assertEquals(csv(dir.resolve("cpu/metrics.csv"), "seconds"), csv(dir.resolve("cuda/metrics.csv"), "seconds"));
        double diff = checkpointDifference(dir.resolve("cuda/checkpoints/last.safetensors"), dir.resolve("cpu/checkpoints/last.safetensors"));
        assertTrue(diff < 1e-5, "checkpoint differs by " + diff);
    }

    @Test
    void ganTrainsWithAndWithoutDpOnTheEmulatedGpuAsOnTheCpu(@TempDir Path dir) throws Exception {
        for (boolean dp : new boolean[] {false, true}) {
            Path d = dir.resolve(dp ? "dp" : "plain");
            List<String> args = new ArrayList<>(List.of("gan", "train", "--data", "phantom:64:16:1", "--out", "RUN", "--epochs", "1", "--width", "2",
                    "--batch", "8", "--seed", "3"));
            if (dp) {
                args.addAll(List.of("--dp", "--target-epsilon", "8", "--norm-d", "instance", "--reproducible-dp"));
                PinnedRun.pin(d.resolve("cpu"), 78);
                PinnedRun.pin(d.resolve("cuda"), 78);
            }
            onBoth(d, "cpu", args.toArray(String[]::new));
            onBoth(d, "cuda", args.toArray(String[]::new));
            // The two backends sum in different orders (the CPU's GEMM blocks K by its kernel's width; the device's
            // BatchNorm keeps its running statistics in float where the host sums in double), so a logged value of
            // the non-private run, printed to 6 decimals, may differ in its last place; the DP run logs the same digits.
            assertCsvWithin(csv(d.resolve("cpu/losses.csv"), "images_per_s"), csv(d.resolve("cuda/losses.csv"), "images_per_s"), dp ? 0 : 1.5e-6,
                    dp ? "DP" : "non-private");
            Path ck = Path.of("checkpoints", "epoch_0001.safetensors");
            double diff = checkpointDifference(d.resolve("cuda").resolve(ck), d.resolve("cpu").resolve(ck));
            assertTrue(diff < 1e-5, (dp ? "DP" : "non-private") + " checkpoint differs by " + diff);
            assertProvenanceNames(d.resolve("cuda"), "emulated CUDA device");
        }
        // Samples of the trained generator on either device: 8-bit pixels at most one level apart (rounding).
        String ck = dir.resolve("plain/cpu/checkpoints/epoch_0001.safetensors").toString();
        onBoth(dir, "cpu", "gan", "sample", "--checkpoint", ck, "--count", "4", "--out", "RUN-samples");
        onBoth(dir, "cuda", "gan", "sample", "--checkpoint", ck, "--count", "4", "--out", "RUN-samples");
        for (int i = 0; i < 4; i++) {
            String name = String.format("sample_%06d_%s.png", i, i % 2 == 0 ? "benign" : "malignant");
            java.awt.image.Raster a = javax.imageio.ImageIO.read(dir.resolve("cpu-samples").resolve(name).toFile()).getRaster();
            java.awt.image.Raster b = javax.imageio.ImageIO.read(dir.resolve("cuda-samples").resolve(name).toFile()).getRaster();
            for (int y = 0; y < a.getHeight(); y++) {
                for (int x = 0; x < a.getWidth(); x++) assertTrue(Math.abs(a.getSample(x, y, 0) - b.getSample(x, y, 0)) <= 1, name + " at " + x + "," + y);
            }
        }
    }

    @Test
    void autoTakesTheGpuWhereOneIsUsableAndSaysSo(@TempDir Path dir) throws Exception {
        try (Scope gpu = emu.asTheGpu()) {
            MainTest.Run r = new MainTest.Run("gan", "train", "--data", "phantom:64:8:1", "--out", dir.toString(), "--epochs", "1", "--width", "2",
                    "--batch", "8", "--device", "auto");
            assertEquals(0, r.rc, r.err);
            assertEquals("dpmammo: --device auto: computing on emulated CUDA device (kernels on the CPU)", r.err.strip());
        }
        assertProvenanceNames(dir, "emulated CUDA device");
    }

    @Test
    void selftestOnTheGpuPassesEveryRowIncludingTheTrainingSteps() {
        try (Scope gpu = emu.asTheGpu()) {
            MainTest.Run r = new MainTest.Run("selftest", "--device", "cuda");
            assertEquals(0, r.rc, r.out + r.err);
            assertTrue(r.out.contains("training step vs cpu") && r.out.contains("tiny Swin DP-SGD step's update"), r.out);
            assertTrue(r.out.contains(" 0 failed"), r.out);
        }
    }

    @Test
    void benchGemmTimesTheDevicesMatmul() {
        try (Scope gpu = emu.asTheGpu()) {
            MainTest.Run r = new MainTest.Run("bench", "gemm", "--device", "cuda", "--only", "square256", "--runs", "1", "--json");
            assertEquals(0, r.rc, r.err);
            assertTrue(r.out.contains("\"device\" : \"emulated CUDA device (kernels on the CPU)\"") && r.out.contains("\"gflops\""), r.out);
        }
    }

    @Test
    void experimentRunsItsGridOnTheEmulatedGpuAsOnTheCpu(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("c.json");
        Files.writeString(cfg, "{\"preset\": \"demo\", \"grid\": {\"real\": [8]}, \"classifier\": {\"epochs\": 1, \"batch_size\": 16, \"physical_batch\": 32},"
                + " \"reproducible_dp\": true}");
        for (String device : List.of("cpu", "cuda")) {
            PinnedRun.pin(dir.resolve(device).resolve(new org.dpmammo.experiment.GridPlan.Cell(org.dpmammo.experiment.Condition.REAL, 8, "rdp", 42).dir()), 79);
        }
        String[] args = {"experiment", "run", "--config", cfg.toString(), "--out", "RUN", "--real-train", "phantom:32:32:1", "--val", "phantom:32:16:2",
            "--test", "phantom:32:16:3"};
        onBoth(dir, "cpu", args);
        onBoth(dir, "cuda", args);
        assertEquals(csv(dir.resolve("cpu/results.csv"), "wall_seconds"), csv(dir.resolve("cuda/results.csv"), "wall_seconds"));
        assertProvenanceNames(dir.resolve("cuda"), "emulated CUDA device");
    }
}
