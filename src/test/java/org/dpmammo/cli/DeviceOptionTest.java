package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.backend.cuda.CudaProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device} on a machine without a GPU: cuda fails in one line naming the cause, auto falls back and says so. */
class DeviceOptionTest {
    private static String[] train(Path out, String device) {
        return new String[] {"classifier", "train", "--train", "phantom:32:16:1", "--val", "phantom:32:8:2", "--out", out.toString(), "--preset", "tiny",
            "--epochs", "1", "--batch-size", "8", "--threads", "1", "--device", device};
    }

    @Test
    void cudaWithoutAGpuExitsOneWithTheCauseAndWritesNoRun(@TempDir Path dir) {
        Assumptions.assumeFalse(CudaProvider.open(0).available(), "a GPU is present here");
        MainTest.Run r = new MainTest.Run(train(dir.resolve("run"), "cuda"));
        assertEquals(1, r.rc, r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.startsWith("dpmammo classifier: --device cuda: no usable GPU: "), r.err);
        // The cause, not a stack trace: which of driver, JCuda natives, device, capability or memory is missing.
        String cause = r.err.substring(r.err.indexOf("no usable GPU: ") + 15).strip();
        assertTrue(cause.startsWith("no NVIDIA driver") || cause.startsWith("JCuda") || cause.startsWith("the NVIDIA driver")
                || cause.startsWith("out of GPU memory") || cause.contains("compute capability"), cause);
        assertFalse(Files.exists(dir.resolve("run").resolve("provenance.json")), "nothing trained");
    }

    @Test
    void autoWithoutAGpuSaysSoOnceAndRecordsTheCpu(@TempDir Path dir) throws Exception {
        Assumptions.assumeFalse(CudaProvider.open(0).available(), "a GPU is present here");
        MainTest.Run r = new MainTest.Run(train(dir, "auto"));
        assertEquals(0, r.rc, r.err);
        assertEquals(1, r.err.lines().filter(l -> l.contains("--device")).count(), r.err);
        assertTrue(r.err.contains("dpmammo: --device auto: no usable GPU (") && r.err.contains("); computing on the CPU"), r.err);
        assertTrue(Files.readString(dir.resolve("provenance.json")).contains("\"device\" : \"cpu\""), Files.readString(dir.resolve("provenance.json")));
    }

    @Test
    void anUnknownDeviceIsAUsageError(@TempDir Path dir) {
        MainTest.Run r = new MainTest.Run(train(dir, "tpu"));
        assertEquals(2, r.rc);
        assertTrue(r.err.contains("--device must be cpu, cuda or auto, got 'tpu'"), r.err);
    }
}
