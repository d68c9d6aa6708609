package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metrics against values worked out by hand from scikit-learn's definitions (scikit-learn itself is not installed
 * here, so no numbers were produced by it). The main example has a positive and a negative tied at 0.7.
 */
class MetricsTest {
    // labels 1 = benign; scores p = P(benign)
    static final int[] Y = {1, 0, 1, 1, 0, 0};
    static final double[] P = {0.9, 0.7, 0.7, 0.6, 0.3, 0.1};

    @Test
    void aurocCountsTiesAsHalf() {
        // positive/negative pairs: 0.9 beats 3; 0.7 ties one and beats 2 (2.5); 0.6 beats 2 → 7.5 of 9
        assertEquals(7.5 / 9, Metrics.auroc(Y, P), 1e-15);
        // relabelling malignant as positive with score 1 − p leaves AUROC unchanged (docs/STUDY.md §7)
        int[] flipped = new int[Y.length];
        double[] q = new double[P.length];
        for (int i = 0; i < Y.length; i++) {
            flipped[i] = 1 - Y[i];
            q[i] = 1 - P[i];
        }
        assertEquals(Metrics.auroc(Y, P), Metrics.auroc(flipped, q), 1e-12);
    }

    @Test
    void averagePrecisionIsStepwiseOverDistinctThresholds() {
        // thresholds 0.9: R 1/3, P 1; 0.7 (tie group of one positive, one negative): R 2/3, P 2/3; 0.6: R 1, P 3/4
        // AP = 1/3·1 + 1/3·2/3 + 1/3·3/4 = 29/36 (an interpolated or trapezoidal AP would differ)
        assertEquals(29.0 / 36, Metrics.averagePrecision(Y, P), 1e-15);
        // a perfect ranking has AP 1 whatever the scores
        assertEquals(1.0, Metrics.averagePrecision(new int[] {0, 1, 0, 1}, new double[] {0.2, 0.3, 0.1, 0.25}), 1e-15);
        // all scores tied: AP is the prevalence
        assertEquals(0.4, Metrics.averagePrecision(new int[] {1, 0, 1, 0, 0}, new double[] {0.5, 0.5, 0.5, 0.5, 0.5}), 1e-15);
    }

    @Test
    void accuracyAndF1UseArgmax() {
        // predicted benign iff p > 0.5: [1,1,1,1,0,0] → one false positive
        assertEquals(5.0 / 6, Metrics.accuracy(Y, P), 1e-15);
        assertEquals(6.0 / 7, Metrics.f1(Y, P), 1e-15); // 2·3 / (2·3 + 1 + 0)
        // p = 0.5 is a tie of the two logits: torch.argmax picks class 0 (malignant)
        assertEquals(0.0, Metrics.accuracy(new int[] {1}, new double[] {0.5}));
        // no positives predicted and none present: scikit-learn's zero_division gives 0
        assertEquals(0.0, Metrics.f1(new int[] {0, 0}, new double[] {0.1, 0.2}));
    }

    @Test
    void undefinedWithOneClass() {
        assertTrue(Double.isNaN(Metrics.auroc(new int[] {1, 1}, new double[] {0.1, 0.2})));
        assertTrue(Double.isNaN(Metrics.averagePrecision(new int[] {0, 0}, new double[] {0.1, 0.2})));
    }

    @Test
    void youdenThresholdAndRates() {
        // malignancy m = 1 − p = [.1, .3, .3, .4, .7, .9], malignant = [0,1,0,0,1,1]; J is largest (2/3) at m ≥ 0.7
        double t = Metrics.youdenThreshold(Y, P);
        assertEquals(1 - 0.3, t, 1e-15);
        assertEquals(2.0 / 3, Metrics.sensitivity(Y, P, t), 1e-15);
        assertEquals(1.0, Metrics.specificity(Y, P, t), 1e-15);
    }

    @Test
    void curvesEndWhereTheyShould() {
        List<Metrics.Point> roc = Metrics.roc(Y, P);
        assertEquals(new Metrics.Point(0, 0, Double.POSITIVE_INFINITY), roc.get(0));
        assertEquals(1.0, roc.get(roc.size() - 1).x(), 0);
        assertEquals(1.0, roc.get(roc.size() - 1).y(), 0);
        // trapezoids under the ROC points reproduce the Mann–Whitney AUROC
        double area = 0;
        for (int i = 1; i < roc.size(); i++) area += (roc.get(i).x() - roc.get(i - 1).x()) * (roc.get(i).y() + roc.get(i - 1).y()) / 2;
        assertEquals(Metrics.auroc(Y, P), area, 1e-12);
        List<Metrics.Point> pr = Metrics.precisionRecall(Y, P);
        assertEquals(5, pr.size()); // five distinct scores
        assertEquals(0.5, pr.get(pr.size() - 1).y(), 1e-15); // everything predicted positive: precision = prevalence
    }

    @Test
    void bootstrapIsSeededAndBracketsTheEstimate() {
        int n = 200;
        int[] y = new int[n];
        double[] p = new double[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            y[i] = r.nextBoolean() ? 1 : 0;
            p[i] = Math.min(1, Math.max(0, 0.5 + (y[i] == 1 ? 0.15 : -0.15) + 0.3 * r.nextGaussian()));
        }
        Metrics.Report a = Metrics.report(y, p, 0.5, 300, 7), b = Metrics.report(y, p, 0.5, 300, 7);
        assertEquals(a, b);
        for (Metrics.Estimate e : List.of(a.accuracy(), a.f1(), a.auroc(), a.auprc(), a.sensitivity(), a.specificity())) {
            assertTrue(e.lo() <= e.value() && e.value() <= e.hi(), e.toString());
            assertTrue(e.hi() - e.lo() > 0.02 && e.hi() - e.lo() < 0.3, e.toString());
        }
        // a different seed gives a different interval
        assertTrue(!a.equals(Metrics.report(y, p, 0.5, 300, 8)));
        // the AUROC interval alone is the report's, resample for resample
        assertEquals(a.auroc(), Metrics.aurocInterval(y, p, 300, 7));
    }

    @Test
    void percentileInterpolatesLikeNumpy() {
        assertEquals(2.5, Metrics.percentile(new double[] {1, 2, 3, 4}, 0.5), 1e-15);
        assertEquals(1.075, Metrics.percentile(new double[] {1, 2, 3, 4}, 0.025), 1e-12);
    }

    @Test
    void curvesArePngs(@TempDir Path dir) throws Exception {
        CurvePlot.roc(dir.resolve("roc.png"), Metrics.roc(Y, P), "ROC");
        CurvePlot.precisionRecall(dir.resolve("pr.png"), Metrics.precisionRecall(Y, P), 0.5, "PR");
        BufferedImage img = ImageIO.read(Files.newInputStream(dir.resolve("roc.png")));
        assertEquals(520, img.getWidth());
        assertTrue(Files.size(dir.resolve("pr.png")) > 1000);
    }
}
