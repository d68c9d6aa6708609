package org.dpmammo.privacy.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of privacy spent: an append-only, hash-chained JSON Lines file ({@code ledger.json} in a run folder, or
 * one file shared by several runs with {@code --ledger}).
 *
 * <p>Two kinds of entry: a {@code phase} fixes the parameters of one DP training phase (the records it may touch,
 * q, σ, C, δ, accountant, randomness mode); a {@code spend} raises the phase's step count. Spend is written ahead: a
 * trainer reserves steps here, durably (fsync of the file, and of its folder when the file is new), before it runs
 * them, so a crash can make the ledger over-count but never under-count.
 *
 * <p>Each entry carries the hash of the previous entry's hash and its own text: SHA-256, or HMAC-SHA256 under a key
 * ({@link LedgerChain}) so that nobody without the key can re-chain an edited ledger. An edited, reordered or cut
 * entry breaks the chain and the ledger refuses to load; a cut at an entry boundary is caught by the head and entry
 * count that checkpoints and results store ({@link #requireReaches}).
 *
 * <p>Appends take an exclusive lock on a sidecar file ({@code .NAME.lock}) and check that the file is still the one
 * this object read, so two runs writing one ledger at once cannot interleave: the second is refused with a message
 * instead of breaking the chain. A training run holds the lock for its whole life ({@link #holdLock}).
 */
public final class PrivacyLedger implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GENESIS = "0".repeat(64);

    /**
     * The fixed parameters of one DP phase.
     *
     * @param records the per-record ids (hex prefixes of each record's content hash, sorted, distinct) of every
     *     record the phase may sample; spend composes per record (see {@link RecordGroups}). Null in ledgers written
     *     before records were named: such a phase composes with every phase on the same dataset fingerprint.
     * @param runId the run that began the phase (reproducible randomness is keyed by it); null in older ledgers
     */
    public record Phase(String id, String name, String datasetFingerprint, long datasetSize, double sampleRate,
            double noiseMultiplier, double maxGradNorm, double delta, String accountant, boolean secureRandomness,
            String runId, List<String> records) {
        public Phase {
            if (!(sampleRate > 0 && sampleRate <= 1)) throw new IllegalArgumentException("phase " + name + ": sample rate " + sampleRate + " outside (0, 1]");
            if (!(noiseMultiplier >= 0)) throw new IllegalArgumentException("phase " + name + ": noise multiplier " + noiseMultiplier + " is negative or NaN");
            if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("phase " + name + ": δ " + delta + " outside (0, 1)");
            if (!(maxGradNorm > 0)) throw new IllegalArgumentException("phase " + name + ": clipping norm " + maxGradNorm + " must be positive");
            if (records != null) records = List.copyOf(records);
        }

        /** A phase whose records are known only by the dataset's fingerprint. */
        public Phase(String id, String name, String datasetFingerprint, long datasetSize, double sampleRate, double noiseMultiplier,
                double maxGradNorm, double delta, String accountant, boolean secureRandomness) {
            this(id, name, datasetFingerprint, datasetSize, sampleRate, noiseMultiplier, maxGradNorm, delta, accountant, secureRandomness, null, null);
        }
    }

    /** A phase and the steps recorded against it so far. */
    public record Spend(Phase phase, long steps) {}

    private final Path file;
    private final LedgerChain chain;
    private final Map<String, Phase> phases = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();
    private final List<String> hashes = new ArrayList<>();
    private String head = GENESIS;
    private long entries;
    private long bytes;
    private FileChannel heldLockFile;
    private FileLock heldLock;

    private PrivacyLedger(Path file, LedgerChain chain) {
        this.file = file;
        this.chain = chain;
    }

    /** Opens (or starts) the ledger with the key from the environment, if any ({@link LedgerChain#fromEnvironment}). */
    public static PrivacyLedger open(Path file) throws IOException {
        return open(file, LedgerChain.fromEnvironment());
    }

    /** Opens (or starts) the ledger at file, verifying the whole chain; a broken chain is an IOException naming the line. */
    public static PrivacyLedger open(Path file, LedgerChain chain) throws IOException {
        PrivacyLedger ledger = new PrivacyLedger(file, chain);
        ledger.load();
        return ledger;
    }

    private void load() throws IOException {
        if (!Files.exists(file)) return;
        byte[] raw = Files.readAllBytes(file);
        String text = new String(raw, StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IOException(file + ": the last entry is incomplete (the ledger was cut); refusing to continue");
        }
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) continue;
            lineNo++;
            replay(line, lineNo);
        }
        bytes = raw.length;
    }

    private void replay(String line, int lineNo) throws IOException {
        String where = file + " entry " + lineNo;
        int cut = line.lastIndexOf(",\"hash\":\"");
        if (cut < 0 || !line.endsWith("\"}") || line.length() - cut != 9 + 64 + 2) throw new IOException(where + ": not a ledger entry");
        String body = line.substring(0, cut) + "}";
        String hash = line.substring(cut + 9, cut + 9 + 64);
        JsonNode e;
        try {
            e = JSON.readTree(body);
        } catch (JsonProcessingException ex) {
            throw new IOException(where + ": not valid JSON");
        }
        chain.check(e.path("chain").asText(LedgerChain.SHA256), where);
        if (!head.equals(e.path("prev").asText()) || !hash.equals(chain.hash(head, body)) || e.path("seq").asLong() != entries + 1) {
            throw new IOException(where + ": the hash chain is broken (the ledger was edited, reordered or truncated); refusing to continue");
        }
        String kind = e.path("kind").asText();
        try {
            if (kind.equals("phase")) {
                // An unkeyed chain can be re-chained by whoever can write the file, so the content is checked too.
                JsonNode node = e.get("phase");
                Phase p = node != null && node.isObject() ? JSON.treeToValue(node, Phase.class) : null;
                if (p == null || p.id() == null || p.name() == null || p.datasetFingerprint() == null || p.accountant() == null) {
                    throw new IOException(where + ": phase entry without its id, name, dataset fingerprint or accountant");
                }
                if (p.records() != null && !RecordGroups.wellFormed(p.records())) {
                    throw new IOException(where + ": phase '" + p.id() + "' lists record ids that are not sorted, distinct hex ids");
                }
                // A second declaration would restart the phase's step count at 0: spend would be under-counted.
                if (phases.containsKey(p.id())) throw new IOException(where + ": phase '" + p.id() + "' is declared twice");
                phases.put(p.id(), p);
                steps.put(p.id(), 0L);
            } else if (kind.equals("spend")) {
                String id = e.path("phase").asText();
                long total = e.path("steps").asLong(-1);
                if (!phases.containsKey(id) || total < steps.get(id)) throw new IOException(where + ": spend for an unknown phase or a falling step count");
                steps.put(id, total);
            } else {
                throw new IOException(where + ": unknown entry kind '" + kind + "'");
            }
        } catch (JsonProcessingException | IllegalArgumentException ex) {
            throw new IOException(where + ": bad phase record: " + ex.getMessage());
        }
        head = hash;
        hashes.add(hash);
        entries++;
    }

    /**
     * Takes the ledger's exclusive lock and keeps it until {@link #close}: a run that will spend holds it from before
     * its budget check to its end, so two runs can never spend against one ledger at once. Fails at once, naming
     * the file, when another process (or another run in this one) holds it.
     */
    public PrivacyLedger holdLock() throws IOException {
        if (heldLock != null) return this;
        FileChannel ch = lockChannel();
        FileLock lock = tryLock(ch);
        heldLockFile = ch;
        heldLock = lock;
        if (fileLength() != bytes) {
            close();
            throw new IOException(file + " changed after it was read (another run is writing it); try again when that run has ended");
        }
        return this;
    }

    private FileChannel lockChannel() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return FileChannel.open(dir.resolve("." + file.getFileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    private FileLock tryLock(FileChannel ch) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IOException(file + " is in use by another run (its lock is held); two runs cannot spend against one ledger at once");
        }
        return lock;
    }

    private long fileLength() throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }

    /** Releases a lock taken by {@link #holdLock}; the ledger stays readable. */
    @Override
    public void close() throws IOException {
        if (heldLockFile != null) heldLockFile.close();
        heldLockFile = null;
        heldLock = null;
    }

    private void append(ObjectNode entry) throws IOException {
        ObjectNode e = JSON.createObjectNode();
        e.put("seq", entries + 1);
        e.put("time", Instant.now().toString());
        e.setAll(entry);
        if (chain.keyed()) e.put("chain", LedgerChain.HMAC);
        e.put("prev", head);
        String body = JSON.writeValueAsString(e);
        String hash = chain.hash(head, body);
        byte[] line = (body.substring(0, body.length() - 1) + ",\"hash\":\"" + hash + "\"}\n").getBytes(StandardCharsets.UTF_8);
        FileChannel lockFile = heldLock != null ? null : lockChannel();
        try {
            if (lockFile != null) tryLock(lockFile);
            if (fileLength() != bytes) {
                throw new IOException(file + " was appended to by another run since this run read it; refusing to write (the chain would break)");
            }
            boolean created = !Files.exists(file);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            // A new file's name lives in its folder: without this a power cut could lose the whole ledger.
            if (created) syncFolder(file.toAbsolutePath().getParent());
        } finally {
            if (lockFile != null) lockFile.close();
        }
        bytes += line.length;
        head = hash;
        hashes.add(hash);
        entries++;
    }

    private static void syncFolder(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a folder for syncing; the file itself was synced.
        }
    }

    /** Starts a phase, or returns the recorded one with the same id after checking its parameters did not change. */
    public Phase beginPhase(Phase p) throws IOException {
        Phase existing = phases.get(p.id());
        if (existing != null) {
            if (!existing.equals(p)) {
                throw new IllegalStateException("phase '" + p.id() + "' is already in " + file + " with other parameters");
            }
            return existing;
        }
        ObjectNode e = JSON.createObjectNode();
        e.put("kind", "phase");
        e.set("phase", JSON.valueToTree(p));
        append(e);
        phases.put(p.id(), p);
        steps.put(p.id(), 0L);
        return p;
    }

    /**
     * Write-ahead spend: records that the phase will have run {@code totalSteps} steps, before they run. A no-op
     * when that many are already recorded.
     */
    public void reserve(String phaseId, long totalSteps) throws IOException {
        Long current = steps.get(phaseId);
        if (current == null) throw new IllegalStateException("no phase '" + phaseId + "' in " + file);
        if (totalSteps <= current) return;
        ObjectNode e = JSON.createObjectNode();
        e.put("kind", "spend");
        e.put("phase", phaseId);
        e.put("steps", totalSteps);
        append(e);
        steps.put(phaseId, totalSteps);
    }

    public long stepsRecorded(String phaseId) {
        return steps.getOrDefault(phaseId, 0L);
    }

    public Phase phase(String phaseId) {
        return phases.get(phaseId);
    }

    /** Every phase with its recorded steps, in the order the phases began. */
    public List<Spend> spends() {
        List<Spend> out = new ArrayList<>();
        for (Phase p : phases.values()) out.add(new Spend(p, steps.get(p.id())));
        return out;
    }

    /** The records partitioned by the phases that touched them (see {@link RecordGroups}). */
    public RecordGroups groups() {
        return new RecordGroups(spends());
    }

    /** Hash of the last entry: a checkpoint stores it, and a resume checks the ledger still reaches it. */
    public String head() {
        return head;
    }

    public long entryCount() {
        return entries;
    }

    public boolean keyed() {
        return chain.keyed();
    }

    /** Refuses a ledger that no longer contains what a checkpoint or a result saw (it was cut or replaced). */
    public void requireReaches(String seenHead, long seenEntries) {
        if (entries < seenEntries) {
            throw new IllegalStateException(file + " has " + entries + " entries but " + seenEntries + " were recorded when it was last used: the ledger was truncated or replaced");
        }
        if (seenEntries > 0 && !hashes.get((int) seenEntries - 1).equals(seenHead)) {
            throw new IllegalStateException(file + " does not reach the head recorded when it was last used: the ledger was replaced");
        }
    }

    public Path file() {
        return file;
    }
}
