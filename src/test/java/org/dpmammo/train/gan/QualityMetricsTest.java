package org.dpmammo.train.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** The quality metrics on inputs whose answers can be worked out by hand. */
class QualityMetricsTest {
    private static double[][] gaussianSet(int n, int d, long seed) {
        Rng rng = new Rng(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) for (int j = 0; j < d; j++) row[j] = rng.nextGaussian() * (1 + j % 3);
        return x;
    }

    @Test
    void jacobiReconstructsASymmetricMatrixAndItsSquareRoot() {
        Rng rng = new Rng(3);
        int n = 12;
        double[][] b = new double[n][n];
        for (double[] row : b) for (int j = 0; j < n; j++) row[j] = rng.nextGaussian();
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) a[i][j] += b[i][k] * b[j][k];
        SymmetricEigen.Result r = SymmetricEigen.of(a);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += r.vectors()[i][k] * r.values()[k] * r.vectors()[j][k];
                assertEquals(a[i][j], s, 1e-9, "V diag(λ) Vᵀ at " + i + "," + j);
            }
        }
        double[][] root = SymmetricEigen.sqrtPsd(a);
        double[][] sq = FrechetDistance.multiply(root, root);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(a[i][j], sq[i][j], 1e-8);
    }

    @Test
    void frechetDistanceOfIdenticalSetsIsZero() {
        double[][] x = gaussianSet(200, 10, 1);
        assertEquals(0, FrechetDistance.between(x, x), 1e-9);
    }

    @Test
    void frechetDistanceOfAShiftedSetIsTheSquaredShift() {
        double[][] x = gaussianSet(300, 8, 2);
        double[] delta = {1, -2, 0.5, 0, 3, 0, 0, -1};
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i].clone();
            for (int j = 0; j < delta.length; j++) y[i][j] += delta[j];
        }
        // ‖Δ‖² = 1 + 4 + 0.25 + 9 + 1; the covariances are equal, so the trace term vanishes.
        assertEquals(15.25, FrechetDistance.between(x, y), 1e-8);
    }

    @Test
    void frechetDistanceOfDiagonalGaussiansIsTheSumOfSquaredStdDifferences() {
        // C₁ = diag(1, 4), C₂ = diag(4, 9): tr = (1 + 4 − 2·2) + (4 + 9 − 2·6) = 2; means differ by (3, 0): 9.
        double[][] c1 = {{1, 0}, {0, 4}}, c2 = {{4, 0}, {0, 9}};
        assertEquals(11, FrechetDistance.of(new double[] {0, 0}, c1, new double[] {3, 0}, c2), 1e-10);
    }

    @Test
    void precisionAndRecallOfIdenticalSetsAreOneAndOfFarSetsZero() {
        double[][] x = gaussianSet(150, 5, 4);
        ManifoldPrecisionRecall.Result same = ManifoldPrecisionRecall.of(x, x, 3);
        assertEquals(1, same.precision());
        assertEquals(1, same.recall());
        double[][] far = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            far[i] = x[i].clone();
            far[i][0] += 100;
        }
        ManifoldPrecisionRecall.Result apart = ManifoldPrecisionRecall.of(x, far, 3);
        assertEquals(0, apart.precision());
        assertEquals(0, apart.recall());
    }

    @Test
    void precisionDropsWhenHalfTheGeneratedPointsAreOffTheManifoldButRecallStays() {
        double[][] real = gaussianSet(200, 4, 5);
        double[][] gen = new double[200][];
        for (int i = 0; i < 200; i++) {
            gen[i] = real[i].clone();
            if (i % 2 == 1) gen[i][0] += 100;
        }
        ManifoldPrecisionRecall.Result r = ManifoldPrecisionRecall.of(real, gen, 3);
        assertEquals(0.5, r.precision(), 1e-12);
        // Every other real point is reproduced exactly, and the rest lie inside their neighbours' balls mostly.
        assertTrue(r.recall() >= 0.5, "recall " + r.recall());
    }

    @Test
    void kthNeighbourDistanceOnALine() {
        double[][] x = {{0}, {1}, {3}, {6}};
        assertArrayEquals(new double[] {1, 1, 2, 3}, ManifoldPrecisionRecall.kthNeighbourDistances(x, 1), 1e-12);
        assertArrayEquals(new double[] {3, 2, 3, 5}, ManifoldPrecisionRecall.kthNeighbourDistances(x, 2), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ManifoldPrecisionRecall.of(x, x, 4));
    }

    @Test
    void reportOnIdenticalAndShiftedSets() {
        double[][] x = gaussianSet(120, 6, 9);
        int[] labels = new int[x.length];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 2;
        QualityReport.Features real = new QualityReport.Features(x, labels, "real");
        QualityReport.Report same = QualityReport.evaluate(real, new QualityReport.Features(x, labels, "same"), 3, 3, 1);
        for (QualityReport.ClassPrecisionRecall c : same.precisionRecall()) {
            assertEquals(1, c.precision(), c.label());
            assertEquals(1, c.recall(), c.label());
        }
        assertEquals(60, same.setSize());
        double[][] shifted = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            shifted[i] = x[i].clone();
            shifted[i][0] += 5;
        }
        QualityReport.Report apart = QualityReport.evaluate(real, new QualityReport.Features(shifted, labels, "shifted"), 3, 3, 1);
        double rr = apart.distances().get(0).mean(), rs = apart.distances().get(1).mean(), ss = apart.distances().get(2).mean();
        // Standardised on the real set (feature 0 has std 1): the shift is 5 std, so real–synthetic ≈ 25 + sampling noise.
        assertTrue(rs > 20 && rr < 5 && ss < 5, "rr " + rr + ", rs " + rs + ", ss " + ss);
        assertEquals(2, apart.realBaseline().size());
    }
}
