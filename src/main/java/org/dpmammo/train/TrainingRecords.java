package org.dpmammo.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
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
        int[] labels = new int[d.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = d.label(i);
        // One pass over the contents serves both the record ids and the fingerprint.
        return of(d.contentHashes(), labels);
    }

    /**
     * Examples given as a tensor [N, ...] with one label each: example i's content is its float values (little-endian
     * IEEE bits), hashed as {@link Dataset#contentHash} hashes a file.
     */
    public static PrivateTraining.Records of(Tensor inputs, int[] labels) {
        int n = inputs.rank() == 0 ? 0 : inputs.size(0);
        if (n == 0 || n != labels.length) {
            throw new IllegalArgumentException("training examples: " + n + " rows of inputs for " + labels.length + " labels (need the same positive count)");
        }
        float[] v = inputs.toArray();
        int per = v.length / n;
        byte[][] hashes = new byte[n][];
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocate(per * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < per; j++) b.putFloat(v[i * per + j]);
            hashes[i] = Dataset.sha256().digest(b.array());
        }
        return of(hashes, labels);
    }

    private static PrivateTraining.Records of(byte[][] hashes, int[] labels) {
        List<String> ids = Arrays.stream(hashes).map(h -> HexFormat.of().formatHex(h, 0, 16)).sorted().distinct().toList();
        return new PrivateTraining.Records(Dataset.fingerprint(hashes, labels), labels.length, ids);
    }
}
