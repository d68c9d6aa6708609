package org.dpmammo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.privacy.audit.AuditConfig;
import org.dpmammo.privacy.audit.AuditRun;
import org.dpmammo.privacy.audit.CrashSafeRun;
import org.dpmammo.privacy.dpsgd.DpSgd;
import org.dpmammo.privacy.noise.Randomness;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Scope;

/**
 * {@code dpmammo audit}: an empirical privacy audit. Trains once with canaries and prints the ε the ledger claims next
 * to the lower bound the canaries prove. Every input (config, data, an old checkpoint in --out) is checked before
 * anything is written; bad input exits with status 2 and one line.
 */
public final class AuditCommand implements Command {
    /** Built on first use: Jackson's set-up costs about 0.1–0.2 s of start-up, and Main creates every command. */
    private static final class Lazy {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
    /** The largest config file read: a config is a few hundred bytes. */
    private static final long MAX_CONFIG_BYTES = 1 << 20;

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public String summary() {
        return "empirical privacy audit: canaries, one training run, a lower bound on ε next to the claimed ε";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.valued("config", "FILE", "audit settings (JSON; keys left out take the demo preset's values)"));
        o.addOption(CliSupport.valued("preset", "NAME", "built-in settings: demo (phantom data, under a minute on 2 cores)"));
        o.addOption(CliSupport.valued("out", "DIR", "run folder: config.json, ledger.json, checkpoints/, report.json"));
        o.addOption(CliSupport.valued("ledger", "FILE", "privacy ledger shared with other runs on the same data (default DIR/ledger.json)"));
        o.addOption(CliSupport.flag("json", "print the report as JSON"));
        o.addOption(CliSupport.flag("reproducible-dp", "draw noise and batches from the config's seed and this run's id instead of the "
                + "secure source (the claimed ε is then not a guarantee)"));
        o.addOption(CliSupport.valued("negative-control", "skip-noise|skip-clipping", "run the same audit on a "
                + "deliberately broken DP-SGD (no noise, or no clipping) to see the audit catch it: the bound should exceed the claim. Not private: "
                + "use public or phantom data, and a ledger of its own"));
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("audit", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo audit (--config FILE | --preset demo) --out DIR [--ledger FILE] [--json] [--negative-control skip-noise|skip-clipping]",
                    "Inserts canaries (mislabelled patches and white-box gradient canaries), each included with probability 1/2, "
                            + "trains once with DP-SGD, guesses which canaries were in, and turns the guesses into a 95% lower bound on ε "
                            + "(Steinke, Nasr & Jagielski 2023). A correct implementation shows a bound above the claimed ε with probability at most 5%. "
                            + "A run killed part-way resumes from DIR.", o, AuditConfig.demo().toJson());
            return 0;
        }
        if (!cl.getArgList().isEmpty()) throw new UsageException("unexpected argument '" + cl.getArgList().get(0) + "'");
        AuditConfig config = config(cl);
        Path dir = CliSupport.outFolder(cl, false); // a killed audit resumes in its folder
        Path ledger = cl.hasOption("ledger") ? Path.of(cl.getOptionValue("ledger")) : dir.resolve("ledger.json");
        DpSgd.TestFault fault = negativeControl(cl);
        if (fault != DpSgd.TestFault.NONE && cl.hasOption("ledger")) {
            throw new UsageException("--negative-control cannot spend against a shared --ledger: its run is not private");
        }
        AuditRun audit = new AuditRun(config).withNegativeControl(fault)
                .withRandomness(cl.hasOption("reproducible-dp") ? Randomness.reproducible(config.seed()) : Randomness.secure());
        AuditRun.Prepared prep;
        try {
            prep = audit.prepare();
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(oneLine(e));
        }
        for (String w : prep.warnings()) err.println("dpmammo audit: warning: " + w);
        AuditRun.Report report;
        try (Scope device = DeviceOption.install(cl, "auto", err)) {
            report = audit.run(prep, dir, ledger);
        } catch (CrashSafeRun.BadCheckpointException e) {
            throw new UsageException(oneLine(e));
        }
        AtomicFiles.writeString(dir.resolve("config.json"), config.toJson() + "\n");
        String json = Lazy.JSON.writeValueAsString(report);
        AtomicFiles.writeString(dir.resolve("report.json"), json + "\n");
        if (cl.hasOption("json")) out.println(json);
        else out.print(text(report));
        return 0;
    }

    private static DpSgd.TestFault negativeControl(CommandLine cl) {
        String v = cl.getOptionValue("negative-control");
        if (v == null) return DpSgd.TestFault.NONE;
        return switch (v) {
            case "skip-noise" -> DpSgd.TestFault.SKIP_NOISE;
            case "skip-clipping" -> DpSgd.TestFault.SKIP_CLIPPING;
            default -> throw new UsageException("--negative-control: expected skip-noise or skip-clipping, got '" + v + "'");
        };
    }

    private static AuditConfig config(CommandLine cl) {
        boolean file = cl.hasOption("config"), preset = cl.hasOption("preset");
        if (file == preset) throw new UsageException("give exactly one of --config FILE and --preset demo");
        try {
            if (preset) {
                if (!cl.getOptionValue("preset").equals("demo")) throw new UsageException("unknown preset '" + cl.getOptionValue("preset") + "' (demo)");
                return AuditConfig.demo();
            }
            Path p = Path.of(cl.getOptionValue("config"));
            if (!Files.isRegularFile(p)) throw new UsageException(p + ": no such config file");
            if (Files.size(p) > MAX_CONFIG_BYTES) throw new UsageException(p + ": config of " + Files.size(p) + " bytes is too large");
            return AuditConfig.parse(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(oneLine(e));
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    static String text(AuditRun.Report r) {
        StringBuilder b = new StringBuilder();
        boolean control = !"none".equals(r.negativeControl());
        if (control) {
            b.append("NEGATIVE CONTROL (" + r.negativeControl() + "): DP-SGD was broken on purpose; the claimed ε is false and the audit should exceed it\n");
        }
        b.append(String.format("randomness         %s%n", r.randomness()));
        b.append(String.format("claimed ε          %.4f  (%s accountant, δ = %s, σ = %.4f, q = %.4f, %d steps; from the ledger)%n",
                r.claimedEpsilon(), r.accountant(), r.delta(), r.noiseMultiplier(), r.sampleRate(), r.steps()));
        b.append(String.format("audited ε ≥        %.4f  (%.0f%% confidence, one-run audit)%n", r.epsilonLowerBound(), 100 * r.confidence()));
        kind(b, "input canaries", r.input());
        kind(b, "gradient canaries", r.gradient());
        if (control) {
            b.append(r.epsilonLowerBound() > r.claimedEpsilon()
                    ? "caught: the audited lower bound exceeds the claimed ε, as it should on a broken implementation\n"
                    : "not caught: this audit was too weak to see the injected fault (more canaries or a larger ε make it stronger)\n");
        } else {
            b.append(r.epsilonLowerBound() > r.claimedEpsilon()
                    ? "VIOLATION: the audit proves more leakage than the claimed ε allows\n"
                    : "consistent: the audited lower bound does not exceed the claimed ε\n");
        }
        return b.toString();
    }

    private static void kind(StringBuilder b, String name, AuditRun.Kind k) {
        if (k == null) return;
        b.append(String.format("  %-18s %d (%d in); best rule %d+%d guesses, %d correct; ε ≥ %.4f%n", name, k.canaries(), k.included(),
                k.best().plus(), k.best().minus(), k.best().correct(), k.epsilonLowerBound()));
    }
}
