package org.dpmammo.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.dpmammo.data.ContactSheet;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Labels;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.train.Metrics;
import org.dpmammo.util.AtomicFiles;

/**
 * report.html: one self-contained page (every image inlined as a data: URI) built only from what is in the
 * experiment folder, so it can be rebuilt at any time, mid-run included. Its plots are also written to plots/.
 */
public final class Report {
    private final Path root;
    private final ExperimentConfig config;
    private final ExperimentData data;
    private final GridPlan plan;
    private final List<CellResult> results;
    private final StringBuilder html = new StringBuilder();

    private Report(Path root, ExperimentConfig config, ExperimentData data, GridPlan plan, List<CellResult> results) {
        this.root = root;
        this.config = config;
        this.data = data;
        this.plan = plan;
        this.results = results;
    }

    public static Path write(Path root, ExperimentConfig config, ExperimentData data, GridPlan plan, List<CellResult> results) throws IOException {
        Report r = new Report(root, config, data, plan, results);
        r.build();
        Path file = root.resolve("report.html");
        AtomicFiles.writeString(file, r.html.toString());
        return file;
    }

    private List<String> tests() {
        return new ArrayList<>(data.tests().keySet());
    }

    /** Whether the grid was calibrated by more than one accountant, so that its cells must say which. */
    private boolean sideBySide() {
        return config.accountants().size() > 1;
    }

    /** A DP cell's accountant as the report names it after ε ("PRV"), when there is more than one; "" otherwise. */
    private String calibrated(String accountant) {
        return sideBySide() && accountant != null ? " · " + accountant.toUpperCase(Locale.ROOT) : "";
    }

    /** The second and later accountants' lines are dotted, so one condition keeps one colour (a third would repeat it). */
    private Chart.Line line(String accountant) {
        return accountant == null || config.accountants().indexOf(accountant) == 0 ? Chart.Line.SOLID : Chart.Line.DOTTED;
    }

    private void build() throws IOException {
        html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dpmammo experiment ").append(esc(config.preset()))
                .append("</title><style>").append(CSS).append("</style></head><body>");
        html.append("<h1>dpmammo experiment: ").append(esc(config.preset())).append(" preset</h1>");
        // What the run showed, in one sentence computed from its results, before any detail.
        String headline = Headline.of(Results.groups(results), tests().get(0), config.accountants().get(0));
        if (headline != null) html.append("<p class=\"headline\">").append(esc(headline)).append("</p>");
        int cells = plan.cells().size();
        html.append("<p class=\"meta\">").append(results.size()).append(" of ").append(cells).append(" cells finished · seeds ")
                .append(esc(config.seeds().toString())).append(" · δ = ").append(config.delta()).append(" · C = ").append(config.maxGradNorm())
                .append(" · classifier ").append(esc(config.classifier().model())).append(", ").append(config.classifier().epochs())
                .append(" epochs · data: ").append(esc(data.description())).append(" · built ").append(Instant.now()).append("</p>");
        if (results.stream().anyMatch(r -> "reproducible".equals(r.randomness()))) {
            html.append("<p class=\"note\"><b>Reproducible DP randomness</b> (<code>reproducible_dp</code>): the noise and batches of the DP cells ")
                    .append("were drawn from their seeds and run ids, which are written in the run folders. Every ε in this report is what the ")
                    .append("accountant computes for the schedule, <b>not a privacy guarantee</b>: anyone with the seeds can remove the noise.</p>");
        }
        if (config.classifier().model().equals("cnn")) {
            html.append("<p class=\"note\">The classifier here is the demo's small CNN (three conv + GroupNorm stages), not the study's Swin-T: ")
                    .append("without ImageNet weights a frozen tiny Swin gives features that carry almost nothing, so the real, real + synthetic ")
                    .append("and synthetic-only cells train the whole CNN (under DP where ε is finite), and pretrain_dp fine-tunes ")
                    .append(config.classifier().finetuneFull() ? "every layer" : "only the last layer").append(" of the synthetic-pretrained CNN")
                    .append(config.classifier().activation().equals("tanh") ? " (tanh activations)" : "")
                    .append(". The study's numbers are shown for orientation, not as a like-for-like comparison.</p>");
        }
        resultsTable();
        if (sideBySide()) accountants();
        privacyUtility();
        rocCurves();
        samples();
        trainingCurves();
        ledger();
        provenance();
        html.append("</body></html>\n");
    }

