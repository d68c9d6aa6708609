package org.dpmammo.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.dpmammo.nn.TorchPickle.StorageRef;
import org.dpmammo.nn.TorchPickle.StorageType;
import org.dpmammo.nn.TorchPickle.TensorRef;
import org.dpmammo.tensor.Tensor;

/**
 * State dicts as users have them: safetensors, or PyTorch's {@code torch.save} — the zip archive of version 1.6 and
 * later ({@code NAME/data.pkl}, a pickle whose persistent ids name storages, plus one {@code NAME/data/KEY} file per
 * storage) and the legacy single-stream format ({@code _use_new_zipfile_serialization=False}: magic number,
 * protocol version and system-info pickles, the state-dict pickle, the sorted storage keys, then each storage as an
 * int64 element count and its bytes). The format is recognised from the first bytes, not the file name.
 *
 * <p>Pickles are read by {@link TorchPickle}, which interprets data only and refuses everything a state dict does not
 * need. Tensors are rebuilt from (storage, offset, size, stride), so views — shared storages, offsets, transposed
 * strides — come out as the values PyTorch sees; every element a view reaches is checked to lie inside its storage.
 * All element types become float, as {@link SafeTensors} reads them (int64 buffers such as
 * relative_position_index included).
 *
 * <p>Every problem — an unknown format, a truncated archive, a storage whose bytes do not match its declared size,
 * a refused pickle — is a {@link FormatException} with one line naming the file and the problem. Memory is bounded
 * by the file: storages must be stored uncompressed (torch.save never compresses), and the tensors rebuilt from
 * them may hold at most {@link #VIEW_EXPANSION} times the storages' elements (or 16 M elements), since a crafted
 * stride-0 view could otherwise ask for gigabytes from a few bytes.
 */
public final class StateDictFiles {
    private StateDictFiles() {}

    /** The stored file formats this reads. */
    public enum Format { SAFETENSORS, TORCH_ZIP, TORCH_LEGACY }

    /** A file's tensors in file order, its safetensors metadata (empty for PyTorch files) and its format. */
    public record StateDict(Map<String, Tensor> tensors, Map<String, String> metadata, Format format) {}

    /** A file that is not a readable state dict: bad input, not a failure of the program. */
    public static final class FormatException extends IOException {
        public FormatException(String message) {
            super(message);
        }
    }

    /** How many times the storages' element count the rebuilt tensors may hold (tied weights repeat a storage). */
    static final int VIEW_EXPANSION = 4;
    private static final long MIN_VIEW_BUDGET = 1L << 24;
    private static final long MAX_PICKLE = 64L << 20;
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** torch.serialization's MAGIC_NUMBER 0x1950a86a20f9469cfc6c pickled as LONG1 (protocol 2), then STOP. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
        (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, '.'};
    private static final long LEGACY_PROTOCOL = 1001;

    /** Loads a file's state dict into a module (see {@link Module#loadStateDict}). */
    public static Module.LoadReport load(Path file, Module module, boolean strict) throws IOException {
        return module.loadStateDict(read(file).tensors(), strict);
    }

