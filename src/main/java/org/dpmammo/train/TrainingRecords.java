package org.dpmammo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.dpmammo.data.Dataset;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.tensor.Tensor;

/**
 * A dataset as the privacy ledger knows it: each record named by the first 128 bits of its content's SHA-256, so
 * that spend composes per record across runs whatever folder, order or mix (real + synthetic, a subset) the records
 * came in.
 */
public final class TrainingRecords {
    private TrainingRecords() {}

    public static PrivateTraining.Records of(Dataset d) throws IOException {
        List<String> ids;
        try {
            // Hashing thousands of files is worth spreading over the cores.
            ids = IntStream.range(0, d.size()).parallel().mapToObj(i -> {
                try {
                    return HexFormat.of().formatHex(d.contentHash(i), 0, 16);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sorted().distinct().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new PrivateTraining.Records(d.fingerprint(), d.size(), ids);
    }

    /**
     * Examples given as a tensor [N, ...] with one label each: example i's content is its float values (little-endian
     * IEEE bits) and its fingerprint follows {@link Dataset#fingerprint()} (sorted content hash + label pairs).
     */
    public static PrivateTraining.Records of(Tensor inputs, int[] labels) {
        int n = inputs.rank() == 0 ? 0 : inputs.size(0);
        if (n == 0 || n != labels.length) {
            throw new IllegalArgumentException("training examples: " + n + " rows of inputs for " + labels.length + " labels (need the same positive count)");
        }
        float[] v = inputs.toArray();
        int per = v.length / n;
        byte[][] entries = new byte[n][];
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocate(per * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < per; j++) b.putFloat(v[i * per + j]);
            byte[] h = Dataset.sha256().digest(b.array());
            entries[i] = Arrays.copyOf(h, h.length + 1);
            entries[i][h.length] = (byte) labels[i];
        }
        List<String> ids = Arrays.stream(entries).map(e -> HexFormat.of().formatHex(e, 0, 16)).sorted().distinct().toList();
        Arrays.sort(entries, Arrays::compareUnsigned);
        MessageDigest md = Dataset.sha256();
        for (byte[] e : entries) md.update(e);
        return new PrivateTraining.Records(HexFormat.of().formatHex(md.digest()), n, ids);
    }
}
