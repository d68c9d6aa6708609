package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.SafeTensors.DType;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryDtypeOfAnIndependentlyWrittenFile() throws IOException {
        Path file = dir.resolve("mixed.safetensors");
        try (InputStream in = getClass().getResourceAsStream("mixed_dtypes.safetensors")) {
            Files.write(file, in.readAllBytes());
        }
        SafeTensors.Contents c = SafeTensors.read(file);
        // Expected values printed by tools/reference/safetensors_fixture.py (numpy/torch casts to float32).
        assertEquals(List.of("f_i64", "e_i64", "d_f64", "c_bf16", "a_f32", "b_f16"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {0.333251953f, -0f, 65504f, 5.96046448e-08f, -2.5f, 1.00135803e-05f}, c.tensors().get("b_f16").toArray());
        TestTensors.assertShape(c.tensors().get("b_f16"), 2, 3);
        assertArrayEquals(new float[] {1.5f, -0.00724999979f}, c.tensors().get("a_f32").toArray());
        assertArrayEquals(new float[] {3.140625f, -0.000999450684f, 9.97277101e+19f}, c.tensors().get("c_bf16").toArray());
        assertArrayEquals(new float[] {0.1f, -123456.789f}, c.tensors().get("d_f64").toArray());
        assertArrayEquals(new float[] {42f}, c.tensors().get("e_i64").toArray());
        TestTensors.assertShape(c.tensors().get("e_i64"));
        assertArrayEquals(new float[] {-3f, 0f, 16777216f}, c.tensors().get("f_i64").toArray());
        assertEquals(DType.BF16, c.dtypes().get("c_bf16"));
        assertEquals(Map.of("format", "pt", "made_by", "tools/reference/safetensors_fixture.py"), c.metadata());
    }

    @Test
    void halfPrecisionSpecialValues() {
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensors.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(1f, SafeTensors.halfToFloat((short) 0x3C00));
        assertEquals(6.1035156e-5f, SafeTensors.halfToFloat((short) 0x0400), "smallest normal");
    }

    @Test
    void moduleRoundTripKeepsNamesValuesIntegersAndMetadata() throws IOException {
        ModuleTest.Net a = new ModuleTest.Net(new Rng(70));
        a.features.get(0).forward(Variable.constant(TestTensors.randn(new Rng(71), 2, 2, 4, 4)));
        Path file = dir.resolve("ckpt").resolve("net.safetensors");
        SafeTensors.save(file, a, Map.of("seed", "70", "note", "provenance goes here"));
        assertEquals(List.of(file.getFileName()), Files.list(file.getParent()).map(Path::getFileName).toList(), "no temporary file left behind");

        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(ModuleTest.TORCH_KEYS, List.copyOf(c.tensors().keySet()));
        assertEquals(DType.I64, c.dtypes().get("features.0.1.num_batches_tracked"));
        assertEquals(DType.F32, c.dtypes().get("head.weight"));
        assertEquals("provenance goes here", c.metadata().get("note"));
        assertEquals(0, (Files.size(file) - 8 - c.tensors().values().stream().mapToLong(t -> 4L * t.numel()).sum() - 4) % 8,
                "header padded to 8 bytes (the one I64 scalar takes 8 bytes, not 4)");

        ModuleTest.Net b = new ModuleTest.Net(new Rng(72));
        assertTrue(SafeTensors.load(file, b, true).clean());
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toArray(), b.stateDict().get(e.getKey()).toArray(), e.getKey());
        }
    }

    @Test
    void randomTensorsRoundTrip() throws IOException {
        Rng rng = new Rng(73);
        for (int trial = 0; trial < 20; trial++) {
            Map<String, Tensor> ts = new LinkedHashMap<>();
            int count = rng.nextInt(4);
            for (int k = 0; k < count; k++) {
                int[] shape = new int[rng.nextInt(4)];
                for (int d = 0; d < shape.length; d++) shape[d] = rng.nextInt(4);
                ts.put("t" + rng.nextInt(1000) + "_" + k, TestTensors.randn(rng, shape));
            }
            Path file = dir.resolve("r" + trial + ".safetensors");
            SafeTensors.write(file, ts, Map.of());
            SafeTensors.Contents c = SafeTensors.read(file);
            assertEquals(List.copyOf(ts.keySet()), List.copyOf(c.tensors().keySet()));
            for (String k : ts.keySet()) {
                assertArrayEquals(ts.get(k).shape(), c.tensors().get(k).shape(), k);
                assertArrayEquals(ts.get(k).toArray(), c.tensors().get(k).toArray(), k);
            }
            assertTrue(c.metadata().isEmpty());
        }
    }

    @Test
    void integerKeysMustHoldWholeNumbers() {
        Map<String, Tensor> ts = Map.of("n", Tensor.of(new float[] {1.5f}, 1));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(dir.resolve("x"), ts, Set.of("n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(dir.resolve("x"), Map.of("__metadata__", Tensor.zeros(1)), Map.of()));
    }

    // ---------------------------------------------------------------- corrupt files

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, dataBytes);
    }

    private Path raw(long declaredLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private void assertBad(Path f, String expectedFragment) {
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expectedFragment), "expected '" + expectedFragment + "' in: " + e.getMessage());
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void corruptHeadersAreRefusedWithOneLine() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertBad(tiny, "too short");
        assertBad(raw(1000, "{}".getBytes(StandardCharsets.UTF_8), 0), "exceeds the file size");
        assertBad(raw(-1, "{}".getBytes(StandardCharsets.UTF_8), 0), "exceeds the file size");
        assertBad(file("{\"a\":", 0), "not valid JSON");
        assertBad(file("[1,2]", 0), "not a JSON object");
        assertBad(file("{" + entry("a", "Q7", "[2]", 0, 8) + "}", 8), "dtype 'Q7'");
        assertBad(file("{" + entry("a", "F32", "[2]", 0, 8) + "}", 4), "out of range");
        assertBad(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12), "overlaps");
        assertBad(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[1]", 12, 16) + "}", 16), "gap");
        assertBad(file("{" + entry("a", "F32", "[3]", 0, 8) + "}", 8), "needs 12");
        assertBad(file("{" + entry("a", "F32", "[2]", 0, 8) + "}", 12), "cover 8 of the 12");
        assertBad(file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("a", "F32", "[2]", 8, 16) + "}", 16), "Duplicate field");
        assertBad(file("{" + entry("a", "F32", "[-2]", 0, 8) + "}", 8), "shape entry");
        assertBad(file("{" + entry("a", "F32", "[2]", 8, 0) + "}", 8), "data_offsets [8, 0)");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "no data_offsets");
        assertBad(file("{\"__metadata__\":{\"k\":1}}", 0), "is not a string");
        assertBad(file("{\"a\":[]}", 0), "is not an object");
        assertBad(file("{" + entry("a", "F32", "[65536,65536]", 0, 1L << 34) + "}", 0), "more elements than a Java array holds");
    }

    @Test
    void emptyFileOfTensorsIsValid() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file("{}      ", 0));
        assertTrue(c.tensors().isEmpty());
    }
}
