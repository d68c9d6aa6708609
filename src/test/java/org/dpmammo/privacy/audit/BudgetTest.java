package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.Ledgers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget stop, and composition of several runs on one dataset through a shared ledger. */
class BudgetTest {
    static final RdpAccountant RDP = new RdpAccountant();

    static CrashSafeRun.Settings settings(String phase, String data, long steps, double target) {
        return new CrashSafeRun.Settings(phase, data, 0.1, 0.0, 1.0, 1.0, 0.25, steps, 16, 1e-5, target, "rdp", false, 7, 10);
    }

    static CrashSafeRun.Outcome run(Path dir, Path ledger, CrashSafeRun.Settings s) throws IOException {
        Tensor x = KillResumeChild.inputs();
        return new CrashSafeRun(KillResumeChild.model(), x, KillResumeChild.labels(x), s, dir, ledger).run();
    }

    static double eps(long steps) {
        return RDP.epsilon(List.of(new Segment(0.25, 1.0, steps)), 1e-5).epsilon();
    }

    @Test
    void aRunAskedToGoPastItsTargetStopsWithAClearMessage(@TempDir Path dir) throws IOException {
        double target = eps(30); // the budget allows 30 steps; the run asks for 60
        Path ledger = dir.resolve("ledger.json");
        DpSgd.BudgetExhaustedException e = assertThrows(DpSgd.BudgetExhaustedException.class,
                () -> run(dir.resolve("a"), ledger, settings("a", "data-1", 60, target)));
        assertTrue(e.getMessage().startsWith("privacy budget exhausted: 30 of 60 steps ran"), e.getMessage());
        assertEquals(30, PrivacyLedger.open(ledger).stepsRecorded("a"), "not one step past the budget is spent");
        // Asking again (a resume) does not buy more steps.
        assertThrows(DpSgd.BudgetExhaustedException.class, () -> run(dir.resolve("a"), ledger, settings("a", "data-1", 60, target)));
        assertEquals(30, PrivacyLedger.open(ledger).stepsRecorded("a"));
    }

    @Test
    void runsSharingALedgerComposeTheirSpendOnTheSameData(@TempDir Path dir) throws IOException {
        Path ledger = dir.resolve("ledger.json");
        double target = eps(50);
        CrashSafeRun.Outcome first = run(dir.resolve("1"), ledger, settings("first", "data-1", 30, target));
        assertEquals(eps(30), first.epsilonSpent(), 1e-12);
        // Alone, 30 more steps would fit the target; composed with the first run's 30, only 20 do.
        DpSgd.BudgetExhaustedException e = assertThrows(DpSgd.BudgetExhaustedException.class,
                () -> run(dir.resolve("2"), ledger, settings("second", "data-1", 30, target)));
        assertTrue(e.getMessage().contains("20 of 30 steps ran"), e.getMessage());
        PrivacyLedger l = PrivacyLedger.open(ledger);
        double composed = Ledgers.epsilonOfGroupWith(l, "first", 1e-5, RDP);
        assertEquals(RDP.epsilon(List.of(new Segment(0.25, 1.0, 30), new Segment(0.25, 1.0, 20)), 1e-5).epsilon(), composed, 1e-12);
        assertTrue(composed <= target && composed > first.epsilonSpent());
        // Another dataset's budget is its own: a third run on other data runs all its steps.
        CrashSafeRun.Outcome other = run(dir.resolve("3"), ledger, settings("third", "data-2", 30, target));
        assertEquals(30, other.stepsRun());
        assertEquals(eps(30), other.epsilonSpent(), 1e-12);
    }
}
