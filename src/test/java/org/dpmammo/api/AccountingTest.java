package org.dpmammo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dpmammo.cli.Main;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.junit.jupiter.api.Test;

/** {@link Accounting} gives what the accountants give directly and what {@code dpmammo privacy} prints. */
class AccountingTest {
    private static JsonNode cli(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void epsilonIsTheAccountantsAndTheCommandsEpsilon() throws Exception {
        // dp-math.md A1: RDP gives 7.329111171 for (q 0.04, σ 1.5, 2250 steps, δ 1e-5).
        double rdp = Accounting.epsilon(0.04, 1.5, 2250, 1e-5, "rdp");
        assertEquals(new RdpAccountant().epsilon(List.of(new Segment(0.04, 1.5, 2250)), 1e-5).epsilon(), rdp);
        assertEquals(7.329111171, rdp, 1e-9);
        double prv = Accounting.epsilon(0.04, 1.5, 2249, 1e-5, "prv");
        assertEquals(new PrvAccountant().epsilon(List.of(new Segment(0.04, 1.5, 2249)), 1e-5).epsilon(), prv);
        assertEquals(cli("privacy", "epsilon", "--sample-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2249", "--delta", "1e-5",
                "--accountant", "prv", "--json").get("epsilon").asDouble(), prv);
    }

    @Test
    void sigmaAndStepsAreTheCalibrationsAndTheCommands() throws Exception {
        double sigma = Accounting.sigma(6, 0.1, 100, 1e-4, "rdp");
        assertEquals(Calibration.noiseMultiplier(new RdpAccountant(), 6, 1e-4, 0.1, 100).noiseMultiplier(), sigma);
        assertEquals(cli("privacy", "sigma", "--sample-rate", "0.1", "--steps", "100", "--delta", "1e-4", "--target-epsilon", "6", "--accountant", "rdp",
                "--json").get("noise_multiplier").asDouble(), sigma);
        assertTrue(Accounting.epsilon(0.1, sigma, 100, 1e-4, "rdp") <= 6, "the calibrated σ never exceeds the target");

        long steps = Accounting.steps(6, 0.1, 1.2, 1e-4, "prv");
        assertEquals(Calibration.maxSteps(new PrvAccountant(), 6, 1e-4, 0.1, 1.2).steps(), steps);
        assertEquals(cli("privacy", "steps", "--sample-rate", "0.1", "--noise-multiplier", "1.2", "--delta", "1e-4", "--target-epsilon", "6",
                "--accountant", "prv", "--json").get("steps").asLong(), steps);
        assertTrue(Accounting.epsilon(0.1, 1.2, steps, 1e-4, "prv") <= 6 && Accounting.epsilon(0.1, 1.2, steps + 1, 1e-4, "prv") > 6);
    }

    @Test
    void theScheduleIsTheTrainersAndSigmaForEpochsIsThePlan() {
        // q = 1/⌈60000/256⌉ = 1/235, not 256/60000.
        Accounting.Schedule s = Accounting.schedule(60000, 256, 60);
        assertEquals(new Accounting.Schedule(1.0 / 235, 235, 14100), s);
        PrivacyPlanner.Plan plan = PrivacyPlanner.plan(1104, 128, 10, 6, 1e-4, new RdpAccountant());
        assertEquals(plan.noiseMultiplier(), Accounting.sigmaForEpochs(6, 1104, 128, 10, 1e-4, "rdp"));
    }

    @Test
    void badArgumentsNameWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Accounting.epsilon(0.1, 1, 10, 1e-5, "moments")).getMessage().contains("moments"));
        assertThrows(IllegalArgumentException.class, () -> Accounting.epsilon(1.5, 1, 10, 1e-5, "rdp"));
        assertThrows(IllegalArgumentException.class, () -> Accounting.sigma(8, 0.1, 10, 1, "rdp"));
        assertThrows(IllegalArgumentException.class, () -> Accounting.schedule(0, 10, 1));
    }
}
