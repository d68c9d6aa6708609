package org.dpmammo.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dpmammo.check.GradChecks;

/** Every differentiable op's backward agrees with central finite differences over random shapes and values. */
class GradientProperties {
    @Property(tries = 25)
    void backwardMatchesFiniteDifferences(@ForAll long seed) {
        for (GradChecks.Case c : GradChecks.all()) {
            GradientCheck.Result r = c.run(seed);
            assertTrue(r.passed(GradChecks.TOLERANCE), () -> c.name() + " " + c.describe(seed) + ": " + r.where());
        }
    }
}