    // ------------------------------------------------------------------ results table

    private void resultsTable() {
        List<String> tests = tests();
        html.append("<h2>Results</h2><p>Mean ± population std over seeds. <b>ours</b> beside <span class=\"study\">the study</span> ")
                .append("(internal = CBIS-DDSM test, external = BCDR; the study's published means, listed in dpmammo's docs/STUDY.md §6.1). ε spent is read back from each cell's ledger (RDP; ")
                .append("PRV for the same schedule in brackets). End-to-end ε is on the real training records, counting the generator.</p>");
        html.append("<table><tr><th rowspan=2>condition</th><th rowspan=2>target ε</th><th rowspan=2>study run</th>");
        for (int t = 0; t < tests.size(); t++) html.append("<th colspan=4>").append(esc(tests.get(t))).append(t == 0 ? " (internal)" : " (external)").append("</th>");
        html.append("<th rowspan=2>ε spent</th><th rowspan=2>end-to-end ε</th><th rowspan=2>σ</th><th rowspan=2>steps</th><th rowspan=2>train s</th></tr><tr>");
        for (int t = 0; t < tests.size(); t++) for (String m : List.of("Acc", "F1", "AUROC", "AUPRC")) html.append("<th>").append(m).append("</th>");
        html.append("</tr>");
        for (Results.Group g : Results.groups(results)) {
            StudyNumbers.Entry s = StudyNumbers.get(g.condition(), g.epsilon());
            html.append("<tr><td>").append(esc(g.condition().label)).append("</td><td>").append(eps(g.epsilon())).append(calibrated(g.accountant())).append("</td><td>")
                    .append(s == null ? "—" : s.experiment()).append("</td>");
            for (int t = 0; t < tests.size(); t++) {
                String side = t == 0 ? "internal" : "external";
                for (String m : CellResult.METRICS) {
                    html.append("<td>").append(pm(g.mean(tests.get(t), m), g.std(tests.get(t), m)));
                    if (s != null && t < 2) html.append("<br><span class=\"study\">").append(pm(s.mean(side, m), s.std(side, m))).append("</span>");
                    html.append("</td>");
                }
            }
            double[] e = g.members().stream().mapToDouble(CellResult::epsilonSpent).toArray();
            double[] ep = g.members().stream().mapToDouble(CellResult::epsilonPrv).toArray();
            double[] ee = g.members().stream().mapToDouble(CellResult::epsilonEndToEnd).toArray();
            html.append("<td>").append(num(Results.mean(e))).append(" [").append(num(Results.mean(ep))).append("]</td><td>")
                    .append(num(Results.mean(ee))).append("</td><td>").append(num(Results.mean(g.members().stream().mapToDouble(CellResult::sigma).toArray())))
                    .append("</td><td>").append(num(Results.mean(g.members().stream().mapToDouble(r -> r.steps()).toArray())))
                    .append("</td><td>").append(num(Results.mean(g.members().stream().mapToDouble(CellResult::wallSeconds).toArray()))).append("</td></tr>");
        }
        html.append("</table>");
    }

    // ------------------------------------------------------------------ plots

