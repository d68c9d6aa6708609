package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PRV calibration: the same target ε with less noise, certified by PRV and recorded as such in the ledger. */
class CnnTrainersTest {
    static PrivacyLedger.Phase train(Path out, String accountant) throws Exception {
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"demo\", \"classifier\": {\"batch_size\": 8}}");
        new CnnTrainers(c).classifier(new Trainers.ClassifierJob(List.of("phantom:32:32:1"), "phantom:32:16:2", out, 42, false, false, null, 4.0,
                accountant, 2, 1e-3), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        PrivacyLedger l = PrivacyLedger.open(out.resolve("ledger.json"));
        assertEquals(8, l.stepsRecorded(l.spends().get(0).phase().id()));
        return l.spends().get(0).phase();
    }

    @Test
    void prvCalibrationNeedsLessNoiseForTheSameEpsilon(@TempDir Path dir) throws Exception {
        PrivacyLedger.Phase rdp = train(dir.resolve("rdp"), "rdp"), prv = train(dir.resolve("prv"), "prv");
        assertEquals("prv", prv.accountant());
        assertTrue(prv.noiseMultiplier() < rdp.noiseMultiplier(), "σ PRV " + prv.noiseMultiplier() + " vs RDP " + rdp.noiseMultiplier());
        double eps = new PrvAccountant().epsilon(List.of(new Segment(prv.sampleRate(), prv.noiseMultiplier(), 8)), prv.delta()).epsilon();
        assertTrue(eps <= 4.0 && eps > 3.5, "PRV certifies the target for the PRV-calibrated run: " + eps);
        // each σ is what the engine's planner calibrates for 32 examples, batch 8, 2 epochs under that accountant
        assertEquals(PrivacyPlanner.plan(32, 8, 2, 4.0, 1e-4, new RdpAccountant()).noiseMultiplier(), rdp.noiseMultiplier(), 1e-12);
        assertEquals(PrivacyPlanner.plan(32, 8, 2, 4.0, 1e-4, new PrvAccountant()).noiseMultiplier(), prv.noiseMultiplier(), 1e-12);
        // the per-epoch ε column, and so the selection window, is PRV's for the PRV-calibrated run
        List<String> rows = Files.readAllLines(dir.resolve("prv").resolve("metrics.csv"));
        assertEquals("epsilon", rows.get(0).split(",")[4]);
        assertEquals(eps, Double.parseDouble(rows.get(rows.size() - 1).split(",")[4]), 1e-6);
    }
}
