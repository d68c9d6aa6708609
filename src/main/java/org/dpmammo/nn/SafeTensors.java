package org.dpmammo.nn;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.BadInputException;

/**
 * The safetensors checkpoint format (Hugging Face): an unsigned little-endian 8-byte header length N, N bytes of
 * UTF-8 JSON mapping each tensor name to {dtype, shape, data_offsets [begin, end)} plus an optional
 * {@code __metadata__} string map, then the raw little-endian data. Offsets are relative to the end of the header
 * and must tile the data exactly, with no gap and no overlap.
 *
 * <p>Writes F32, and I64 for the keys named as integer (PyTorch's int64 buffers such as num_batches_tracked), in
 * the map's order, atomically. Reads F32, F16, BF16, F64 and I64 into float tensors. The reader trusts nothing in
 * the file: every inconsistency is an {@link IOException} with one line naming the file and the problem.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Element types read or written here, with their safetensors names and sizes in bytes. */
    public enum DType {
        F32(4), F16(2), BF16(2), F64(8), I64(8);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }
    }

    /** A file's tensors (as float), the dtype each was stored with, and its metadata, all in file order. */
    public record Contents(Map<String, Tensor> tensors, Map<String, DType> dtypes, Map<String, String> metadata) {}

    private static final String METADATA = "__metadata__";
    /** A larger header is refused before it is read: real headers are kilobytes, and the limit bounds memory. */
    private static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    // ---------------------------------------------------------------- write

    /** Writes every tensor as F32. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, Set.of(), metadata);
    }

    /** Writes the tensors in map order, those named in int64Keys as I64 (their values must be whole numbers). */
    public static void write(Path file, Map<String, Tensor> tensors, Set<String> int64Keys, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) throw new IllegalArgumentException("safetensors: '" + METADATA + "' cannot name a tensor");
            Tensor t = e.getValue();
            DType dt = int64Keys.contains(name) ? DType.I64 : DType.F32;
            if (dt == DType.I64) {
                for (float v : t.toArray()) {
                    if (!Float.isFinite(v) || v != Math.rint(v)) throw new IllegalArgumentException("safetensors: integer tensor '" + name + "' holds " + v);
                }
            }
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", dt.name());
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shapeRef()) shape.add(d);
            long end = offset + (long) t.numel() * dt.bytes;
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        // Pad with spaces to a multiple of 8 so the data starts aligned, as the reference writer does.
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = new byte[8 + padded];
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, head, 8, json.length);
        for (int i = 8 + json.length; i < head.length; i++) head[i] = ' ';
        AtomicFiles.write(file, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 16);
            out.write(head);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) writeData(out, e.getValue(), int64Keys.contains(e.getKey()));
            out.flush();
        });
    }

    private static void writeData(OutputStream out, Tensor t, boolean int64) throws IOException {
        float[] v = t.toArray();
        int width = int64 ? 8 : 4;
        ByteBuffer buf = ByteBuffer.allocate(8192 * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            if (int64) buf.putLong((long) v[i]);
            else buf.putFloat(v[i]);
            if (!buf.hasRemaining() || i == v.length - 1) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
        }
    }

    /** Saves a module's state dict, its int64 buffers as I64, with metadata (provenance). */
    public static void save(Path file, Module module, Map<String, String> metadata) throws IOException {
        write(file, module.stateDict(), module.integerStateKeys(), metadata);
    }

    /** Loads a file into a module (see {@link Module#loadStateDict}). */
    public static Module.LoadReport load(Path file, Module module, boolean strict) throws IOException {
        return module.loadStateDict(read(file).tensors(), strict);
    }

    // ---------------------------------------------------------------- read

    private record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(file, "file of " + size + " bytes is too short for the 8-byte header length");
            ByteBuffer lenBuf = readFully(ch, 0, 8, file);
            long n = lenBuf.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > size - 8) throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the file size " + size);
            if (n > MAX_HEADER) throw bad(file, "header length " + n + " is over the " + MAX_HEADER + "-byte limit");
            byte[] headerBytes = readFully(ch, 8, (int) n, file).array();
            JsonNode root;
            try {
                root = JSON.readTree(headerBytes);
            } catch (JsonProcessingException e) {
                throw bad(file, "header is not valid JSON: " + e.getOriginalMessage().replace('\n', ' '));
            }
            if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals(METADATA)) readMetadata(file, f.getValue(), metadata);
                else entries.add(parseEntry(file, f.getKey(), f.getValue()));
            }
            long dataLen = size - 8 - n;
            checkLayout(file, entries, dataLen);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, DType> dtypes = new LinkedHashMap<>();
            for (Entry e : entries) {
                ByteBuffer data = readFully(ch, 8 + n + e.begin, (int) (e.end - e.begin), file).order(ByteOrder.LITTLE_ENDIAN);
                tensors.put(e.name, Tensor.of(decode(data, e.dtype, (int) ((e.end - e.begin) / e.dtype.bytes)), e.shape));
                dtypes.put(e.name, e.dtype);
            }
            return new Contents(tensors, dtypes, metadata);
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) throws IOException {
        if (!node.isObject()) throw bad(file, METADATA + " is not an object");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) throw bad(file, METADATA + " value of '" + m.getKey() + "' is not a string");
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode node) throws IOException {
        if (!node.isObject()) throw bad(file, "entry '" + name + "' is not an object");
        JsonNode dt = node.get("dtype"), shape = node.get("shape"), offsets = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw bad(file, "tensor '" + name + "' has no dtype string");
        DType dtype;
        try {
            dtype = DType.valueOf(dt.textValue());
        } catch (IllegalArgumentException e) {
            throw bad(file, "tensor '" + name + "' has dtype '" + dt.textValue() + "', not one of F32, F16, BF16, F64, I64");
        }
        if (shape == null || !shape.isArray()) throw bad(file, "tensor '" + name + "' has no shape array");
        int[] dims = new int[shape.size()];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!d.canConvertToInt() || !d.isIntegralNumber() || d.intValue() < 0) throw bad(file, "tensor '" + name + "' has shape entry " + d);
            dims[i] = d.intValue();
            numel *= dims[i];
            if (numel > Integer.MAX_VALUE - 8) throw bad(file, "tensor '" + name + "' has more elements than a Java array holds");
        }
        if (numel * dtype.bytes > Integer.MAX_VALUE - 8) throw bad(file, "tensor '" + name + "' has more than 2 GB of data, more than one read buffer holds");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(0).isIntegralNumber()
                || !offsets.get(1).canConvertToLong() || !offsets.get(1).isIntegralNumber()) {
            throw bad(file, "tensor '" + name + "' has no data_offsets pair of integers");
        }
        long begin = offsets.get(0).longValue(), end = offsets.get(1).longValue();
        if (begin < 0 || end < begin) throw bad(file, "tensor '" + name + "' has data_offsets [" + begin + ", " + end + ")");
        if (end - begin != numel * dtype.bytes) {
            throw bad(file, "tensor '" + name + "' spans " + (end - begin) + " bytes but " + dtype + " " + shape + " needs " + numel * dtype.bytes);
        }
        return new Entry(name, dtype, dims, begin, end);
    }

    /** The byte ranges, sorted, must start at 0, follow each other without gap or overlap, and end with the file. */
    private static void checkLayout(Path file, List<Entry> entries, long dataLen) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.end > dataLen) throw bad(file, "tensor '" + e.name + "' data [" + e.begin + ", " + e.end + ") is out of range of the " + dataLen + " data bytes");
            if (e.begin < at) throw bad(file, "tensor '" + e.name + "' data [" + e.begin + ", " + e.end + ") overlaps the previous tensor, which ends at " + at);
            if (e.begin > at) throw bad(file, "tensor '" + e.name + "' data starts at " + e.begin + ", leaving a gap after " + at);
            at = e.end;
        }
        if (at != dataLen) throw bad(file, "tensors cover " + at + " of the " + dataLen + " data bytes");
    }

    private static float[] decode(ByteBuffer b, DType dtype, int count) {
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < count; i++) out[i] = (float) b.getDouble();
            }
            case I64 -> {
                for (int i = 0; i < count; i++) out[i] = (float) b.getLong();
            }
            case BF16 -> {
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) out[i] = halfToFloat(b.getShort());
            }
        }
        return out;
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short bits) {
        int h = bits & 0xFFFF;
        int exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
        float magnitude;
        if (exp == 0) magnitude = Math.scalb((float) mant, -24); // zero and subnormals: mant · 2^−24
        else if (exp == 31) magnitude = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        else magnitude = Math.scalb((float) (1024 + mant), exp - 25); // (1 + mant/1024) · 2^(exp − 15)
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length, Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int r = ch.read(buf, position + buf.position());
            if (r < 0) throw bad(file, "unexpected end of file at byte " + (position + buf.position()));
        }
        return buf.flip();
    }

    private static BadInputException bad(Path file, String problem) {
        return new BadInputException(file + ": " + problem);
    }
}
