package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.check.CudaChecks;
import org.dpmammo.testing.RequiredTools;
import org.junit.jupiter.api.Test;

/**
 * The whole CUDA backend — launch shapes, argument order and types, residency, the kernels' arithmetic — against the
 * CPU backend, with the .cu kernels executed on the CPU by tools/kernel-lab/emulator.cpp. What this cannot see:
 * the GPU's math library, real concurrency between blocks, memory-model races, and the TF32 kernel's inline PTX
 * (emulated from the PTX ISA's fragment layout, so a misreading of that layout would go unnoticed).
 */
class EmulatedCudaBackendTest {
    @Test
    void everyOpAndDpKernelAgreesWithTheCpuUnderEmulation() throws Exception {
        String exe = EmulatedDevice.build();
        RequiredTools.require(exe != null, "no g++ on PATH: kernel emulation skipped");
        try (EmulatedDevice dev = new EmulatedDevice(exe)) {
            CudaBackend emu = new CudaBackend(dev, false);
            List<String> failures = new ArrayList<>();
            List<BackendCheck.Row> rows = new ArrayList<>(CudaChecks.primitives(emu, 1));
            rows.addAll(CudaChecks.dpKernels(emu, 1));
            for (BackendCheck.Row r : rows) if (!r.passed()) failures.add(r.toString());
            assertTrue(failures.isEmpty(), failures.size() + " of " + rows.size() + " checks failed:\n" + String.join("\n", failures));
        }
    }
}
