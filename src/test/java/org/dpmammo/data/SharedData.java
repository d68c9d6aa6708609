package org.dpmammo.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the real data shared beside the checkout: {@code ../shared/data} from the project root, or
 * {@code <dpmammo.shared>/data} when that system property is set. Tests that need it skip, with a message, if absent.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        Path p = Path.of("..", "shared", "data");
        if (Files.isDirectory(p)) return p;
        String prop = System.getProperty("dpmammo.shared");
        if (prop != null && Files.isDirectory(Path.of(prop, "data"))) return Path.of(prop, "data");
        return null;
    }

    /** A folder under the shared data, or a skipped test. */
    public static Path require(String sub) {
        Path r = root();
        assumeTrue(r != null && Files.isDirectory(r.resolve(sub)),
                "real data not found: ../shared/data/" + sub + " is absent (set -Ddpmammo.shared=DIR to point at it)");
        return r.resolve(sub);
    }
}
