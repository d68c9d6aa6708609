package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.dpmammo.check.GradChecks;
import org.junit.jupiter.api.Test;

/**
 * The ops with kinks (maximum, max, abs, relu, leaky ReLU) pass the finite-difference check on every one of many
 * seeds: their input generators must keep each value farther from the kink than the largest finite-difference step,
 * whatever shape is drawn. The random property test samples only 25 seeds per run, too few to catch a generator that
 * fails once in a few hundred draws.
 */
class KinkedOpsGradientTest {
    private static final Set<String> KINKED = Set.of("maximum", "max", "max(all)", "abs", "relu", "leakyRelu");

    @Test
    void kinkedOpsPassOnManySeeds() {
        int checked = 0;
        for (GradChecks.Case c : GradChecks.all()) {
            if (!KINKED.contains(c.name())) continue;
            checked++;
            for (long seed = 0; seed < 1500; seed++) {
                GradientCheck.Result r = c.run(seed);
                long s = seed;
                assertTrue(r.passed(GradChecks.TOLERANCE), () -> c.name() + " seed " + s + " " + c.describe(s) + ": " + r.where());
            }
        }
        assertTrue(checked == KINKED.size(), "every kinked op is in the catalogue");
    }
}
