package org.dpmammo.experiment;

import static org.dpmammo.experiment.ResultsTest.cell;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's one-sentence summary, from hand-made results whose right reading is known. */
class HeadlineTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final String TEST = "internal test";

    private static String headline(CellResult... cells) {
        return Headline.of(Results.groups(List.of(cells)), TEST, "rdp");
    }

    @Test
    void theStudysOrderingHolding() {
        String s = headline(cell(Condition.REAL, 1, 42, 0.62), cell(Condition.REAL, 8, 42, 0.75), cell(Condition.REAL, INF, 42, 0.91),
                cell(Condition.PRETRAIN_DP, 1, 42, 0.78), cell(Condition.PRETRAIN_DP, 8, 42, 0.80), cell(Condition.SYNTH, 1, 42, 0.70),
                cell(Condition.REAL_SYNTH, 1, 42, 0.64));
        assertEquals("At ε = 1, the strongest privacy in this run (one seed), synthetic pretraining → DP fine-tuning was best with AUROC 0.780 on internal test, "
                + "0.160 above real-only DP (0.620), the study's ordering, and real-only training without DP reached 0.910 (privacy at ε = 1 cost it 0.290).", s);
    }

    @Test
    void theStudysOrderingFailingIsSaid() {
        String s = headline(cell(Condition.REAL, 1, 42, 0.70), cell(Condition.REAL, INF, 42, 0.88), cell(Condition.PRETRAIN_DP, 1, 42, 0.65),
                cell(Condition.REAL_SYNTH, 1, 42, 0.60));
        assertTrue(s.contains("real-only DP training was best with AUROC 0.700"), s);
        assertTrue(s.contains("unlike the study, synthetic pretraining → DP fine-tuning (0.650) fell 0.050 behind real-only DP"), s);
        assertFalse(s.contains("as in the study"), s);
    }

    @Test
    void anotherConditionBestWithPretrainingBehindReal() {
        String s = headline(cell(Condition.REAL, 1, 42, 0.60), cell(Condition.REAL_SYNTH, 1, 42, 0.72), cell(Condition.PRETRAIN_DP, 1, 42, 0.55));
        assertTrue(s.startsWith("At ε = 1, the strongest privacy in this run (one seed), real + synthetic was best with AUROC 0.720 on internal test, 0.120 above real-only DP (0.600)"), s);
        assertTrue(s.contains("unlike the study, synthetic pretraining → DP fine-tuning (0.550) fell 0.050 behind"), s);
        assertFalse(s.contains("without DP"), "no ε = ∞ cell, nothing to say about it: " + s);
    }

    @Test
    void aDifferenceBelowTheResolutionIsLevelNotAWin() {
        String s = headline(cell(Condition.REAL, 1, 42, 0.700), cell(Condition.PRETRAIN_DP, 1, 42, 0.705), cell(Condition.REAL, INF, 42, 0.704));
        assertTrue(s.contains("was best with AUROC 0.705 on internal test, level with real-only DP (0.700), so the study's ordering was not shown"), s);
        assertTrue(s.endsWith("without DP reached 0.704."), "a cost under the resolution is not claimed: " + s);
    }

    @Test
    void seedMeansAtTheSmallestEpsilonOfTheFirstAccountant() {
        List<CellResult> cells = new ArrayList<>(List.of(cell(Condition.REAL, 2, 42, 0.60), cell(Condition.REAL, 2, 43, 0.70),
                cell(Condition.PRETRAIN_DP, 2, 42, 0.80), cell(Condition.PRETRAIN_DP, 2, 43, 0.70), cell(Condition.REAL, 6, 42, 0.95)));
        // PRV cells at a smaller ε and far better: not the accountant the report leads with, so not read.
        cells.add(cell(Condition.REAL, 1, "prv", 42, 0.99, 1.0));
        cells.add(cell(Condition.PRETRAIN_DP, 1, "prv", 42, 0.10, 1.0));
        String s = Headline.of(Results.groups(cells), TEST, "rdp");
        assertTrue(s.startsWith("At ε = 2, the strongest privacy in this run (mean of 2 seeds), synthetic pretraining → DP fine-tuning was best with AUROC 0.750 on internal test, "
                + "0.100 above real-only DP (0.650)"), s);
    }

    @Test
    void nothingToSayWithoutARealOnlyDpCell() {
        assertNull(headline());
        assertNull(headline(cell(Condition.REAL, INF, 42, 0.9), cell(Condition.PRETRAIN_DP, 1, 42, 0.8)));
        String s = headline(cell(Condition.REAL, 1, 42, 0.6), cell(Condition.REAL_SYNTH, 1, 42, 0.5));
        assertTrue(s.contains("real-only DP training was best with AUROC 0.600 on internal test; the grid has no synthetic pretraining → DP fine-tuning cell"), s);
    }
}
