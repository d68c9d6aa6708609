package org.dpmammo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.LedgerChain;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.privacy.ledger.RecordGroups;

/**
 * {@code dpmammo privacy ledger verify|report LEDGER}: checks a ledger's hash chain (HMAC chain under a key from
 * {@code DPMAMMO_LEDGER_KEY} or {@code DPMAMMO_LEDGER_KEY_FILE}) and reports, from the ledger alone, every phase
 * and the ε of every group of records under both accountants: what any outsider can recompute.
 */
final class LedgerCommand {
    static final String SUMMARY = "verify a privacy ledger's chain, or report its phases and ε per group of records";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LedgerCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream to = args.length == 0 ? err : out;
            to.println("usage: dpmammo privacy ledger <verify|report> LEDGER [LEDGER …] [--json] [--reaches HEAD:ENTRIES] [--delta D]");
            to.println("  verify  check the hash chain; exit 1 naming the first bad entry (--reaches: also that it still holds a recorded head)");
            to.println("  report  phases, steps, and ε per group of records (records that share one history) under RDP and PRV;");
            to.println("          several ledgers (runs that each kept their own) compose on the records they share");
            to.println("A keyed (HMAC) ledger needs " + LedgerChain.KEY_ENV + " or " + LedgerChain.KEY_FILE_ENV + " set as when it was written.");
            return args.length == 0 ? 2 : 0;
        }
        String sub = args[0];
        if (!sub.equals("verify") && !sub.equals("report")) throw new UsageException("privacy ledger: unknown subcommand '" + sub + "' (verify or report)");
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.flag("json", "print one JSON document"));
        o.addOption(CliSupport.valued("reaches", "HEAD:ENTRIES", "verify: the ledger must still hold this head at this "
                + "entry count (as a checkpoint's or a result's ledger_head and ledger_entries record it): a cut ledger fails"));
        o.addOption(CliSupport.valued("delta", "D", "report: δ for every group (default: the largest δ of the group's phases)"));
        CommandLine cl = CliSupport.parse("privacy ledger " + sub, o, Arrays.copyOfRange(args, 1, args.length));
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo privacy ledger " + sub + " LEDGER [options]", SUMMARY, o, "");
            return 0;
        }
        if (cl.getArgList().isEmpty()) throw new UsageException("privacy ledger " + sub + ": give a ledger file");
        if (sub.equals("verify") && cl.getArgList().size() != 1) throw new UsageException("privacy ledger verify: give exactly one ledger file");
        List<PrivacyLedger> ledgers = new java.util.ArrayList<>();
        for (String name : cl.getArgList()) {
            Path file = Path.of(name);
            if (!Files.isRegularFile(file)) throw new UsageException(file + ": no such ledger file");
            try {
                PrivacyLedger ledger = PrivacyLedger.open(file);
                if (cl.hasOption("reaches")) reaches(ledger, cl.getOptionValue("reaches"));
                ledgers.add(ledger);
            } catch (IOException | IllegalStateException e) {
                err.println("dpmammo privacy ledger " + sub + ": FAILED: " + e.getMessage());
                return 1;
            }
        }
        if (sub.equals("verify")) {
            PrivacyLedger ledger = ledgers.get(0);
            if (cl.hasOption("json")) {
                ObjectNode j = JSON.createObjectNode();
                j.put("ok", true);
                j.put("entries", ledger.entryCount());
                j.put("phases", ledger.spends().size());
                j.put("head", ledger.head());
                j.put("keyed", ledger.keyed());
                out.println(JSON.writeValueAsString(j));
            } else {
                out.printf(Locale.ROOT, "ok: %s verifies: %d entries, %d phases, head %s (%s chain)%n", ledger.file(), ledger.entryCount(),
                        ledger.spends().size(), ledger.head(), ledger.keyed() ? "HMAC-SHA256" : "unkeyed SHA-256");
            }
            return 0;
        }
        double delta = CliSupport.doubleOpt(cl, "delta", Double.NaN);
        if (cl.hasOption("delta") && !(delta > 0 && delta < 1)) throw new UsageException("--delta: expected a value in (0, 1), got " + delta);
        ObjectNode report;
        try {
            report = report(ledgers, delta);
        } catch (IllegalArgumentException e) {
            err.println("dpmammo privacy ledger report: FAILED: " + e.getMessage());
            return 1;
        }
        if (cl.hasOption("json")) out.println(JSON.writeValueAsString(report));
        else out.print(text(report));
        return 0;
    }

    private static void reaches(PrivacyLedger ledger, String spec) {
        int colon = spec.lastIndexOf(':');
        long entries;
        try {
            entries = Long.parseLong(spec.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new UsageException("--reaches: expected HEAD:ENTRIES, got '" + spec + "'");
        }
        if (colon < 0 || entries < 0) throw new UsageException("--reaches: expected HEAD:ENTRIES, got '" + spec + "'");
        ledger.requireReaches(spec.substring(0, colon), entries);
    }

    /** The ledgers' phases and, per group of records, ε under RDP and PRV: everything recomputed from the files. */
    static ObjectNode report(List<PrivacyLedger> ledgers, double fixedDelta) {
        ObjectNode r = JSON.createObjectNode();
        ArrayNode files = r.putArray("ledgers");
        for (PrivacyLedger l : ledgers) {
            ObjectNode f = files.addObject();
            f.put("file", l.file().toString());
            f.put("entries", l.entryCount());
            f.put("head", l.head());
            f.put("keyed", l.keyed());
        }
        ArrayNode phases = r.putArray("phases");
        RecordGroups all = RecordGroups.across(ledgers);
        for (PrivacyLedger.Spend s : all.spends()) {
            PrivacyLedger.Phase p = s.phase();
            ObjectNode n = phases.addObject();
            n.put("id", p.id());
            n.put("name", p.name());
            n.put("records", p.records() == null ? -1 : p.records().size());
            n.put("dataset_size", p.datasetSize());
            n.put("sample_rate", p.sampleRate());
            n.put("noise_multiplier", p.noiseMultiplier());
            n.put("max_grad_norm", p.maxGradNorm());
            n.put("delta", p.delta());
            n.put("accountant", p.accountant());
            n.put("randomness", p.secureRandomness() ? "secure" : "reproducible");
            n.put("steps", s.steps());
        }
        ArrayNode groups = r.putArray("groups");
        double worst = 0;
        boolean allSecure = true;
        for (RecordGroups.Group g : all.all()) {
            double delta = Double.isNaN(fixedDelta) ? g.spends().stream().mapToDouble(s -> s.phase().delta()).max().orElse(1e-5) : fixedDelta;
            double rdp = epsilon(g, delta, new RdpAccountant()), prv = epsilon(g, delta, new PrvAccountant());
            boolean secure = g.spends().stream().allMatch(s -> s.phase().secureRandomness());
            allSecure &= secure;
            ObjectNode n = groups.addObject();
            n.put("records", g.records());
            n.set("phases", JSON.valueToTree(g.phaseIds()));
            n.put("delta", delta);
            n.put("epsilon_rdp", rdp);
            n.put("epsilon_prv", prv);
            n.put("is_guarantee", secure);
            worst = Math.max(worst, rdp);
        }
        r.put("worst_epsilon_rdp", worst);
        r.put("all_secure", allSecure);
        return r;
    }

    private static double epsilon(RecordGroups.Group g, double delta, org.dpmammo.privacy.accounting.Accountant a) {
        return PrivacyPlanner.epsilonByGroup(List.of(g), delta, a).get(0).epsilon().epsilon();
    }

    private static String text(ObjectNode r) {
        StringBuilder b = new StringBuilder();
        for (var f : r.get("ledgers")) {
            b.append(String.format(Locale.ROOT, "%s: %d entries, head %s (%s)%n", f.get("file").asText(), f.get("entries").asLong(), f.get("head").asText(),
                    f.get("keyed").asBoolean() ? "HMAC-keyed" : "unkeyed"));
        }
        b.append(String.format(Locale.ROOT, "%-36s %-28s %8s %9s %8s %6s %8s %8s %-12s%n", "phase", "name", "records", "q", "sigma", "C", "delta", "steps", "randomness"));
        for (var p : r.get("phases")) {
            long recs = p.get("records").asLong();
            b.append(String.format(Locale.ROOT, "%-36s %-28s %8s %9.6f %8.4f %6.3g %8.2g %8d %-12s%n", p.get("id").asText(), clip(p.get("name").asText(), 28),
                    recs < 0 ? "n/a" : Long.toString(recs), p.get("sample_rate").asDouble(), p.get("noise_multiplier").asDouble(), p.get("max_grad_norm").asDouble(),
                    p.get("delta").asDouble(), p.get("steps").asLong(), p.get("randomness").asText()));
        }
        b.append(String.format(Locale.ROOT, "%nepsilon per group of records (records that were in the same phases):%n"));
        for (var g : r.get("groups")) {
            List<String> ids = JSON.convertValue(g.get("phases"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
            b.append(String.format(Locale.ROOT, "  %7d records  eps(RDP) %.4f  eps(PRV) %.4f  at delta %.2g  phases %s%s%n", g.get("records").asLong(),
                    g.get("epsilon_rdp").asDouble(), g.get("epsilon_prv").asDouble(), g.get("delta").asDouble(), ids.isEmpty() ? "(none)" : String.join(", ", ids),
                    g.get("is_guarantee").asBoolean() ? "" : "  [reproducible DP randomness: not a guarantee]"));
        }
        return b.toString();
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
