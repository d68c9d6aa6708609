package org.dpmammo.cli;

import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.privacy.noise.Randomness;

/**
 * The privacy options every DP trainer shares (classifier train, gan train, audit), parsed one way: where the
 * randomness comes from, which ledger the run spends against, the budget across runs, and whether statistics of
 * the private records may be written.
 */
final class DpOptions {
    static final String REPRODUCIBLE = "reproducible-dp", SECURE = "secure-noise", LEDGER = "ledger", BUDGET = "budget", PRIVATE_STATS = "log-private-stats";

    private DpOptions() {}

    static void add(Options o) {
        o.addOption(Option.builder().longOpt(REPRODUCIBLE).desc("DP: draw noise and batches from the seed and this run's id instead of the OS's secure "
                + "source, so the run can be replayed (tests, research); its ε is then NOT a guarantee and is marked so everywhere").build());
        o.addOption(Option.builder().longOpt(SECURE).desc("DP: secure randomness (the default; kept for older scripts)").build());
        o.addOption(Option.builder().longOpt(LEDGER).hasArg().argName("FILE").desc("DP: the privacy ledger to spend against (default RUN/ledger.json); "
                + "runs sharing one ledger compose per record").build());
        o.addOption(Option.builder().longOpt(BUDGET).hasArg().argName("E").desc("DP: refuse to start if any training record would pass ε = E once this "
                + "run is composed with every phase already in the ledger").build());
        o.addOption(Option.builder().longOpt(PRIVATE_STATS).desc("DP: also write statistics of the private training records (training loss; the "
                + "GAN's D(x) and loss_D) to files marked as not differentially private").build());
    }

    /** Refuses the DP-only options on a run without --dp. */
    static void refuseWithoutDp(CommandLine cl) {
        for (String name : new String[] {REPRODUCIBLE, SECURE, LEDGER, BUDGET, PRIVATE_STATS}) {
            if (cl.hasOption(name)) throw new UsageException("--" + name + " needs --dp");
        }
    }

    static Randomness randomness(CommandLine cl, long seed) {
        if (cl.hasOption(REPRODUCIBLE) && cl.hasOption(SECURE)) throw new UsageException("--reproducible-dp and --secure-noise contradict each other");
        return cl.hasOption(REPRODUCIBLE) ? Randomness.reproducible(seed) : Randomness.secure();
    }

    static Path ledger(CommandLine cl) {
        return cl.hasOption(LEDGER) ? Path.of(cl.getOptionValue(LEDGER)) : null;
    }

    static double budget(CommandLine cl) {
        double b = CliSupport.doubleOpt(cl, BUDGET, Double.POSITIVE_INFINITY);
        if (!(b > 0)) throw new UsageException("--budget: expected ε > 0, got " + b);
        return b;
    }

    static boolean logPrivateStats(CommandLine cl) {
        return cl.hasOption(PRIVATE_STATS);
    }
}
