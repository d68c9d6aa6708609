package org.dpmammo.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * One GPU as the backend sees it: its primary context, one stream that every copy and kernel goes to (so work is
 * ordered without events), the kernel modules loaded from the jar, and the caching allocator.
 *
 * <p>Every driver call is checked here rather than through JCuda's exceptions, so a failure names the kernel and
 * its grid/block. Kernel faults surface at the next synchronisation; {@code -Ddpmammo.cuda.sync=true} synchronises
 * after every launch to pin them on the kernel that caused them.
 */
final class CudaDevice implements KernelDevice {
    /** Kernel families, one per src/main/cuda/*.cu. */
    private static final String[] FAMILIES = {"elementwise", "reduce", "softmax", "sgemm", "sgemm_tf32", "conv", "index", "dp", "loss"};
    private static final String RESOURCES = "/org/dpmammo/cuda/";
    private static final boolean SYNC_EACH = Boolean.getBoolean("dpmammo.cuda.sync");

    final int ordinal;
    final String name;
    final int ccMajor;
    final int ccMinor;
    private final CUcontext context = new CUcontext();
    final CUstream stream = new CUstream();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final CachingAllocator<Object> allocator;
    private String lastKernel = "none";

    private CudaDevice(int ordinal) {
        JCudaDriver.setExceptionsEnabled(false);
        check(cuInit(0), "cuInit");
        int[] count = new int[1];
        check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal >= count[0]) throw new CudaFailure("no CUDA device " + ordinal + " (" + count[0] + " present)");
        this.ordinal = ordinal;
        CUdevice device = new CUdevice();
        check(cuDeviceGet(device, ordinal), "cuDeviceGet");
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        this.name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        int[] v = new int[1];
        check(cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "cuDeviceGetAttribute");
        this.ccMajor = v[0];
        check(cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "cuDeviceGetAttribute");
        this.ccMinor = v[0];
        if (ccMajor < 7 || (ccMajor == 7 && ccMinor < 5)) {
            throw new CudaFailure(name + " has compute capability " + ccMajor + "." + ccMinor + "; the kernels need 7.5 or newer");
        }
        // The primary context is the one the CUDA runtime would use too, so other libraries (cuBLAS) can share it.
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        enter();
        check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        this.allocator = new CachingAllocator<>(this::driverAlloc, p -> check(cuMemFree((CUdeviceptr) p), "cuMemFree"), CudaDevice::collectGarbage);
        for (String family : FAMILIES) {
            if (family.equals("sgemm_tf32") && ccMajor < 8) continue;
            modules.put(family, loadModule(family));
        }
    }

    static CudaDevice open(int ordinal) {
        return new CudaDevice(ordinal);
    }

    @Override
    public boolean hasTf32() {
        return modules.containsKey("sgemm_tf32");
    }

    @Override
    public String describe() {
        return "cuda:" + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ")";
    }

    @Override
    public String name() {
        return "cuda:" + ordinal;
    }

    @Override
    public CachingAllocator<Object> allocator() {
        return allocator;
    }

    /** Makes this device's context current on the calling thread; every entry point calls it first. */
    @Override
    public void enter() {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    private Object driverAlloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        int rc = cuMemAlloc(p, bytes);
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) throw new OutOfMemoryError("cuda:" + ordinal + ": out of device memory allocating " + bytes + " bytes");
        check(rc, "cuMemAlloc(" + bytes + ")");
        return p;
    }

    /** Lets the cleaner return the blocks of unreachable buffers; device memory runs out long before the heap does. */
    private static void collectGarbage() {
        System.gc();
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** On sm_90 the native cubin (no JIT, no driver PTX-version requirement); elsewhere, or if it fails, the PTX. */
    private CUmodule loadModule(String family) {
        CUmodule module = new CUmodule();
        if (ccMajor == 9 && ccMinor == 0) {
            byte[] cubin = resource(family + ".sm_90.cubin");
            if (cubin != null && cuModuleLoadData(module, cubin) == CUresult.CUDA_SUCCESS) return module;
        }
        byte[] ptx = resource(family + ".ptx");
        if (ptx == null) throw new CudaFailure("kernel resource " + RESOURCES + family + ".ptx missing from the jar");
        byte[] z = java.util.Arrays.copyOf(ptx, ptx.length + 1);  // the driver reads PTX as a NUL-terminated string
        int rc = cuModuleLoadData(module, z);
        if (rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            int[] v = new int[1];
            cuDriverGetVersion(v);
            throw new CudaFailure("cuda: " + family + ".ptx is PTX ISA 9.0 (CUDA 13) and driver " + v[0] / 1000 + "." + v[0] % 1000 / 10
                    + " cannot JIT it: update the NVIDIA driver to R580+ or rebuild the PTX with an older nvcc (tools/build-ptx.sh)");
        }
        check(rc, "cuModuleLoadData(" + family + ".ptx)");
        return module;
    }

    private static byte[] resource(String name) {
        try (InputStream in = CudaDevice.class.getResourceAsStream(RESOURCES + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaFailure("reading kernel resource " + name + ": " + e.getMessage());
        }
    }

    private synchronized CUfunction function(String family, String kernel) {
        return functions.computeIfAbsent(kernel, k -> {
            CUmodule m = modules.get(family);
            if (m == null) throw new CudaFailure("kernel family " + family + " not loaded on " + describe());
            CUfunction f = new CUfunction();
            check(cuModuleGetFunction(f, m, k), "cuModuleGetFunction(" + k + ")");
            return f;
        });
    }

    private static CUdeviceptr pointer(DevPtr p) {
        return p.buffer() == null ? new CUdeviceptr() : ((CUdeviceptr) p.buffer().block).withByteOffset(p.byteOffset());
    }

    @Override
    public void launch(String family, String kernel, LaunchShape shape, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Integer v) params[i] = Pointer.to(new int[] {v});
            else if (a instanceof Long v) params[i] = Pointer.to(new long[] {v});
            else if (a instanceof Float v) params[i] = Pointer.to(new float[] {v});
            else if (a instanceof Double v) params[i] = Pointer.to(new double[] {v});
            else if (a instanceof DevPtr p) params[i] = Pointer.to(pointer(p));
            else if (a instanceof int[] s) params[i] = Pointer.to(s);
            else throw new IllegalArgumentException("launch " + kernel + ": unsupported argument type " + a.getClass());
        }
        String what = "kernel " + kernel + " " + shape;
        lastKernel = what;
        check(cuLaunchKernel(function(family, kernel), shape.gridX(), shape.gridY(), shape.gridZ(), shape.blockX(), 1, 1, 0,
                stream, Pointer.to(params), null), what);
        if (SYNC_EACH) check(cuStreamSynchronize(stream), "cuStreamSynchronize after " + what);
    }

    @Override
    public void synchronize() {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize (last launch: " + lastKernel
                + "; run with -Ddpmammo.cuda.sync=true to pin the failing kernel)");
    }

    // Host copies use the blocking driver calls on a synchronised device: JCuda hands Java arrays to the driver as
    // pageable memory, which an asynchronous copy may still be reading after the call returns. So: drain the
    // stream (a reused block may still be read by earlier kernels), copy, and for uploads wait until the DMA has
    // landed, since a pageable cuMemcpyHtoD may return before it has and our stream does not wait for the
    // legacy stream the copy ran on.
    @Override
    public void upload(DevPtr dst, float[] host, int offset, int n) {
        if (n == 0) return;
        synchronize();
        check(cuMemcpyHtoD(pointer(dst), Pointer.to(host).withByteOffset(4L * offset), 4L * n), "cuMemcpyHtoD(" + n + " floats)");
        check(cuCtxSynchronize(), "cuCtxSynchronize after an upload");
    }

    @Override
    public void uploadInts(DevPtr dst, int[] host) {
        if (host.length == 0) return;
        synchronize();
        check(cuMemcpyHtoD(pointer(dst), Pointer.to(host), 4L * host.length), "cuMemcpyHtoD(" + host.length + " ints)");
        check(cuCtxSynchronize(), "cuCtxSynchronize after an upload");
    }

    @Override
    public float[] download(DevPtr src, long floats) {
        enter();
        float[] out = new float[Math.toIntExact(floats)];
        synchronize();
        if (floats > 0) check(cuMemcpyDtoH(Pointer.to(out), pointer(src), 4L * floats), "cuMemcpyDtoH(" + floats + " floats)");
        return out;
    }

    @Override
    public void copy(DevPtr dst, DevPtr src, long floats) {
        if (floats > 0) check(cuMemcpyDtoDAsync(pointer(dst), pointer(src), 4L * floats, stream), "cuMemcpyDtoDAsync(" + floats + " floats)");
    }

    @Override
    public void zero(DevPtr dst, long floats) {
        if (floats > 0) check(cuMemsetD32Async(pointer(dst), 0, floats, stream), "cuMemsetD32Async(" + floats + " floats)");
    }

    static void check(int rc, String what) {
        if (rc != CUresult.CUDA_SUCCESS) throw new CudaFailure("cuda: " + what + " failed: " + CUresult.stringFor(rc));
    }
}