    private void privacyUtility() throws IOException {
        String test = tests().get(0);
        html.append("<h2>Privacy–utility</h2><p>AUROC on ").append(esc(test))
                .append(" against target ε, per condition: points are seed means, bars the population std over seeds; dashed, the study's (CBIS-DDSM test)");
        if (sideBySide()) {
            html.append("; solid, σ calibrated by ").append(config.accountants().get(0).toUpperCase(Locale.ROOT)).append(", dotted, by ")
                    .append(String.join(", ", config.accountants().subList(1, config.accountants().size())).toUpperCase(Locale.ROOT))
                    .append(" (the ε = ∞ cells, calibrated by none, on the solid line)");
        }
        html.append(".</p>");
        Chart c = new Chart("AUROC vs ε (" + test + ")", "target ε (log scale; ∞ = no DP)", "AUROC", 900, 460).logXWithInfinity();
        int k = 0;
        for (Condition cond : config.grid().keySet()) {
            Color col = Chart.PALETTE[k++ % Chart.PALETTE.length];
            for (String a : config.accountants()) {
                boolean first = a.equals(config.accountants().get(0));
                List<Results.Group> gs = Results.groups(results).stream()
                        .filter(g -> g.condition() == cond && (a.equals(g.accountant()) || first && g.accountant() == null))
                        .sorted((x, y) -> Double.compare(x.epsilon(), y.epsilon())).toList();
                if (!gs.isEmpty()) {
                    c.add(new Chart.Series(cond.label + calibrated(a), col, gs.stream().mapToDouble(Results.Group::epsilon).toArray(),
                            gs.stream().mapToDouble(g -> g.mean(test, "auroc")).toArray(), gs.stream().mapToDouble(g -> g.std(test, "auroc")).toArray(),
                            line(a), true));
                }
            }
            List<Double> eps = new ArrayList<>(List.of(1.0, 6.0, 12.0, 20.0, 60.0, Double.POSITIVE_INFINITY));
            eps.removeIf(e -> StudyNumbers.get(cond, e) == null);
            if (!eps.isEmpty()) {
                c.add(new Chart.Series("study: " + cond.label, col, eps.stream().mapToDouble(Double::doubleValue).toArray(),
                        eps.stream().mapToDouble(e -> StudyNumbers.get(cond, e).mean("internal", "auroc")).toArray(), null, Chart.Line.DASHED, true));
            }
        }
        image("privacy-utility.png", c.png(), "AUROC against ε");
    }

    /**
     * The grid under each accountant, one row per condition and finite ε: the σ each calibrated for the same target
     * and the AUROC its cells reached. Same data, seeds and schedule; only the noise differs.
     */
    private void accountants() {
        List<String> tests = tests(), names = config.accountants();
        html.append("<h2>Accountants side by side</h2><p>Each DP cell was trained once per accountant, with σ calibrated by that accountant ")
                .append("for the same target ε (same data, seeds, steps and sampling rate; only the noise differs); each column holds the cells ")
                .append("calibrated by the accountant it names. A tighter accountant certifies the same ε with less noise. AUROC is the mean ± ")
                .append("population std over seeds; the ε = ∞ cells, shared, are in the results table.</p>");
        html.append("<table><tr><th rowspan=2>condition</th><th rowspan=2>target ε</th><th colspan=").append(names.size()).append(">σ</th>");
        for (String t : tests) html.append("<th colspan=").append(names.size()).append(">AUROC, ").append(esc(t)).append("</th>");
        html.append("</tr><tr>");
        for (int i = 0; i <= tests.size(); i++) for (String a : names) html.append("<th>").append(a.toUpperCase(Locale.ROOT)).append("</th>");
        html.append("</tr>");
        List<Results.Group> groups = Results.groups(results);
        for (Condition cond : config.grid().keySet()) {
            for (double e : config.grid().get(cond)) {
                if (Double.isInfinite(e)) continue;
                List<Results.Group> row = new ArrayList<>();
                for (String a : names) {
                    row.add(groups.stream().filter(g -> g.condition() == cond && g.epsilon() == e && a.equals(g.accountant())).findFirst().orElse(null));
                }
                html.append("<tr><td>").append(esc(cond.label)).append("</td><td>").append(eps(e)).append("</td>");
                for (Results.Group g : row) {
                    html.append("<td>").append(g == null ? "—" : num(Results.mean(g.members().stream().mapToDouble(CellResult::sigma).toArray()))).append("</td>");
                }
                for (String t : tests) for (Results.Group g : row) html.append("<td>").append(g == null ? "—" : pm(g.mean(t, "auroc"), g.std(t, "auroc"))).append("</td>");
                html.append("</tr>");
            }
        }
        html.append("</table>");
    }