    public static StateDict read(Path file) throws IOException {
        byte[] head = new byte[LEGACY_MAGIC.length];
        int n;
        try (InputStream in = java.nio.file.Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return readZip(file);
        if (n == LEGACY_MAGIC.length && Arrays.equals(head, LEGACY_MAGIC)) return readLegacy(file);
        if (n >= 9 && head[8] == '{') {
            try {
                SafeTensors.Contents c = SafeTensors.read(file);
                return new StateDict(c.tensors(), c.metadata(), Format.SAFETENSORS);
            } catch (IOException e) {
                throw new FormatException(e.getMessage());
            }
        }
        throw bad(file, "neither safetensors nor a torch.save file (it starts with bytes " + hex(head, n) + ")");
    }

    // ---------------------------------------------------------------- torch.save zip archive

    private static StateDict readZip(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> es = zip.entries(); es.hasMoreElements();) {
                String name = es.nextElement().getName();
                int slash = name.indexOf('/');
                if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                    if (prefix != null) throw bad(file, "zip archive holds more than one data.pkl");
                    prefix = name.substring(0, slash + 1);
                }
            }
            if (prefix == null) throw bad(file, "zip archive without NAME/data.pkl: not a torch.save file");
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
            if (byteOrder != null) {
                String o = new String(entryBytes(zip, byteOrder, 16, file), StandardCharsets.US_ASCII).trim();
                if (o.equals("big")) order = ByteOrder.BIG_ENDIAN;
                else if (!o.equals("little")) throw bad(file, "byteorder record says '" + TorchPickle.printable(o) + "'");
            }
            Map<String, StorageRef> storages = new LinkedHashMap<>();
            Object root = unpickle(file, ByteBuffer.wrap(entryBytes(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE, file)),
                    TorchPickle.Format.ZIP, storages);
            Map<String, TensorRef> refs = stateDict(file, root);
            Map<String, float[]> data = new HashMap<>();
            for (StorageRef s : storages.values()) {
                ZipEntry e = zip.getEntry(prefix + "data/" + s.key());
                if (e == null) throw bad(file, "storage '" + TorchPickle.printable(s.key()) + "' has no record " + prefix + "data/" + s.key());
                long bytes = storageBytes(file, s);
                if (e.getSize() != bytes) {
                    throw bad(file, "storage '" + s.key() + "' holds " + e.getSize() + " bytes but " + s.numel() + " " + s.type().pickleName
                            + " elements need " + bytes);
                }
                data.put(s.key(), decode(ByteBuffer.wrap(entryBytes(zip, e, bytes, file)).order(order), s.type(), (int) s.numel()));
            }
            return new StateDict(materialise(file, refs, data), Map.of(), Format.TORCH_ZIP);
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            // ZipException for a missing or corrupt central directory, EOFException for entries cut short.
            throw bad(file, "not a readable zip archive (truncated or corrupt?): " + e.getMessage());
        }
    }

    /**
     * An entry's bytes, at most {@code limit} of them. Only stored (uncompressed) entries are read, so the size read
     * is bounded by the file's own size; a short entry is an error, not a silent zero fill.
     */
    private static byte[] entryBytes(ZipFile zip, ZipEntry e, long limit, Path file) throws IOException {
        if (e.getMethod() != ZipEntry.STORED) throw bad(file, "entry " + e.getName() + " is compressed; torch.save stores entries uncompressed");
        long size = e.getSize();
        if (size < 0 || size > limit) throw bad(file, "entry " + e.getName() + " has " + size + " bytes, over the limit of " + limit);
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) size);
            if (b.length != size || in.read() != -1) throw bad(file, "entry " + e.getName() + " does not hold the " + size + " bytes it declares");
            return b;
        }
    }

    // ---------------------------------------------------------------- legacy single-stream format

    private static StateDict readLegacy(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) throw bad(file, "legacy torch.save file over 2 GB; re-save it with the zip format");
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            buf.position(LEGACY_MAGIC.length);
            Map<String, StorageRef> storages = new LinkedHashMap<>();
            Object protocol = unpickle(file, buf, TorchPickle.Format.LEGACY, storages);
            if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) throw bad(file, "legacy protocol version " + TorchPickle.describe(protocol) + ", expected 1001");
            Object sysInfo = unpickle(file, buf, TorchPickle.Format.LEGACY, storages);
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            if (sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) order = ByteOrder.BIG_ENDIAN;
            else if (!(sysInfo instanceof Map)) throw bad(file, "legacy system info is a " + TorchPickle.typeName(sysInfo) + ", not a dict");
            Map<String, TensorRef> refs = stateDict(file, unpickle(file, buf, TorchPickle.Format.LEGACY, storages));
            Object keys = unpickle(file, buf, TorchPickle.Format.LEGACY, storages);
            if (!(keys instanceof List<?> keyList)) throw bad(file, "legacy storage key list is a " + TorchPickle.typeName(keys));
            buf.order(order);
            Map<String, float[]> data = new HashMap<>();
            for (Object k : keyList) {
                StorageRef s = k instanceof String key ? storages.get(key) : null;
                if (s == null) throw bad(file, "legacy storage key " + TorchPickle.describe(k) + " names no storage of the pickle");
                if (data.containsKey(s.key())) throw bad(file, "legacy storage '" + s.key() + "' is listed twice");
                long bytes = storageBytes(file, s);
                if (buf.remaining() < 8) throw bad(file, "file ends before the record of storage '" + s.key() + "'");
                long count = buf.getLong();
                if (count != s.numel()) throw bad(file, "storage '" + s.key() + "' record holds " + count + " elements but the pickle says " + s.numel());
                if (bytes > buf.remaining()) throw bad(file, "storage '" + s.key() + "' needs " + bytes + " bytes but the file has " + buf.remaining() + " left");
                ByteBuffer slice = buf.slice().limit((int) bytes).order(order);
                buf.position(buf.position() + (int) bytes);
                data.put(s.key(), decode(slice, s.type(), (int) s.numel()));
            }
            for (StorageRef s : storages.values()) {
                if (!data.containsKey(s.key())) throw bad(file, "storage '" + s.key() + "' is not in the legacy key list");
            }
            if (buf.hasRemaining()) throw bad(file, buf.remaining() + " bytes after the last storage");
            return new StateDict(materialise(file, refs, data), Map.of(), Format.TORCH_LEGACY);
        }
    }

    // ---------------------------------------------------------------- shared steps

    private static Object unpickle(Path file, ByteBuffer buf, TorchPickle.Format format, Map<String, StorageRef> storages) throws FormatException {
        try {
            return TorchPickle.read(buf, format, storages);
        } catch (TorchPickle.PickleException e) {
            throw bad(file, e.getMessage());
        }
    }

    /** The pickle's root must be a dict of name → tensor: a state dict, nothing else. */
    private static Map<String, TensorRef> stateDict(Path file, Object root) throws FormatException {
        if (!(root instanceof Map<?, ?> m)) throw bad(file, "the pickle holds a value of type " + TorchPickle.typeName(root) + ", not a state dict");
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String name)) throw bad(file, "state dict key " + TorchPickle.describe(e.getKey()) + " is not a string");
            if (!(e.getValue() instanceof TensorRef t)) {
                throw bad(file, "'" + TorchPickle.printable(name) + "' is of type " + TorchPickle.typeName(e.getValue())
                        + ", not a tensor (a training checkpoint? save model.state_dict() alone)");
            }
            out.put(name, t);
        }
        return out;
    }

    private static long storageBytes(Path file, StorageRef s) throws FormatException {
        if (s.numel() > MAX_ELEMENTS) throw bad(file, "storage '" + s.key() + "' of " + s.numel() + " elements is more than a Java array holds");
        return s.numel() * s.type().bytes;
    }

    /**
     * Each tensor as a contiguous float tensor: element (i_0, …, i_k) is storage[offset + Σ i_d·stride_d]. A tensor
     * that covers its whole storage contiguously from 0 takes the storage's array as it is.
     */
    private static Map<String, Tensor> materialise(Path file, Map<String, TensorRef> refs, Map<String, float[]> data) throws FormatException {
        long storageElements = 0;
        for (float[] d : data.values()) storageElements += d.length;
        long budget = Math.max(MIN_VIEW_BUDGET, VIEW_EXPANSION * storageElements), used = 0;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
            String name = TorchPickle.printable(e.getKey());
            TensorRef t = e.getValue();
            float[] storage = data.get(t.storage().key());
            int[] shape = new int[t.size().length];
            long numel = 1, lastIndex = t.offset();
            try {
                for (int d = 0; d < shape.length; d++) {
                    numel = Math.multiplyExact(numel, t.size()[d]);
                    if (t.size()[d] > 0) lastIndex = Math.addExact(lastIndex, Math.multiplyExact(t.size()[d] - 1, t.stride()[d]));
                }
            } catch (ArithmeticException overflow) {
                throw bad(file, "tensor '" + name + "' has size " + Arrays.toString(t.size()) + " and stride " + Arrays.toString(t.stride()) + " beyond 64 bits");
            }
            if (numel > MAX_ELEMENTS) throw bad(file, "tensor '" + name + "' of " + numel + " elements is more than a Java array holds");
            if (numel > 0 && lastIndex >= storage.length) {
                throw bad(file, "tensor '" + name + "' (offset " + t.offset() + ", size " + Arrays.toString(t.size()) + ", stride "
                        + Arrays.toString(t.stride()) + ") reaches element " + lastIndex + " of storage '" + t.storage().key() + "', which holds " + storage.length);
            }
            used += numel;
            if (used > budget) {
                throw bad(file, "tensor '" + name + "' brings the rebuilt tensors to " + used + " elements, over " + budget + " ("
                        + VIEW_EXPANSION + " × the " + storageElements + " stored elements)");
            }
            for (int d = 0; d < shape.length; d++) shape[d] = (int) t.size()[d];
            out.put(e.getKey(), Tensor.of(gather(storage, t, (int) numel), shape));
        }
        return out;
    }

    private static float[] gather(float[] storage, TensorRef t, int numel) {
        long[] size = t.size(), stride = t.stride();
        if (t.offset() == 0 && numel == storage.length && isContiguous(size, stride)) return storage;
        float[] out = new float[numel];
        int dims = size.length;
        long[] index = new long[dims];
        long at = t.offset();
        for (int i = 0; i < numel; i++) {
            out[i] = storage[(int) at];
            // Odometer over the indices, last dimension fastest, keeping the storage position in step.
            for (int d = dims - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    at += stride[d];
                    break;
                }
                at -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return out;
    }

    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) return false;
            expected *= size[d];
        }
        return true;
    }

    private static float[] decode(ByteBuffer b, StorageType type, int count) {
        float[] out = new float[count];
        switch (type) {
            case FLOAT -> b.asFloatBuffer().get(out);
            case DOUBLE -> {
                for (int i = 0; i < count; i++) out[i] = (float) b.getDouble();
            }
            case HALF -> {
                for (int i = 0; i < count; i++) out[i] = SafeTensors.halfToFloat(b.getShort());
            }
            case BFLOAT16 -> {
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
            }
            case LONG -> {
                for (int i = 0; i < count; i++) out[i] = (float) b.getLong();
            }
            case INT -> {
                for (int i = 0; i < count; i++) out[i] = b.getInt();
            }
            case SHORT -> {
                for (int i = 0; i < count; i++) out[i] = b.getShort();
            }
            case CHAR -> {
                for (int i = 0; i < count; i++) out[i] = b.get();
            }
            case BYTE, BOOL -> {
                for (int i = 0; i < count; i++) out[i] = b.get() & 0xFF;
            }
        }
        return out;
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, 8); i++) sb.append(String.format("%02x", b[i] & 0xFF));
        return n == 0 ? "(empty file)" : sb.toString();
    }

    private static FormatException bad(Path file, String problem) {
        return new FormatException(file + ": " + problem);
    }
}
