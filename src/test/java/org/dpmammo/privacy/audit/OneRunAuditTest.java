package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-run audit's statistics against cases with closed forms. */
class OneRunAuditTest {
    @Test
    void allCorrectWithoutDeltaInvertsTheBinomialTailExactly() {
        // With δ = 0 and v = r the p-value is q^r, so the bound is the ε where q^r = 0.05: q = 0.05^(1/r).
        for (int r : new int[] {10, 100, 1000}) {
            double q = Math.pow(0.05, 1.0 / r);
            double expected = Math.log(q / (1 - q));
            assertEquals(expected, OneRunAudit.epsilonLowerBound(2 * r, r, r, 0, 0.95), 2e-4, "r = " + r);
        }
    }

    @Test
    void pValueIsTheBinomialTailAtEpsilonZero() {
        // ε = 0: guesses are fair coins; P[Bin(4, ½) ≥ 3] = 5/16.
        assertEquals(5.0 / 16, OneRunAudit.pValue(10, 4, 3, 0, 0), 1e-12);
        // The δ term: α = max_i P[v − i ≤ Bin < v]/i; at v = 3: i = 1 gives P[B = 2] = 6/16.
        assertEquals(5.0 / 16 + 2 * 10 * 1e-3 * 6.0 / 16, OneRunAudit.pValue(10, 4, 3, 0, 1e-3), 1e-12);
    }

    @Test
    void chanceLevelGuessesGiveNoBoundAndDeltaOnlyLowersIt() {
        assertEquals(0, OneRunAudit.epsilonLowerBound(1000, 500, 260, 1e-5, 0.95));
        double without = OneRunAudit.epsilonLowerBound(1000, 200, 180, 0, 0.95);
        double with = OneRunAudit.epsilonLowerBound(1000, 200, 180, 1e-3, 0.95);
        assertTrue(without > 1 && with < without, without + " vs " + with);
    }

    @Test
    void guessesTakeTheTopAndBottomScores() {
        double[] scores = {5, 1, 4, 2, 3, 0};
        boolean[] in = {true, false, false, false, true, true};
        // Top 2: indices 0 (in) and 2 (out); bottom 2: indices 5 (in) and 1 (out): 2 of 4 right.
        OneRunAudit.Guesses g = OneRunAudit.guess(scores, in, 2, 2);
        assertEquals(4, g.guessed());
        assertEquals(2, g.correct());
        assertThrows(IllegalArgumentException.class, () -> OneRunAudit.guess(scores, in, 4, 3));
    }

    @Test
    void severalRulesAreBonferroniCorrected() {
        int m = 400;
        double[] scores = new double[m];
        boolean[] in = new boolean[m];
        for (int i = 0; i < m; i++) {
            in[i] = i % 2 == 0;
            scores[i] = in[i] ? 1000 - i : -i;
        }
        OneRunAudit.Result one = OneRunAudit.audit(scores, in, 0, 0.95, List.of(0.25));
        OneRunAudit.Result three = OneRunAudit.audit(scores, in, 0, 0.95, List.of(0.05, 0.1, 0.25));
        assertEquals(200, one.best().correct());
        // The same perfect 200 guesses, judged at 1 − 0.05/3: a smaller bound.
        assertEquals(OneRunAudit.epsilonLowerBound(m, 200, 200, 0, 1 - 0.05 / 3), three.epsilonLowerBound(), 1e-12);
        assertTrue(three.epsilonLowerBound() < one.epsilonLowerBound());
    }
}
