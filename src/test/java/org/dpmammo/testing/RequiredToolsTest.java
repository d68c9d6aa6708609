package org.dpmammo.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequiredToolsTest {
    @Test
    void aMissingToolFailsInCiAndSkipsElsewhere() {
        AssertionFailedError ci = assertThrows(AssertionFailedError.class, () -> RequiredTools.require(false, "no g++ on PATH", Map.of("CI", "true")));
        assertTrue(ci.getMessage().contains("no g++ on PATH") && ci.getMessage().contains("CI=true"), ci.getMessage());
        assertThrows(TestAbortedException.class, () -> RequiredTools.require(false, "no g++ on PATH", Map.of()));
        assertThrows(TestAbortedException.class, () -> RequiredTools.require(false, "no g++ on PATH", Map.of("CI", "false")));
        RequiredTools.require(true, "g++ present", Map.of("CI", "true"));
    }
}
