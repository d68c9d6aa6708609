package org.dpmammo.backend.cuda;

import org.dpmammo.backend.Backend;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Assumptions;

/**
 * The CUDA backend over the kernel emulator, for tests outside this package: {@link #backend()} to compute on it
 * directly, {@link #asTheGpu()} to make {@link CudaProvider#open} hand it out, so that {@code --device cuda} paths
 * of the commands run the real CudaBackend and kernels on a machine without a GPU.
 */
public final class EmulatedCuda implements AutoCloseable {
    private final EmulatedDevice device;
    private final CudaBackend backend;

    private EmulatedCuda(EmulatedDevice device) {
        this.device = device;
        this.backend = new CudaBackend(device, false);
    }

    /** Builds and starts the emulator, or skips the calling test where no host C++ compiler is present. */
    public static EmulatedCuda startOrSkip() throws Exception {
        String exe = EmulatedDevice.build();
        Assumptions.assumeTrue(exe != null, "no g++ on PATH: kernel emulation skipped");
        return new EmulatedCuda(new EmulatedDevice(exe));
    }

    public Backend backend() {
        return backend;
    }

    /** Host-to-device copies (uploads of floats or ints) since the emulator started. */
    public long uploads() {
        return device.uploads.get();
    }

    /** Device-to-host copies since the emulator started. */
    public long downloads() {
        return device.downloads.get();
    }

    /** Records the call site of every transfer into {@code sink} until called with null (for diagnosing a count). */
    public void traceTransfers(java.util.List<String> sink) {
        device.trace = sink;
    }

    public Scope asTheGpu() {
        return CudaProvider.substituteForTests(backend);
    }

    @Override
    public void close() throws Exception {
        device.close();
    }
}
