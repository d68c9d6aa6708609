package org.dpmammo.privacy.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of privacy spent: an append-only, hash-chained JSON Lines file ({@code ledger.json} in a run folder).
 *
 * <p>Two kinds of entry: a {@code phase} fixes the parameters of one DP training phase (dataset fingerprint and
 * size, q, σ, C, δ, accountant, randomness mode); a {@code spend} raises the phase's step count. Spend is written
 * ahead: a trainer reserves steps here, durably (fsync), before it runs them, so a crash can make the ledger
 * over-count but never under-count. Each entry carries the SHA-256 of the previous entry's hash and its own text;
 * an edited, reordered or cut entry breaks the chain and the ledger refuses to load.
 */
public final class PrivacyLedger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GENESIS = "0".repeat(64);

    /** The fixed parameters of one DP phase. */
    public record Phase(String id, String name, String datasetFingerprint, long datasetSize, double sampleRate,
            double noiseMultiplier, double maxGradNorm, double delta, String accountant, boolean secureRandomness) {
        public Phase {
            if (!(sampleRate > 0 && sampleRate <= 1)) throw new IllegalArgumentException("phase " + name + ": sample rate " + sampleRate + " outside (0, 1]");
            if (!(noiseMultiplier >= 0)) throw new IllegalArgumentException("phase " + name + ": noise multiplier " + noiseMultiplier + " is negative or NaN");
            if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("phase " + name + ": δ " + delta + " outside (0, 1)");
            if (!(maxGradNorm > 0)) throw new IllegalArgumentException("phase " + name + ": clipping norm " + maxGradNorm + " must be positive");
        }
    }

    /** A phase and the steps recorded against it so far. */
    public record Spend(Phase phase, long steps) {}

    private final Path file;
    private final Map<String, Phase> phases = new LinkedHashMap<>();
    private final Map<String, Long> steps = new LinkedHashMap<>();
    private final List<String> hashes = new ArrayList<>();
    private String head = GENESIS;
    private long entries;

    private PrivacyLedger(Path file) {
        this.file = file;
    }

    /** Opens (or starts) the ledger at file, verifying the whole chain; a broken chain is an IOException naming the line. */
    public static PrivacyLedger open(Path file) throws IOException {
        PrivacyLedger ledger = new PrivacyLedger(file);
        if (!Files.exists(file)) return ledger;
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IOException(file + ": the last entry is incomplete (the ledger was cut); refusing to continue");
        }
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) continue;
            lineNo++;
            ledger.replay(line, lineNo);
        }
        return ledger;
    }

    private void replay(String line, int lineNo) throws IOException {
        String where = file + " line " + lineNo;
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
        if (!head.equals(e.path("prev").asText()) || !hash.equals(sha256(head + body)) || e.path("seq").asLong() != entries + 1) {
            throw new IOException(where + ": the hash chain is broken (the ledger was edited, reordered or truncated); refusing to continue");
        }
        String kind = e.path("kind").asText();
        try {
            if (kind.equals("phase")) {
                // A hash chain has no key: whoever can write the file can re-chain it, so the content is checked too.
                JsonNode node = e.get("phase");
                Phase p = node != null && node.isObject() ? JSON.treeToValue(node, Phase.class) : null;
                if (p == null || p.id() == null || p.name() == null || p.datasetFingerprint() == null || p.accountant() == null) {
                    throw new IOException(where + ": phase entry without its id, name, dataset fingerprint or accountant");
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

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void append(ObjectNode entry) throws IOException {
        ObjectNode e = JSON.createObjectNode();
        e.put("seq", entries + 1);
        e.put("time", Instant.now().toString());
        e.setAll(entry);
        e.put("prev", head);
        String body = JSON.writeValueAsString(e);
        String hash = sha256(head + body);
        String line = body.substring(0, body.length() - 1) + ",\"hash\":\"" + hash + "\"}\n";
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        head = hash;
        hashes.add(hash);
        entries++;
    }

    /** Starts a phase, or returns the recorded one with the same id after checking its parameters did not change. */
    public Phase beginPhase(Phase p) throws IOException {
        Phase existing = phases.get(p.id());
        if (existing != null) {
            if (!existing.equals(p)) {
                throw new IllegalStateException("phase '" + p.id() + "' is already in " + file + " with other parameters: " + existing);
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
     * when that many are already recorded (a resumed run repeating reserved steps spends nothing new).
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

    /** Every phase with its recorded steps, in the order the phases began. */
    public List<Spend> spends() {
        List<Spend> out = new ArrayList<>();
        for (Phase p : phases.values()) out.add(new Spend(p, steps.get(p.id())));
        return out;
    }

    /** The phases that touched the dataset with this fingerprint: these compose into one guarantee for its records. */
    public List<Spend> spendsOn(String datasetFingerprint) {
        return spends().stream().filter(s -> s.phase().datasetFingerprint().equals(datasetFingerprint)).toList();
    }

    /** Hash of the last entry: a checkpoint stores it, and a resume checks the ledger still reaches it. */
    public String head() {
        return head;
    }

    public long entryCount() {
        return entries;
    }

    /** Refuses a ledger that no longer contains what a checkpoint saw (it was cut or replaced). */
    public void requireReaches(String checkpointHead, long checkpointEntries) {
        if (entries < checkpointEntries) {
            throw new IllegalStateException(file + " has " + entries + " entries but the checkpoint saw " + checkpointEntries + ": the ledger was truncated or replaced");
        }
        if (checkpointEntries > 0 && !hashes.get((int) checkpointEntries - 1).equals(checkpointHead)) {
            throw new IllegalStateException(file + " does not match the checkpoint's ledger head: the ledger was replaced");
        }
    }

    public Path file() {
        return file;
    }
}
