package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * State dicts written by PyTorch (tools/torchvision_fixtures.py, see the fixture README): torch.save's zip and legacy
 * formats and safetensors give the same tensors and PyTorch's logits; files that are malformed or try to run code
 * are refused with one line, and nothing they ask for happens.
 */
class StateDictFilesTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/torchvision-tiny");
    /** What every payload in the malicious fixtures would create. */
    static final Path PAYLOAD_MARKER = Path.of("/tmp/dpmammo-pickle-payload-ran");

    static Map<String, Tensor> io;

    @BeforeAll
    static void readIo() throws Exception {
        io = SafeTensors.read(FIXTURE.resolve("io.safetensors")).tensors();
    }

    static double maxRelative(Tensor got, Tensor want) {
        float[] g = got.toArray(), w = want.toArray();
        assertEquals(w.length, g.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < g.length; i++) {
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return diff / scale;
    }

    static Tensor logits(Path file, int classes) throws Exception {
        SwinTransformer m = new SwinTransformer(SwinConfig.tiny(), SwinTransformer.Head.LINEAR, classes, new Rng(3));
        Module.LoadReport r = StateDictFiles.load(file, m, true);
        assertTrue(r.clean(), r.toString());
        m.eval();
        try (Scope s = Grad.noGrad()) {
            return m.forward(Variable.constant(io.get("x.input"))).value();
        }
    }

    @Test
    void everyFormatGivesPyTorchsLogits() throws Exception {
        for (String f : List.of("swin_tiny.pth", "swin_tiny_legacy.pth", "swin_tiny.safetensors")) {
            double rel = maxRelative(logits(FIXTURE.resolve(f), 2), io.get("x.logits"));
            assertTrue(rel <= 1e-4, f + ": logits relative error " + rel);
        }
    }

    @Test
    void halfPrecisionImageNetHeadGivesPyTorchsLogits() throws Exception {
        StateDictFiles.StateDict sd = StateDictFiles.read(FIXTURE.resolve("swin_tiny_1000_fp16.pth"));
        assertArrayEquals(new int[] {1000, 48}, sd.tensors().get("head.weight").shape());
        double rel = maxRelative(logits(FIXTURE.resolve("swin_tiny_1000_fp16.pth"), 1000), io.get("x.logits_1000"));
        assertTrue(rel <= 1e-4, "logits relative error " + rel);
    }

    /**
     * The .pth files hold views (qkv biases sharing one storage at offsets, transposed proj weights, a bias at offset
     * 5 of a padded storage); rebuilt, they equal the contiguous safetensors copy exactly, key for key and in order.
     */
    @Test
    void viewsAreRebuiltExactlyInBothTorchFormats() throws Exception {
        StateDictFiles.StateDict st = StateDictFiles.read(FIXTURE.resolve("swin_tiny.safetensors"));
        assertEquals(StateDictFiles.Format.SAFETENSORS, st.format());
        for (String f : List.of("swin_tiny.pth", "swin_tiny_legacy.pth")) {
            StateDictFiles.StateDict pth = StateDictFiles.read(FIXTURE.resolve(f));
            assertEquals(f.contains("legacy") ? StateDictFiles.Format.TORCH_LEGACY : StateDictFiles.Format.TORCH_ZIP, pth.format());
            assertEquals(List.copyOf(st.tensors().keySet()), List.copyOf(pth.tensors().keySet()), f);
            for (var e : st.tensors().entrySet()) {
                Tensor got = pth.tensors().get(e.getKey());
                assertArrayEquals(e.getValue().shape(), got.shape(), f + " " + e.getKey());
                assertArrayEquals(e.getValue().toArray(), got.toArray(), f + " " + e.getKey());
            }
        }
    }

    @Test
    void codeInAPickleIsRefusedAndNeverRuns() throws Exception {
        Files.deleteIfExists(PAYLOAD_MARKER);
        Map<String, String> expected = Map.of(
                "evil_reduce.pth", "GLOBAL posix.system is not allowed",
                "evil_os_system.pth", "GLOBAL os.system is not allowed",
                "evil_eval.pth", "GLOBAL builtins.eval is not allowed",
                "evil_opcode.pth", "opcode 0x69 (INST) is not allowed");
        for (var e : expected.entrySet()) {
            StateDictFiles.FormatException x = assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(FIXTURE.resolve(e.getKey())));
            assertTrue(x.getMessage().contains(e.getValue()), x.getMessage());
            assertOneLine(x.getMessage());
        }
        assertFalse(Files.exists(PAYLOAD_MARKER), "a payload ran");
    }

    @Test
    void malformedArchivesAreOneLineErrors() {
        Map<String, String> expected = Map.of(
                "truncated.pth", "not a readable zip archive",
                "wrong_storage_size.pth", "storage '0' holds 4604 bytes but 1152 FloatStorage elements need 4608",
                "oversized_view.pth", "over 16777216");
        for (var e : expected.entrySet()) {
            StateDictFiles.FormatException x = assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(FIXTURE.resolve(e.getKey())));
            assertTrue(x.getMessage().contains(e.getValue()), x.getMessage());
            assertOneLine(x.getMessage());
        }
    }

    @Test
    void legacyFileCutShortOrPaddedIsRefused(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(FIXTURE.resolve("swin_tiny_legacy.pth"));
        Path cut = dir.resolve("cut.pth"), padded = dir.resolve("padded.pth");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 100));
        Files.write(padded, java.util.Arrays.copyOf(good, good.length + 3));
        assertTrue(assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(cut)).getMessage().contains("bytes but the file has"));
        assertTrue(assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(padded)).getMessage().contains("3 bytes after the last storage"));
    }

    @Test
    void otherFilesAreNamedAsSuch(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "hello, not weights");
        assertTrue(assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(text)).getMessage()
                .contains("neither safetensors nor a torch.save file"));
        Path empty = dir.resolve("empty.pth");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(empty)).getMessage().contains("(empty file)"));
    }

    // ---------------------------------------------------------------- hand-built archives

    /** A stored zip laid out as torch.save's, with the given pickle and storage records. */
    static Path archive(Path file, byte[] pickle, Map<String, byte[]> records) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            Map<String, byte[]> all = new java.util.LinkedHashMap<>();
            all.put("archive/data.pkl", pickle);
            records.forEach((k, v) -> all.put("archive/" + k, v));
            for (var e : all.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        Files.write(file, bytes.toByteArray());
        return file;
    }

    /** Protocol-2 pickle pieces, as torch.save writes them. */
    static final class Pickle {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Pickle op(int... codes) {
            for (int c : codes) b.write(c);
            return this;
        }

        Pickle str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            b.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(u.length).array());
            b.writeBytes(u);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle integer(int v) {
            return op('K', v);
        }

        /** {name: _rebuild_tensor_v2(('storage', type, key, 'cpu', numel), offset, size, stride, False, OrderedDict())}. */
        Pickle tensor(String name, String type, String key, int numel, int offset, int[] size, int[] stride) {
            str(name).global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t', 'Q');
            integer(offset);
            op('(');
            for (int s : size) integer(s);
            op('t', '(');
            for (int s : stride) integer(s);
            op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R');
            return this;
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }

    static byte[] le(int bytesPer, long... values) {
        ByteBuffer buf = ByteBuffer.allocate(bytesPer * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPer) {
                case 1 -> buf.put((byte) v);
                case 2 -> buf.putShort((short) v);
                case 4 -> buf.putInt((int) v);
                default -> buf.putLong(v);
            }
        }
        return buf.array();
    }

    @Test
    void integerAndBfloat16StoragesAndStridedViews(@TempDir Path dir) throws Exception {
        byte[] pickle = new Pickle().op(0x80, 2, '}', '(')
                // a 2×3 int64 tensor stored transposed: storage 0..5, size (2, 3), stride (1, 2)
                .tensor("ints", "LongStorage", "0", 6, 0, new int[] {2, 3}, new int[] {1, 2})
                // bfloat16 1.0, -2.0, 0.5 with an offset of one element and stride 1
                .tensor("bf16", "BFloat16Storage", "1", 4, 1, new int[] {3}, new int[] {1})
                .tensor("bytes", "ByteStorage", "2", 2, 0, new int[] {2}, new int[] {1})
                .op('u', '.').bytes();
        Path f = archive(dir.resolve("mixed.pth"), pickle, Map.of(
                "data/0", le(8, 0, 1, 2, 3, 4, 5),
                "data/1", le(2, 0x7fc0, 0x3f80, 0xc000, 0x3f00),
                "data/2", le(1, 7, 255)));
        Map<String, Tensor> t = StateDictFiles.read(f).tensors();
        assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, t.get("ints").toArray());
        assertArrayEquals(new float[] {1, -2, 0.5f}, t.get("bf16").toArray());
        assertArrayEquals(new float[] {7, 255}, t.get("bytes").toArray());
    }

    @Test
    void viewsOutsideTheirStorageAreRefused(@TempDir Path dir) throws Exception {
        byte[] pickle = new Pickle().op(0x80, 2, '}', '(')
                .tensor("w", "FloatStorage", "0", 4, 2, new int[] {2, 2}, new int[] {2, 1})
                .op('u', '.').bytes();
        Path f = archive(dir.resolve("reach.pth"), pickle, Map.of("data/0", new byte[16]));
        String m = assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(f)).getMessage();
        assertTrue(m.contains("tensor 'w' (offset 2, size [2, 2], stride [2, 1]) reaches element 5 of storage '0', which holds 4"), m);
    }

    @Test
    void missingStorageRecordAndTrainingCheckpointsAreNamed(@TempDir Path dir) throws Exception {
        byte[] pickle = new Pickle().op(0x80, 2, '}', '(').tensor("w", "FloatStorage", "0", 1, 0, new int[] {1}, new int[] {1}).op('u', '.').bytes();
        String m = assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(archive(dir.resolve("a.pth"), pickle, Map.of()))).getMessage();
        assertTrue(m.contains("storage '0' has no record archive/data/0"), m);
        byte[] checkpoint = new Pickle().op(0x80, 2, '}').str("epoch").integer(3).op('s', '.').bytes();
        m = assertThrows(StateDictFiles.FormatException.class, () -> StateDictFiles.read(archive(dir.resolve("b.pth"), checkpoint, Map.of()))).getMessage();
        assertTrue(m.contains("'epoch' is of type int, not a tensor"), m);
    }

    @Test
    void pickleRefusalsNameTheProblem() {
        Map<String, byte[]> cases = new java.util.LinkedHashMap<>();
        cases.put("pickle ends without STOP", new Pickle().op(0x80, 2, '}').bytes());
        cases.put("needs 100 bytes but the pickle has 2 left", new Pickle().op(0x80, 2, 'X', 100, 0, 0, 0, 'a', 'b').bytes());
        cases.put("memo entry 7 was never stored", new Pickle().op(0x80, 2, 'h', 7, '.').bytes());
        cases.put("LONG1 integer of 9 bytes", new Pickle().op(0x80, 2, 0x8a, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1, '.').bytes());
        cases.put("opcode 0x81 (NEWOBJ) is not allowed", new Pickle().op(0x80, 2, 0x81, '.').bytes());
        cases.put("REDUCE of torch.FloatStorage is not allowed", new Pickle().op(0x80, 2).global("torch", "FloatStorage").op(')', 'R', '.').bytes());
        cases.put("stack underflow", new Pickle().op(0x80, 2, '}', '(', 's', '.').bytes());
        cases.put("pickle protocol 9", new Pickle().op(0x80, 9, '.').bytes());
        cases.put("GLOBAL subprocess.Popen is not allowed", new Pickle().op(0x80, 2).global("subprocess", "Popen").op('.').bytes());
        cases.put("GLOBAL torch.load is not allowed", new Pickle().op(0x80, 2).global("torch", "load").op('.').bytes());
        cases.put("dict key of type tuple", new Pickle().op(0x80, 2, '}', ')', 'K', 1, 's', '.').bytes());
        for (var e : cases.entrySet()) {
            TorchPickle.PickleException x = assertThrows(TorchPickle.PickleException.class,
                    () -> TorchPickle.read(ByteBuffer.wrap(e.getValue()), TorchPickle.Format.ZIP, new HashMap<>()), e.getKey());
            assertTrue(x.getMessage().contains(e.getKey()), e.getKey() + " → " + x.getMessage());
            assertOneLine(x.getMessage());
        }
    }

    /** STACK_GLOBAL is the protocol-4 spelling of GLOBAL and goes through the same allow-list. */
    @Test
    void stackGlobalUsesTheAllowList() throws Exception {
        byte[] ok = new Pickle().op(0x80, 4).str("collections").str("OrderedDict").op(0x93, ')', 'R', '.').bytes();
        assertTrue(TorchPickle.read(ByteBuffer.wrap(ok), TorchPickle.Format.ZIP, new HashMap<>()) instanceof Map);
        byte[] evil = new Pickle().op(0x80, 4).str("os").str("system").op(0x93, '.').bytes();
        String m = assertThrows(TorchPickle.PickleException.class, () -> TorchPickle.read(ByteBuffer.wrap(evil), TorchPickle.Format.ZIP, new HashMap<>())).getMessage();
        assertTrue(m.contains("GLOBAL os.system is not allowed"), m);
    }

    /** A dict that holds itself is described without recursing (no StackOverflowError in an error message). */
    @Test
    void selfReferenceDoesNotRecurse() {
        // d = {}; d['a'] = d; then _rebuild_parameter's hook check describes it
        byte[] p = new Pickle().op(0x80, 2).global("torch._utils", "_rebuild_parameter").op('(', ')', 0x89, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', 'h', 0, 's', 't', 'R', '.').bytes();
        TorchPickle.PickleException x = assertThrows(TorchPickle.PickleException.class, () -> TorchPickle.read(ByteBuffer.wrap(p), TorchPickle.Format.ZIP, new HashMap<>()));
        assertTrue(x.getMessage().contains("_rebuild_parameter with arguments (tuple, False, dict)"), x.getMessage());
    }

    static void assertOneLine(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), message);
    }
}
