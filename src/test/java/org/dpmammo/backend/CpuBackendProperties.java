package org.dpmammo.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.dpmammo.check.BackendCheck;

/** The CPU backend agrees with the plain-loop reference backend on every primitive, for random inputs. */
class CpuBackendProperties {
    @Property(tries = 12)
    void everyPrimitiveMatchesTheReference(@ForAll long seed) {
        for (BackendCheck.Row r : BackendCheck.run(Backends.cpu(), new ReferenceBackend(), seed)) {
            assertTrue(r.passed(), () -> r.op() + " on " + r.shapes() + ": error " + r.error() + " > " + r.tolerance());
        }
    }
}
