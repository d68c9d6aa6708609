package org.dpmammo.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.IntStream;

/**
 * A labelled set of single-channel images addressed by index. Labels follow {@link Labels} (benign = 1).
 *
 * <p>Implementations must be safe for concurrent {@link #image(int)} calls: the loader decodes in parallel.
 */
public interface Dataset {
    int size();

    /** The label of example i: {@link Labels#BENIGN} or {@link Labels#MALIGNANT}. */
    int label(int i);

    /** The patient example i comes from, or null when unknown (then the example is its own group). */
    String patientId(int i);

    /** A short, unique name for example i (its file name, or a generated name). */
    String name(int i);

    /** Decodes example i. */
    GrayImage image(int i) throws IOException;

    /** SHA-256 of example i's stored content (file bytes; pixel bytes for generated data). */
    byte[] contentHash(int i) throws IOException;

    /** What the examples are, for messages and provenance (a folder, a manifest, the phantom's settings). */
    String description();

    /** The patient id, or a per-example stand-in, used to group examples that must stay in one split. */
    default String groupId(int i) {
        String p = patientId(i);
        return p != null ? p : "#" + name(i);
    }

    /** Counts of malignant and benign examples, indexed by label. */
    default int[] classCounts() {
        int[] c = new int[2];
        for (int i = 0; i < size(); i++) c[label(i)]++;
        return c;
    }

    /**
     * A content fingerprint for provenance: SHA-256 over the sorted list of (content hash, label) pairs. It does not
     * depend on file names, folder layout or order, and changes if any image's bytes or any label changes.
     */
    default String fingerprint() throws IOException {
        int[] labels = new int[size()];
        for (int i = 0; i < labels.length; i++) labels[i] = label(i);
        return fingerprint(contentHashes(), labels);
    }

    /** {@link #contentHash} of every example, in index order. */
    default byte[][] contentHashes() throws IOException {
        try {
            // Hashing thousands of files (or generating thousands of phantoms) is worth spreading over the cores.
            return IntStream.range(0, size()).parallel().mapToObj(i -> {
                try {
                    return contentHash(i);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }).toArray(byte[][]::new);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The fingerprint of examples given by their content hashes and labels (see {@link #fingerprint()}). */
    static String fingerprint(byte[][] contentHashes, int[] labels) {
        byte[][] entries = new byte[contentHashes.length][];
        for (int i = 0; i < entries.length; i++) {
            byte[] h = contentHashes[i];
            entries[i] = Arrays.copyOf(h, h.length + 1);
            entries[i][h.length] = (byte) labels[i];
        }
        Arrays.sort(entries, Arrays::compareUnsigned);
        MessageDigest md = sha256();
        for (byte[] e : entries) md.update(e);
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
