package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code dpmammo privacy} through {@link Main#run}: exit codes, stdout and stderr. */
class PrivacyCommandTest {
    private record Run(int rc, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void epsilonRdpPlainText() {
        // A1 of docs/DP-MATH.md §3.1 through the command line.
        Run r = run("privacy", "epsilon", "--sample-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2250", "--delta", "1e-5",
                "--accountant", "rdp");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().startsWith("epsilon = 7.329111171 at delta = 1e-5"), r.out());
        assertTrue(r.out().contains("optimal order 3.9"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void epsilonJsonDefaultsToPrv() throws Exception {
        // A2 of docs/DP-MATH.md §3.1: Opacus' PRV accountant gives 6.777395712150674.
        Run r = run("privacy", "epsilon", "--sample-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2249", "--delta", "1e-5", "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("prv", j.get("accountant").asText());
        assertEquals(6.777395712150674, j.get("epsilon").asDouble(), 1e-6);
        assertEquals(0.01, j.get("epsilon_error").asDouble());
        assertEquals(1e-5, j.get("delta").asDouble());
        assertTrue(j.get("order").isNull());
        assertEquals(1, r.out().strip().lines().count());
    }

    @Test
    void scheduleTooLongForALongIsAUsageError() {
        // 10^18 epochs of 100 steps overflow a long: this used to exit 1 with "long overflow".
        Run r = run("privacy", "epsilon", "--dataset-size", "1000", "--batch-size", "10", "--epochs", "999999999999999999",
                "--noise-multiplier", "1", "--delta", "1e-5", "--accountant", "rdp");
        assertEquals(2, r.rc(), r.err());
        assertTrue(r.err().contains("--epochs 999999999999999999") && r.err().contains("too long"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rdp", "prv"})
    void subnormalNoiseMultiplierAnswersInfinityAtOnce(String accountant) {
        // σ = 1e-160 used to hang for minutes in the RDP series; 1/(2σ²) is beyond double range, so ε = ∞.
        Run r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> run("privacy", "epsilon", "--sample-rate", "0.01", "--steps", "10", "--noise-multiplier", "1e-160",
                        "--delta", "1e-5", "--accountant", accountant));
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().startsWith("epsilon = Infinity at delta = 1e-5"), r.out());
        assertTrue(r.err().contains("RDP is infinite at every order"), r.err());
    }

    @Test
    void datasetSizeBatchSizeEpochs() throws Exception {
        // The trainers' schedule: q = 1/ceil(60000/256) = 1/235 (not 256/60000), steps = 60 · 235 = 14100.
        Run r = run("privacy", "epsilon", "--dataset-size", "60000", "--batch-size", "256", "--epochs", "60", "--noise-multiplier", "1.1",
                "--delta", "1e-5", "--accountant", "rdp", "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(14100, j.get("steps").asLong());
        assertEquals(1.0 / 235, j.get("sample_rate").asDouble());
    }

    @Test
    void sigmaAndStepsSubcommands() throws Exception {
        Run s = run("privacy", "sigma", "--target-epsilon", "8", "--sample-rate", "0.04", "--steps", "2250", "--delta", "1e-5",
                "--accountant", "rdp", "--json");
        assertEquals(0, s.rc(), s.err());
        JsonNode j = new ObjectMapper().readTree(s.out());
        assertTrue(j.get("epsilon").asDouble() <= 8);
        assertEquals(1.416, j.get("noise_multiplier").asDouble(), 1e-3);
        Run t = run("privacy", "steps", "--target-epsilon", "7.32911117144", "--sample-rate", "0.04", "--noise-multiplier", "1.5",
                "--delta", "1e-5", "--accountant", "rdp");
        assertEquals(0, t.rc(), t.err());
        assertTrue(t.out().startsWith("steps = 2250 "), t.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--sample-rate=0", "--sample-rate=1.5", "--sample-rate=NaN", "--noise-multiplier=0", "--noise-multiplier=-1",
        "--noise-multiplier=NaN", "--delta=0", "--delta=1", "--delta=NaN", "--steps=-1", "--steps=1.5", "--accountant=pld"})
    void badValuesExitTwoWithOneLineAndNoStdout(String bad) {
        String name = bad.substring(0, bad.indexOf('='));
        String[] base = {"--sample-rate=0.01", "--noise-multiplier=1", "--steps=100", "--delta=1e-5"};
        String[] args = new String[base.length + 3];
        args[0] = "privacy";
        args[1] = "epsilon";
        int k = 2;
        for (String b : base) if (!b.startsWith(name + "=")) args[k++] = b;
        args[k++] = bad;
        Run r = run(java.util.Arrays.copyOf(args, k));
        assertEquals(2, r.rc(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains(name) && r.err().contains(bad.substring(bad.indexOf('=') + 1)), r.err());
    }

    @Test
    void gridAddsEpsAndOrderAndPassesColumnsThrough(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("grid.csv");
        Files.writeString(csv, "name,q,sigma,steps,delta\n\"run, A1\",0.04,1.5,2250,1e-5\nsmall,0.01,1.0,300,1e-5\n");
        Run r = run("privacy", "epsilon", "--grid", csv.toString(), "--accountant", "rdp");
        assertEquals(0, r.rc(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals("name,q,sigma,steps,delta,eps,order", lines[0]);
        assertTrue(lines[1].startsWith("\"run, A1\",0.04,1.5,2250,1e-5,7.3291111714"), lines[1]);
        assertTrue(lines[1].endsWith(",3.9"), lines[1]);
        assertTrue(lines[2].startsWith("small,0.01,1.0,300,1e-5,"), lines[2]);
        assertEquals(3, lines.length);
    }

    @Test
    void gridWithPrvHasNoOrderColumn(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("grid.csv");
        Files.writeString(csv, "q,sigma,steps,delta\n0.05,0.8,100,1e-6\n");
        Run r = run("privacy", "epsilon", "--grid", csv.toString());
        assertEquals(0, r.rc(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals("q,sigma,steps,delta,eps", lines[0]);
        // Table C of docs/DP-MATH.md §3.3: 6.7410519394.
        assertEquals(6.7410519394, Double.parseDouble(lines[1].substring(lines[1].lastIndexOf(',') + 1)), 5e-5);
    }

    @Test
    void badGridRowIsReportedBeforeAnythingIsPrinted(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("grid.csv");
        Files.writeString(csv, "q,sigma,steps,delta\n0.01,1,100,1e-5\n0.01,-2,100,1e-5\n");
        Run r = run("privacy", "epsilon", "--grid", csv.toString(), "--accountant", "rdp");
        assertEquals(2, r.rc());
        assertEquals("", r.out());
        assertTrue(r.err().contains("row 3") && r.err().contains("sigma") && r.err().contains("-2"), r.err());
        Files.writeString(csv, "q,sigma,steps,delta\n0.01,1,100\n");
        Run short_ = run("privacy", "epsilon", "--grid", csv.toString(), "--accountant", "rdp");
        assertEquals(2, short_.rc());
        assertTrue(short_.err().contains("row 2"), short_.err());
        Files.writeString(csv, "q,sigma,delta\n0.01,1,1e-5\n");
        assertEquals(2, run("privacy", "epsilon", "--grid", csv.toString()).rc());
    }

    @Test
    void helpCitesThePapers() {
        for (String sub : new String[] {"epsilon", "sigma", "steps"}) {
            Run r = run("privacy", sub, "--help");
            assertEquals(0, r.rc());
            assertTrue(r.out().contains("arXiv 2106.02848") && r.out().contains("arXiv 1908.10530") && r.out().contains("1905.09982"), r.out());
            assertTrue(r.out().contains("steps = E * ceil(N/B)"), r.out());
        }
        assertTrue(run("--help").out().contains("privacy"));
        assertEquals(2, run("privacy").rc());
        assertEquals(2, run("privacy", "budget").rc());
    }
}
