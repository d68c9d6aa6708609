package org.dpmammo.backend.cuda;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A {@link KernelDevice} whose kernels run in tools/kernel-lab/emulator.cpp (the real .cu sources compiled for the
 * host), so {@link CudaBackend} can be tested end to end on a machine without a GPU. Pointers are host addresses
 * inside the emulator process.
 */
final class EmulatedDevice implements KernelDevice, AutoCloseable {
    private final Process process;
    private final OutputStream out;
    private final DataInputStream in;
    private final CachingAllocator<Object> allocator;
    /** Host-to-device and device-to-host copies so far (calls, not bytes): what a test of residency counts. */
    final java.util.concurrent.atomic.AtomicLong uploads = new java.util.concurrent.atomic.AtomicLong(), downloads = new java.util.concurrent.atomic.AtomicLong();
    /** Where each transfer came from, when a test asks (null: not recorded). */
    volatile java.util.List<String> trace;

    EmulatedDevice(String executable) throws IOException {
        process = new ProcessBuilder(executable).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        allocator = new CachingAllocator<>(this::alloc, this::free, () -> {});
    }

    private synchronized Object alloc(long bytes) {
        send(request('A', 8).putLong(bytes));
        return readLong();
    }

    private synchronized void free(Object address) {
        send(request('F', 8).putLong((Long) address));
    }

    private static ByteBuffer request(char op, int payload) {
        return ByteBuffer.allocate(1 + payload).order(ByteOrder.LITTLE_ENDIAN).put((byte) op);
    }

    private void send(ByteBuffer b) {
        try {
            out.write(b.array(), 0, b.position());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("emulator died", e);
        }
    }

    private long readLong() {
        try {
            byte[] b = in.readNBytes(8);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long address(DevPtr p) {
        return p.buffer() == null ? 0 : (Long) p.buffer().block + p.byteOffset();
    }

    private void count(java.util.concurrent.atomic.AtomicLong counter, String what) {
        counter.incrementAndGet();
        java.util.List<String> t = trace;
        if (t != null) {
            StringBuilder b = new StringBuilder(what);
            for (StackTraceElement e : new Throwable().getStackTrace()) {
                if (e.getClassName().startsWith("org.dpmammo") && !e.getClassName().contains("EmulatedDevice")) b.append("\n    at ").append(e);
            }
            t.add(b.toString());
        }
    }

    @Override
    public String describe() {
        return "emulated CUDA device (kernels on the CPU)";
    }

    @Override
    public String name() {
        return "emu:0";
    }

    @Override
    public boolean hasTf32() {
        return true;
    }

    @Override
    public CachingAllocator<Object> allocator() {
        return allocator;
    }

    @Override
    public void enter() {}

    @Override
    public void synchronize() {}

    @Override
    public synchronized void upload(DevPtr dst, float[] src, int offset, int n) {
        count(uploads, "up " + n);
        ByteBuffer b = request('U', 16 + 4 * n).putLong(address(dst)).putLong(4L * n);
        for (int i = 0; i < n; i++) b.putFloat(src[offset + i]);
        send(b);
    }

    @Override
    public synchronized void uploadInts(DevPtr dst, int[] src) {
        count(uploads, "up ints " + src.length);
        ByteBuffer b = request('U', 16 + 4 * src.length).putLong(address(dst)).putLong(4L * src.length);
        for (int v : src) b.putInt(v);
        send(b);
    }

    @Override
    public synchronized float[] download(DevPtr src, long floats) {
        count(downloads, "down " + floats);
        send(request('D', 16).putLong(address(src)).putLong(4 * floats));
        try {
            ByteBuffer b = ByteBuffer.wrap(in.readNBytes(Math.toIntExact(4 * floats))).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[(int) floats];
            for (int i = 0; i < v.length; i++) v[i] = b.getFloat();
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void copy(DevPtr dst, DevPtr src, long floats) {
        send(request('C', 24).putLong(address(dst)).putLong(address(src)).putLong(4 * floats));
    }

    @Override
    public synchronized void zero(DevPtr dst, long floats) {
        send(request('Z', 16).putLong(address(dst)).putLong(4 * floats));
    }

    @Override
    public synchronized void launch(String family, String kernel, LaunchShape shape, Object... args) {
        byte[] name = kernel.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = request('L', 2 + name.length + 20 + args.length * 4 + 32 * 4 * args.length + 128);
        b.putShort((short) name.length).put(name).putInt(shape.gridX()).putInt(shape.gridY()).putInt(shape.gridZ()).putInt(shape.blockX()).putInt(args.length);
        for (Object a : args) {
            if (a instanceof Integer v) b.putInt(4).putInt(v);
            else if (a instanceof Long v) b.putInt(8).putLong(v);
            else if (a instanceof Float v) b.putInt(4).putFloat(v);
            else if (a instanceof Double v) b.putInt(8).putDouble(v);
            else if (a instanceof DevPtr p) b.putInt(8).putLong(address(p));
            else if (a instanceof int[] s) {
                b.putInt(4 * s.length);
                for (int v : s) b.putInt(v);
            } else throw new IllegalArgumentException("launch " + kernel + ": unsupported argument " + a.getClass());
        }
        send(b);
        try {
            int status = in.read();
            if (status != 0) throw new CudaFailure("emulator: kernel " + kernel + " " + shape + " failed with status " + status);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.write('Q');
        out.flush();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Compiles the emulator into target/ when a host C++20 compiler is present; null when none is. */
    static String build() throws IOException, InterruptedException {
        java.nio.file.Path exe = java.nio.file.Path.of("target/cuda-emu/emulator");
        java.nio.file.Files.createDirectories(exe.getParent());
        if (upToDate(exe)) return exe.toString();
        Process p;
        try {
            p = new ProcessBuilder("g++", "-std=c++20", "-O2", "-march=native", "-ffp-contract=off", "-U_FORTIFY_SOURCE", "-Wno-unknown-pragmas", "-I", "tools/kernel-lab", "-I",
                    "src/main/cuda", "tools/kernel-lab/emulator.cpp", "-o", exe.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return null;
        }
        String log = new String(readAll(p.getInputStream()), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("emulator build failed:\n" + log);
        return exe.toString();
    }

    /** True when the built emulator is newer than every source it is made of, so a rerun can skip the compile. */
    private static boolean upToDate(java.nio.file.Path exe) throws IOException {
        if (!java.nio.file.Files.exists(exe)) return false;
        java.nio.file.attribute.FileTime built = java.nio.file.Files.getLastModifiedTime(exe);
        for (String dir : new String[] {"src/main/cuda", "tools/kernel-lab"}) {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(java.nio.file.Path.of(dir))) {
                if (files.anyMatch(f -> {
                    try {
                        return java.nio.file.Files.getLastModifiedTime(f).compareTo(built) >= 0;
                    } catch (IOException e) {
                        return true;
                    }
                })) return false;
            }
        }
        return true;
    }

    private static byte[] readAll(InputStream s) throws IOException {
        return s.readAllBytes();
    }
}