    private void rocCurves() throws IOException {
        String test = tests().get(0);
        long seed = config.seeds().get(0);
        html.append("<h2>ROC curves</h2><p>").append(esc(test)).append(", seed ").append(seed).append(", one panel per condition, one curve per ε")
                .append(sideBySide() ? " and accountant (dotted: " + String.join(", ", config.accountants().subList(1, config.accountants().size())).toUpperCase(Locale.ROOT) + ")" : "")
                .append(".</p><div class=\"grid\">");
        for (Condition cond : config.grid().keySet()) {
            Chart c = new Chart(cond.label, "false-positive rate (malignant called benign)", "true-positive rate (benign)", 440, 440)
                    .xRange(0, 1).yRange(0, 1).diagonal();
            for (GridPlan.Cell cell : cells(cond, seed)) {
                Path f = root.resolve(cell.dir()).resolve("predictions-" + Results.slug(test) + ".csv");
                Color col = Chart.PALETTE[config.grid().get(cond).indexOf(cell.epsilon()) % Chart.PALETTE.length];
                if (!Files.exists(f)) continue;
                List<String[]> rows = Results.csv(f);
                int[] y = new int[rows.size() - 1];
                double[] p = new double[y.length];
                for (int i = 0; i < y.length; i++) {
                    y[i] = Integer.parseInt(rows.get(i + 1)[0]);
                    p[i] = Double.parseDouble(rows.get(i + 1)[1]);
                }
                List<Metrics.Point> pts = Metrics.roc(y, p);
                c.add(new Chart.Series(String.format(Locale.ROOT, "ε=%s%s (AUROC %.3f)", GridPlan.epsilonText(cell.epsilon()), calibrated(cell.accountant()),
                        Metrics.auroc(y, p)), col, pts.stream().mapToDouble(Metrics.Point::x).toArray(), pts.stream().mapToDouble(Metrics.Point::y).toArray(),
                        null, line(cell.accountant()), false));
            }
            image("roc-" + cond.key + ".png", c.png(), "ROC " + cond.label);
        }
        html.append("</div>");
    }

    private void samples() throws IOException {
        html.append("<h2>Synthetic samples</h2><p>Benign above the white band, malignant below.</p><div class=\"grid\">");
        boolean any = false;
        for (long seed : config.seeds()) {
            Path sheet = root.resolve(new GridPlan.GanJob(seed).syntheticDir()).resolve("preview").resolve("contact_sheet.png");
            if (Files.exists(sheet)) {
                figure(Files.readAllBytes(sheet), "ours: GAN of seed " + seed + " (" + config.gan().epochs() + " epochs, " + config.gan().model() + " model)");
                any = true;
            }
        }
        if (data.synthetic() != null) {
            figure(sheet(data.synthetic()), "the synthetic set used for every seed: " + data.synthetic());
            any = true;
        }
        if (data.referenceSamples() != null && !data.referenceSamples().equals(data.synthetic())) {
            figure(sheet(data.referenceSamples()), "reference samples (" + data.referenceSamples() + ")");
            any = true;
        }
        if (!any) html.append("<p>No synthetic set yet.</p>");
        html.append("</div>");
    }

    /** Up to 16 benign and 16 malignant images of a labelled folder as one contact sheet. */
    private byte[] sheet(String spec) throws IOException {
        Dataset d = Datasets.open(spec);
        List<GrayImage> benign = new ArrayList<>(), malignant = new ArrayList<>();
        for (int i = 0; i < d.size() && (benign.size() < 16 || malignant.size() < 16); i++) {
            List<GrayImage> side = d.label(i) == Labels.BENIGN ? benign : malignant;
            if (side.size() < 16) side.add(d.image(i));
        }
        GrayImage g = benign.isEmpty() || malignant.isEmpty() ? ContactSheet.grid(benign.isEmpty() ? malignant : benign, 8, 2, 0f)
                : ContactSheet.byClass(benign, malignant, 8, 2);
        Path tmp = root.resolve("plots").resolve("sheet-" + Results.slug(spec) + ".png");
        ImageIo.writePng(tmp, g);
        return Files.readAllBytes(tmp);
    }

