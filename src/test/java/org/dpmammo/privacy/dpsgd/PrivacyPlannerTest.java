package org.dpmammo.privacy.dpsgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.testing.Ledgers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyPlannerTest {
    @Test
    void theStudysScheduleFollowsOpacusRules() {
        // The study: N = 1104, batch 128 → 9 steps per epoch, q = 1/9.
        PrivacyPlanner.Plan p = PrivacyPlanner.plan(1104, 128, 10, 6.0, 1e-4, new RdpAccountant());
        assertEquals(9, p.stepsPerEpoch());
        assertEquals(1.0 / 9, p.sampleRate(), 1e-15);
        assertEquals(90, p.steps());
        assertTrue(p.epsilon().epsilon() <= 6.0, "never on the unsafe side: " + p.epsilon());
        double slightlyLess = p.noiseMultiplier() * (1 - 1e-3);
        double eps = new RdpAccountant().epsilon(List.of(new Segment(p.sampleRate(), slightlyLess, p.steps())), 1e-4).epsilon();
        assertTrue(eps > 6.0, "σ is the smallest that meets the target: " + eps);
        assertTrue(p.warnings().isEmpty(), p.warnings().toString());
        assertFalse(PrivacyPlanner.plan(100, 10, 1, 6.0, 0.05, new RdpAccountant()).warnings().isEmpty(), "δ ≥ 1/N is flagged");
    }

    @Test
    void ledgerSpendEqualsTheAccountantForTheSameSchedule(@TempDir Path dir) throws IOException {
        PrivacyLedger l = PrivacyLedger.open(dir.resolve("ledger.json"));
        l.beginPhase(new PrivacyLedger.Phase("gan", "gan", "data-A", 1104, 0.01, 1.1, 1, 1e-5, "rdp", true));
        l.beginPhase(new PrivacyLedger.Phase("clf", "classifier", "data-A", 1104, 0.1, 0.9, 1, 1e-5, "rdp", true));
        l.beginPhase(new PrivacyLedger.Phase("other", "classifier", "data-B", 500, 0.2, 0.9, 1, 1e-5, "rdp", true));
        l.reserve("gan", 300);
        l.reserve("clf", 40);
        l.reserve("other", 10);
        Accountant rdp = new RdpAccountant();
        double combined = Ledgers.epsilonOfGroupWith(l, "gan", 1e-5, rdp);
        double direct = rdp.epsilon(List.of(new Segment(0.01, 1.1, 300), new Segment(0.1, 0.9, 40)), 1e-5).epsilon();
        assertEquals(direct, combined, 0);
        double ganOnly = rdp.epsilon(List.of(new Segment(0.01, 1.1, 300)), 1e-5).epsilon();
        assertTrue(combined > ganOnly, "the classifier adds to the GAN's spend on the same data");
        // The phase on other data composes with nothing of data-A's.
        assertEquals(rdp.epsilon(List.of(new Segment(0.2, 0.9, 10)), 1e-5).epsilon(), Ledgers.epsilonOfGroupWith(l, "other", 1e-5, rdp), 0);
    }
}
