package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The grid evaluator against the accountant asked one row at a time (the shared RDP curves must not change ε). */
class EpsilonGridTest {
    private static List<EpsilonGrid.Row> rows() {
        Random rng = new Random(7);
        List<EpsilonGrid.Row> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            // Every third row repeats an earlier (q, σ) with other steps and δ, so the RDP curve cache is exercised.
            EpsilonGrid.Row base = i % 3 == 2 ? rows.get(i - 2) : null;
            double q = base != null ? base.sampleRate() : Math.pow(10, -3 + 2 * rng.nextDouble());
            double sigma = base != null ? base.noiseMultiplier() : 0.6 + 2.4 * rng.nextDouble();
            long steps = i == 5 ? 0 : 1 + rng.nextInt(5000);
            double delta = rng.nextBoolean() ? 1e-5 : 1e-6;
            rows.add(new EpsilonGrid.Row(q, sigma, steps, delta));
        }
        return rows;
    }

    private static void assertSameAsOneByOne(Accountant accountant, List<EpsilonGrid.Row> rows) {
        Epsilon[] grid = EpsilonGrid.evaluate(accountant, rows);
        assertEquals(rows.size(), grid.length);
        for (int i = 0; i < rows.size(); i++) {
            EpsilonGrid.Row r = rows.get(i);
            Epsilon alone = accountant.epsilon(List.of(new Segment(r.sampleRate(), r.noiseMultiplier(), r.steps())), r.delta());
            assertEquals(alone.epsilon(), grid[i].epsilon(), 1e-12 * Math.max(1, alone.epsilon()), "row " + i + ": " + r);
            assertEquals(alone.delta(), grid[i].delta(), "row " + i);
        }
    }

    @Test
    void rdpGridEqualsOneQueryPerRow() {
        assertSameAsOneByOne(new RdpAccountant(), rows());
    }

    @Test
    void prvGridEqualsOneQueryPerRow() {
        assertSameAsOneByOne(new PrvAccountant(), rows().subList(0, 4));
    }
}