    private void trainingCurves() throws IOException {
        long seed = config.seeds().get(0);
        html.append("<h2>Training curves</h2><p>Validation AUPRC (benign) per epoch, seed ").append(seed)
                .append("; the selected checkpoint is the best inside the ε window (0.75–1.05 × target) under DP.</p><div class=\"grid\">");
        for (Condition cond : config.grid().keySet()) {
            Chart c = new Chart(cond.label, "epoch", "validation AUPRC", 440, 360).integerX();
            boolean any = false;
            if (cond == Condition.PRETRAIN_DP) {
                any |= curve(c, root.resolve(new GridPlan.PretrainJob(seed).dir()), "pretraining (synthetic, full model)", Color.GRAY, Chart.Line.DASHED);
            }
            for (GridPlan.Cell cell : cells(cond, seed)) {
                any |= curve(c, root.resolve(cell.dir()), "ε=" + GridPlan.epsilonText(cell.epsilon()) + calibrated(cell.accountant()),
                        Chart.PALETTE[config.grid().get(cond).indexOf(cell.epsilon()) % Chart.PALETTE.length], line(cell.accountant()));
            }
            if (any) image("curves-" + cond.key + ".png", c.png(), "training curves " + cond.label);
        }
        html.append("</div>");
    }

    /** The planned cells of one condition and seed, in plan order. */
    private List<GridPlan.Cell> cells(Condition cond, long seed) {
        return plan.cells().stream().filter(c -> c.condition() == cond && c.seed() == seed).toList();
    }

