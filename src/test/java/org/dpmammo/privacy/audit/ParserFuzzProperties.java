package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.StateDictFiles;
import org.dpmammo.nn.TorchPickle;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.tensor.Tensor;

/**
 * Every parser of untrusted input gets random bytes and mutations of valid files, and must answer with its
 * documented exception (IOException, or IllegalArgumentException for the audit config) or a result: never another
 * RuntimeException, never an Error such as OutOfMemoryError, never a hang (each try has a time limit).
 */
class ParserFuzzProperties {
    private static final long LIMIT_SECONDS = 20;
    private static ExecutorService pool;
    private static Path dir;
    private static byte[] png, pgm, safetensors, ledger;
    /** torch.save outputs written by PyTorch (tools/torchvision_fixtures.py): a state-dict pickle, small zip and legacy files. */
    private static byte[] statePickle, smallZipPth, viewZipPth, legacyPth;

    interface Parse {
        void run() throws Exception;
    }

    @BeforeContainer
    static void setUp() throws IOException {
        pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz");
            t.setDaemon(true); // a parser that hangs must not keep the test JVM alive
            return t;
        });
        dir = Files.createTempDirectory("dpmammo-fuzz");
        short[] px = new short[12 * 10];
        for (int i = 0; i < px.length; i++) px[i] = (short) (i * 2);
        ImageIo.writePng(dir.resolve("seed.png"), new GrayImage(12, 10, 255, px));
        png = Files.readAllBytes(dir.resolve("seed.png"));
        pgm = "P5 4 3 65535\n".getBytes(StandardCharsets.US_ASCII);
        pgm = concat(pgm, new byte[4 * 3 * 2]);
        SafeTensors.write(dir.resolve("seed.safetensors"), Map.of("w", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)), Map.of("step", "3"));
        safetensors = Files.readAllBytes(dir.resolve("seed.safetensors"));
        PrivacyLedger l = PrivacyLedger.open(dir.resolve("seed-ledger.json"));
        l.beginPhase(new PrivacyLedger.Phase("p", "clf", "fp", 100, 0.1, 1.0, 1.0, 1e-5, "rdp", true));
        l.reserve("p", 3);
        ledger = Files.readAllBytes(dir.resolve("seed-ledger.json"));
        Path torch = Path.of("src/test/resources/fixtures/torchvision-tiny");
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(torch.resolve("swin_tiny.pth").toFile())) {
            statePickle = z.getInputStream(z.getEntry("swin_tiny/data.pkl")).readAllBytes();
        }
        smallZipPth = Files.readAllBytes(torch.resolve("evil_reduce.pth"));
        viewZipPth = Files.readAllBytes(torch.resolve("oversized_view.pth"));
        legacyPth = Files.readAllBytes(torch.resolve("swin_tiny_legacy.pth"));
    }

    @AfterContainer
    static void tearDown() throws IOException {
        pool.shutdownNow();
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Runs the parse with a time limit; only the documented exception types (and success) are accepted. */
    static void expectClean(Parse parse, List<Class<? extends Exception>> documented) {
        Future<?> f = pool.submit(() -> {
            parse.run();
            return null;
        });
        try {
            f.get(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            fail("parser did not answer within " + LIMIT_SECONDS + " s");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            for (Class<? extends Exception> c : documented) if (c.isInstance(t)) return;
            throw new AssertionError("undocumented " + t, t);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    /** Flips, overwrites with edge values, inserts, deletes, duplicates and truncates, driven by one seed. */
    static byte[] mutate(byte[] seed, long s) {
        Random r = new Random(s);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(seed);
        byte[] d = b.toByteArray();
        int edits = 1 + r.nextInt(8);
        byte[] edge = {0, (byte) 0xFF, 0x7F, (byte) 0x80, '9', '-', '"', ',', '\n', '.', 'e', '[', '{'};
        for (int k = 0; k < edits && d.length > 0; k++) {
            int at = r.nextInt(d.length);
            switch (r.nextInt(6)) {
                case 0 -> d[at] ^= (byte) (1 << r.nextInt(8));
                case 1 -> d[at] = edge[r.nextInt(edge.length)];
                case 2 -> d = concat(concat(java.util.Arrays.copyOf(d, at), new byte[] {edge[r.nextInt(edge.length)]}), java.util.Arrays.copyOfRange(d, at, d.length));
                case 3 -> d = concat(java.util.Arrays.copyOf(d, at), java.util.Arrays.copyOfRange(d, Math.min(d.length, at + 1 + r.nextInt(4)), d.length));
                case 4 -> d = concat(d, java.util.Arrays.copyOfRange(d, at, Math.min(d.length, at + 1 + r.nextInt(64))));
                default -> d = java.util.Arrays.copyOf(d, at);
            }
        }
        return d;
    }

    static Arbitrary<byte[]> around(byte[] seed) {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(512);
        Arbitrary<byte[]> mutated = Arbitraries.longs().map(s -> mutate(seed, s));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, random), net.jqwik.api.Tuple.of(4, mutated));
    }

    @Provide
    Arbitrary<byte[]> images() {
        return Arbitraries.oneOf(around(png), around(pgm), around("P2 3 2 255\n1 2 3\n4 5 6\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Property(tries = 400)
    void imageDecoder(@ForAll("images") byte[] bytes) {
        expectClean(() -> ImageIo.decode(bytes, "fuzz.png", ImageIo.DEFAULT_MAX_PIXELS), List.of(IOException.class));
    }

    @Provide
    Arbitrary<byte[]> checkpoints() {
        return around(safetensors);
    }

    @Property(tries = 300)
    void safetensorsReader(@ForAll("checkpoints") byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("fuzz.safetensors"), bytes);
        expectClean(() -> SafeTensors.read(f), List.of(IOException.class));
    }

    @Provide
    Arbitrary<byte[]> pickles() {
        return around(statePickle);
    }

    @Property(tries = 300)
    void torchPickle(@ForAll("pickles") byte[] bytes) {
        expectClean(() -> TorchPickle.read(java.nio.ByteBuffer.wrap(bytes), TorchPickle.Format.ZIP, new java.util.HashMap<>()),
                List.of(TorchPickle.PickleException.class));
    }

    @Provide
    Arbitrary<byte[]> torchFiles() {
        return Arbitraries.oneOf(around(smallZipPth), around(viewZipPth), around(legacyPth));
    }

    @Property(tries = 300)
    void torchSaveReader(@ForAll("torchFiles") byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("fuzz.pth"), bytes);
        expectClean(() -> StateDictFiles.read(f), List.of(StateDictFiles.FormatException.class));
    }

    @Provide
    Arbitrary<byte[]> configs() {
        return around(AuditConfig.demo().toJson().getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300)
    void auditConfig(@ForAll("configs") byte[] bytes) {
        expectClean(() -> AuditConfig.parse(new String(bytes, StandardCharsets.UTF_8)), List.of(IllegalArgumentException.class));
    }

    @Provide
    Arbitrary<byte[]> manifests() {
        return around("path,label,patient_id\nseed.png,benign,P1\n\"seed.png\",malignant,\n# comment\nsub/../seed.png,1\n".getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 300)
    void csvManifest(@ForAll("manifests") byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("fuzz.csv"), bytes);
        expectClean(() -> Datasets.manifest(f), List.of(IOException.class));
    }

    @Provide
    Arbitrary<byte[]> ledgers() {
        return Arbitraries.oneOf(around(ledger), Arbitraries.longs().map(ParserFuzzProperties::chainedLedger));
    }

    @Property(tries = 300)
    void ledgerReader(@ForAll("ledgers") byte[] bytes) throws IOException {
        Path f = Files.write(dir.resolve("fuzz-ledger.json"), bytes);
        expectClean(() -> PrivacyLedger.open(f), List.of(IOException.class));
    }

    /** Hand-picked hostile entries with an intact chain: each must be refused as an IOException. */
    @net.jqwik.api.Example
    void chainedButHostileLedgerEntries() throws IOException {
        String phase = "\"phase\":{\"id\":\"p\",\"name\":\"n\",\"datasetFingerprint\":\"f\",\"datasetSize\":10,\"sampleRate\":0.1,"
                + "\"noiseMultiplier\":1.0,\"maxGradNorm\":1.0,\"delta\":1e-5,\"accountant\":\"rdp\",\"secureRandomness\":true}";
        List<String> bodies = List.of("\"kind\":\"phase\",\"phase\":null", "\"kind\":\"phase\"", "\"kind\":\"phase\",\"phase\":[]",
                "\"kind\":\"phase\",\"phase\":{}", "\"kind\":\"spend\",\"phase\":null,\"steps\":3", "\"kind\":7",
                "\"kind\":\"phase\",\"phase\":{\"id\":null,\"sampleRate\":0.1,\"noiseMultiplier\":1,\"maxGradNorm\":1,\"delta\":0.1}",
                "\"kind\":\"phase\"," + phase);
        for (String bad : bodies) {
            StringBuilder text = new StringBuilder();
            String head = "0".repeat(64);
            int seq = 1;
            for (String entry : List.of("\"kind\":\"phase\"," + phase, bad)) {
                String body = "{\"seq\":" + seq++ + ",\"time\":\"t\"," + entry + ",\"prev\":\"" + head + "\"}";
                head = sha256(head + body);
                text.append(body, 0, body.length() - 1).append(",\"hash\":\"").append(head).append("\"}\n");
            }
            Path f = Files.writeString(dir.resolve("hostile-ledger.json"), text);
            expectClean(() -> {
                try {
                    PrivacyLedger.open(f);
                } catch (IOException e) {
                    return;
                }
                throw new AssertionError("accepted " + bad);
            }, List.of());
        }
    }

    /**
     * A ledger whose hash chain is intact but whose entries are mutated: the chain has no key, so a deliberate forger
     * can always recompute it, and the entries' content must then be checked on its own merits.
     */
    static byte[] chainedLedger(long s) {
        String[] lines = new String(ledger, StandardCharsets.UTF_8).split("\n");
        Random r = new Random(s);
        StringBuilder out = new StringBuilder();
        String head = "0".repeat(64);
        for (String line : lines) {
            String body = line.substring(0, line.lastIndexOf(",\"hash\":\"")) + "}";
            body = body.replaceFirst("\"prev\":\"[0-9a-f]{64}\"", "\"prev\":\"" + head + "\"");
            if (r.nextInt(2) == 0) body = new String(mutate(body.getBytes(StandardCharsets.UTF_8), r.nextLong()), StandardCharsets.UTF_8);
            if (body.isEmpty() || body.charAt(body.length() - 1) != '}') body = body + "}";
            String hash = sha256(head + body);
            out.append(body, 0, body.length() - 1).append(",\"hash\":\"").append(hash).append("\"}\n");
            head = hash;
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
