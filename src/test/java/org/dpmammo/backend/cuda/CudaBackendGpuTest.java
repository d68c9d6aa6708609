package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.check.BackendCheck;
import org.dpmammo.check.CudaChecks;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA backend against the CPU backend, on a machine with a GPU; skipped (with the reason) elsewhere. */
@Tag("gpu")
class CudaBackendGpuTest {
    @Test
    void everyOpAndDpKernelAgreesWithTheCpu() {
        CudaProvider.Availability cuda = CudaProvider.open(0);
        Assumptions.assumeTrue(cuda.available(), "no CUDA device: " + cuda.reason());
        CudaBackend gpu = (CudaBackend) cuda.backend();
        for (BackendCheck.Row r : CudaChecks.primitives(gpu, 1)) assertTrue(r.passed(), r.toString());
        for (BackendCheck.Row r : CudaChecks.dpKernels(gpu, 1)) assertTrue(r.passed(), r.toString());
    }
}
