package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one-line causes --device cuda reports, from the failures each cause produces. */
class CudaProviderTest {
    @Test
    void eachFailureIsNamedByWhatTheUserCanFix() {
        // JCuda's own message when the driver library is absent: the loader's nested traces name libcuda.so.1.
        String noDriver = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n---(start of nested stack traces)---\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file";
        assertEquals("no NVIDIA driver: libcuda.so.1 is not installed or not on the library path", CudaProvider.reason(new UnsatisfiedLinkError(noDriver)));
        assertTrue(CudaProvider.reason(new UnsatisfiedLinkError("No native library found for os.name=Linux, os.arch=riscv64"))
                .startsWith("JCuda's native library did not load on "));
        assertTrue(CudaProvider.reason(new NoClassDefFoundError("jcuda/driver/JCudaDriver")).startsWith("JCuda's classes are missing"));
        assertEquals("the NVIDIA driver loaded but finds no GPU (CUDA_ERROR_NO_DEVICE)",
                CudaProvider.reason(new CudaFailure("cuda: cuInit failed: CUDA_ERROR_NO_DEVICE")));
        assertTrue(CudaProvider.reason(new CudaFailure("cuda: cuInit failed: CUDA_ERROR_INSUFFICIENT_DRIVER")).startsWith("the NVIDIA driver is too old"));
        assertTrue(CudaProvider.reason(new CudaFailure("cuda: cuDevicePrimaryCtxRetain failed: CUDA_ERROR_OUT_OF_MEMORY")).startsWith("out of GPU memory"));
        assertEquals("Tesla P100 has compute capability 6.0; the kernels need 7.5 or newer",
                CudaProvider.reason(new CudaFailure("Tesla P100 has compute capability 6.0; the kernels need 7.5 or newer")));
    }
}
