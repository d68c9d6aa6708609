package org.dpmammo.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.dpmammo.data.Dataset;
import org.dpmammo.privacy.dpsgd.PrivateTraining;

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
}