    private static boolean curve(Chart c, Path run, String name, Color col, Chart.Line line) throws IOException {
        List<String[]> rows = Results.csv(run.resolve("metrics.csv"));
        if (rows.size() < 2) return false;
        List<String> head = List.of(rows.get(0));
        int ep = head.indexOf("epoch"), au = head.indexOf("val_auprc");
        if (ep < 0 || au < 0) return false;
        double[] x = new double[rows.size() - 1], y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = Double.parseDouble(rows.get(i + 1)[ep]);
            y[i] = Double.parseDouble(rows.get(i + 1)[au]);
        }
        c.add(new Chart.Series(name, col, x, y, null, line, x.length < 40));
        return true;
    }

    // ------------------------------------------------------------------ ledger and provenance

    private void ledger() throws IOException {
        html.append("<h2>Privacy ledger</h2>");
        boolean ownGan = plan.jobs().stream().anyMatch(j -> j instanceof GridPlan.GanJob);
        boolean dpGan = ownGan && config.gan().dpEpsilon() != null;
        html.append("<p>").append(dpGan
                ? (config.gan().model().equals("merf") ? "The generators are DP-MERF's: one Gaussian release <b>under DP</b> of the real training set's class-conditional random-feature embedding (target ε "
                        : "The GANs' discriminators were trained <b>under DP</b> (target ε ") + num(config.gan().dpEpsilon()) + ") on the real training set: "
                        + "conditions that use synthetic data compose the generator's spend with the classifier's (when the classifier also read real records). "
                : ownGan
                ? "The GANs were trained <b>without DP</b> on the real training set, as the study's was"
                : data.synthetic() != null ? "The synthetic set was given (" + esc(data.synthetic()) + "); its generator's privacy is not recorded here (the study's GAN was trained without DP)"
                : "No synthetic data is used")
                .append(dpGan ? "" : ownGan || data.synthetic() != null ? ": conditions that use synthetic data carry no finite end-to-end ε for the real records, whatever the classifier's ε. " : ". ")
                .append("Every DP phase below is read from the run's hash-chained, write-ahead ledger.json.</p>");
        html.append("<table><tr><th>run</th><th>phase</th><th>N</th><th>q</th><th>σ</th><th>C</th><th>δ</th><th>steps</th><th>ε (RDP)</th><th>ε (PRV)</th><th>end-to-end ε</th></tr>");
        if (dpGan) {
            for (GridPlan.Job j : plan.jobs()) {
                if (!(j instanceof GridPlan.GanJob g)) continue;
                Path f = root.resolve(g.dir()).resolve("ledger.json");
                if (Files.exists(f)) ledgerRows(g.describe(), PrivacyLedger.open(f), Double.NaN);
            }
        }
        for (CellResult r : results) {
            GridPlan.Cell cell = new GridPlan.Cell(r.condition(), r.epsilon(), r.accountant(), r.seed());
            Path f = root.resolve(cell.dir()).resolve("ledger.json");
            if (r.ledger() != null && !Files.exists(f)) throw new IllegalStateException(f + " is missing but the cell's result was read from it; refusing to publish its ε");
            if (!Files.exists(f)) continue;
            PrivacyLedger ledger = PrivacyLedger.open(f);
            // A ledger cut after the result was taken would show fewer steps here than the result's ε counts.
            if (r.ledger() != null) ledger.requireReaches(r.ledger().head(), r.ledger().entries());
            ledgerRows(cell.describe(), ledger, r.epsilonEndToEnd());
        }
        html.append("</table>");
    }

    /** One row per phase of a run's ledger, with ε of that phase alone under both accountants. */
    private void ledgerRows(String run, PrivacyLedger ledger, double endToEnd) {
        for (PrivacyLedger.Spend s : ledger.spends()) {
            PrivacyLedger.Phase p = s.phase();
            List<Segment> seg = s.steps() == 0 ? List.of() : List.of(new Segment(p.sampleRate(), p.noiseMultiplier(), s.steps()));
            double rdp = seg.isEmpty() ? 0 : new RdpAccountant().epsilon(seg, p.delta()).epsilon();
            double prv = seg.isEmpty() ? 0 : new PrvAccountant().epsilon(seg, p.delta()).epsilon();
            html.append("<tr><td>").append(esc(run)).append("</td><td>").append(esc(p.name())).append("</td><td>").append(p.datasetSize())
                    .append("</td><td>").append(num(p.sampleRate())).append("</td><td>").append(num(p.noiseMultiplier())).append("</td><td>")
                    .append(num(p.maxGradNorm())).append("</td><td>").append(p.delta()).append("</td><td>").append(s.steps()).append("</td><td>")
                    .append(num(rdp)).append("</td><td>").append(num(prv)).append("</td><td>").append(Double.isNaN(endToEnd) ? "—" : num(endToEnd)).append("</td></tr>");
        }
    }

    private void provenance() throws IOException {
        html.append("<h2>Provenance</h2>");
        Path prov = root.resolve("provenance.json");
        if (Files.exists(prov)) html.append("<h3>experiment</h3><pre>").append(esc(Files.readString(prov))).append("</pre>");
        Path first = plan.cells().stream().map(c -> root.resolve(c.dir()).resolve("provenance.json")).filter(Files::exists).findFirst().orElse(null);
        if (first != null) {
            JsonNode p = ExperimentConfig.JSON.readTree(first.toFile());
            html.append("<p>trainer build: dpmammo ").append(esc(p.path("dpmammo").asText("?"))).append(", git commit ")
                    .append(esc(p.path("git_commit").asText("unknown"))).append("</p>");
        }
        html.append("<h3>config</h3><pre>").append(esc(ExperimentConfig.JSON.writeValueAsString(config.toJson()))).append("</pre>");
    }

    // ------------------------------------------------------------------ helpers

    private void image(String name, byte[] png, String alt) throws IOException {
        AtomicFiles.writeBytes(root.resolve("plots").resolve(name), png);
        html.append("<figure><img alt=\"").append(esc(alt)).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\"></figure>");
    }

    private void figure(byte[] png, String caption) {
        html.append("<figure><img class=\"px\" alt=\"").append(esc(caption)).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\"><figcaption>").append(esc(caption)).append("</figcaption></figure>");
    }

    private static String pm(double mean, double std) {
        if (Double.isNaN(mean)) return "—";
        return String.format(Locale.ROOT, "%.3f±%.3f", mean, std);
    }

    private static String eps(double e) {
        return Double.isInfinite(e) ? "∞" : GridPlan.epsilonText(e);
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "—";
        if (Double.isInfinite(v)) return "∞";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.4g", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static final String CSS = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}"
            + "h1{font-size:24px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}"
            + ".meta{color:#555}.headline{font-size:17px;background:#eef6ee;border-left:4px solid #3a7d44;padding:8px 12px}.note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px}table{border-collapse:collapse;font-size:12.5px;margin:8px 0}"
            + "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}th{background:#f3f3f3;text-align:center}"
            + "td:first-child{text-align:left}.study{color:#888;font-size:11.5px}"
            + ".grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:4px}figcaption{font-size:12px;color:#555;max-width:520px}"
            + "img{max-width:100%;border:1px solid #eee}img.px{image-rendering:pixelated;width:520px}"
            + "pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}";
}
