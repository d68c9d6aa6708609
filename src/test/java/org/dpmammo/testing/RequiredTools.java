package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * For tests that need an external tool (g++ for the kernel emulator, nvcc for the PTX check): on a developer's
 * machine without it they skip with a message, but in CI (environment variable CI=true, as CI services set it) a
 * missing tool fails the test, since there a skip would mean a check silently stopped running.
 */
public final class RequiredTools {
    private RequiredTools() {}

    public static void require(boolean present, String what) {
        require(present, what, System.getenv());
    }

    /** As {@link #require(boolean, String)}, reading CI from {@code env}. */
    public static void require(boolean present, String what, Map<String, String> env) {
        if (present) return;
        if ("true".equalsIgnoreCase(env.getOrDefault("CI", "").trim())) {
            fail(what + " (CI=true: the tool is required in CI, where a skip would hide the check)");
        }
        Assumptions.assumeTrue(false, what);
    }
}
