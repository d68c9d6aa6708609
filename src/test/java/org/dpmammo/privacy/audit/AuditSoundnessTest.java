package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit end to end on a tiny model, where white-box gradient canaries are cheap: on correct DP-SGD its lower
 * bound stays below the ε the ledger claims, and on DP-SGD with clipping or noise switched off (test hooks) it rises
 * above that claim.
 */
class AuditSoundnessTest {
    static AuditConfig tiny(long seed, double targetEpsilon) {
        return new AuditConfig("phantom:64:240:" + seed, 64, 16, 32, 12, 8, targetEpsilon, null, 1e-5, 1.0, 0.5, 0.0, "rdp",
                40, 600, seed, 0.95, List.of(0.05, 0.1, 0.25));
    }

    static AuditRun.Report audit(AuditConfig c, DpSgd.TestFault fault, Path dir) throws IOException {
        org.dpmammo.testing.PinnedRun.pin(dir, c.seed());
        AuditRun run = new AuditRun(c).withNegativeControl(fault).withRandomness(org.dpmammo.privacy.noise.Randomness.reproducible(c.seed()));
        AuditRun.Report r = run.run(run.prepare(), dir, dir.resolve("ledger.json"));
        System.out.printf("audit %s seed %d: claimed eps %.3f, lower bound %.3f (input %s, gradient %s)%n", fault, c.seed(),
                r.claimedEpsilon(), r.epsilonLowerBound(), r.input(), r.gradient());
        return r;
    }

    @Test
    void onCorrectDpSgdTheLowerBoundNeverExceedsTheClaim(@TempDir Path dir) throws IOException {
        for (long seed = 1; seed <= 3; seed++) {
            AuditRun.Report r = audit(tiny(seed, 2.0), DpSgd.TestFault.NONE, dir.resolve("s" + seed));
            assertTrue(r.claimedEpsilon() <= 2.0 + 1e-9, "the ledger's ε stays within the target: " + r.claimedEpsilon());
            assertTrue(r.epsilonLowerBound() <= r.claimedEpsilon(), "audited " + r.epsilonLowerBound() + " > claimed " + r.claimedEpsilon());
        }
    }

    @Test
    void withoutNoiseTheAuditCatchesTheViolation(@TempDir Path dir) throws IOException {
        AuditRun.Report r = audit(tiny(1, 1.0), DpSgd.TestFault.SKIP_NOISE, dir);
        assertTrue(r.epsilonLowerBound() > r.claimedEpsilon(), "audited " + r.epsilonLowerBound() + " ≤ claimed " + r.claimedEpsilon());
    }

    @Test
    void withoutClippingTheAuditCatchesTheViolation(@TempDir Path dir) throws IOException {
        AuditRun.Report r = audit(tiny(1, 1.0), DpSgd.TestFault.SKIP_CLIPPING, dir);
        assertTrue(r.epsilonLowerBound() > r.claimedEpsilon(), "audited " + r.epsilonLowerBound() + " ≤ claimed " + r.claimedEpsilon());
    }
}
