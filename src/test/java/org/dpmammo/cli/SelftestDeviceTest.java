package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.dpmammo.backend.cuda.CudaProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code selftest --device} on a machine without a GPU: cuda fails in one line, auto falls back to the CPU. */
class SelftestDeviceTest {
    private record Run(int rc, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withoutAGpuCudaFailsInOneLineAndAutoFallsBack() {
        Assumptions.assumeFalse(CudaProvider.open(0).available(), "a GPU is present: CudaBackendGpuTest covers this machine");
        Run cuda = run("selftest", "--device", "cuda");
        assertEquals(1, cuda.rc());
        assertEquals(1, cuda.err().strip().lines().count(), cuda.err());
        assertTrue(cuda.err().startsWith("selftest: --device cuda: no usable GPU: "), cuda.err());
        Run auto = run("selftest", "--device", "auto", "--failures-only");
        assertEquals(0, auto.rc(), auto.out() + auto.err());
        assertEquals(1, auto.err().strip().lines().count(), auto.err());
        assertTrue(auto.out().contains("0 failed"), auto.out());
    }

    @Test
    void unknownDeviceIsAUsageError() {
        assertEquals(2, run("selftest", "--device", "tpu").rc());
    }
}
