package org.dpmammo.backend.cuda;

/**
 * What {@link CudaBackend} needs from a GPU: memory from a {@link CachingAllocator}, copies, and kernel launches in
 * one stream order. {@link CudaDevice} is the real one (JCuda driver API); the tests run the same backend against
 * an emulator that executes the .cu kernels on the CPU, which is how the launch code and the kernels' arithmetic
 * are checked on machines without a GPU.
 */
interface KernelDevice {
    /** "cuda:0 NVIDIA H200 (sm_90)". */
    String describe();

    /** "cuda:0", for messages about where a tensor lives. */
    String name();

    boolean hasTf32();

    /** The allocator whose blocks are this device's raw pointers. */
    CachingAllocator<Object> allocator();

    /** Makes the device current on the calling thread (a no-op where there is no such notion). */
    void enter();

    /** Waits for all queued work. */
    void synchronize();

    void upload(DevPtr dst, float[] src, int offset, int n);

    void uploadInts(DevPtr dst, int[] src);

    float[] download(DevPtr src, long floats);

    void copy(DevPtr dst, DevPtr src, long floats);

    void zero(DevPtr dst, long floats);

    /**
     * Queues a kernel. Arguments: Integer, Long, Float, Double, {@link DevPtr}, or int[] for a struct passed by value
     * (its ints are the struct's bytes).
     */
    void launch(String family, String kernel, LaunchShape shape, Object... args);
}
