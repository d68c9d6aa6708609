package org.dpmammo.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.experiment.GridPlan.BackboneJob;
import org.dpmammo.experiment.GridPlan.Cell;
import org.dpmammo.experiment.GridPlan.GanJob;
import org.dpmammo.experiment.GridPlan.Job;
import org.dpmammo.experiment.GridPlan.PretrainJob;
import org.dpmammo.models.cnn.DemoCnn;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.dpsgd.PrivateTraining;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.train.gan.GanTrainer;
import org.dpmammo.train.Metrics;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.BuildInfo;

/**
 * Runs a planned grid in an experiment folder, restartably: config.json and provenance.json first, then every job
 * whose marker is missing (a rerun may name other accountants: only their missing cells then train) (trainers resume inside their own folders), each cell's result.json last and atomically,
 * then results.csv, summary.csv and report.html from whatever has finished. Before any training, every DP cell's
 * noise is calibrated once, so an ε that cannot be reached fails at once, naming the cell.
 *
 * <p>The console gets one progress line per job (done / total, elapsed, ETA); trainers' logs go to train.log in
 * each job's folder.
 */
public final class ExperimentRunner {
    private final ExperimentConfig config;
    private final ExperimentData data;
    private final Path root;
    private final Trainers trainers;
    private final PrintStream progress;
    private Map<String, Dataset> tests;

    public ExperimentRunner(ExperimentConfig config, ExperimentData data, Path root, Trainers trainers, PrintStream progress) {
        this.config = config;
        this.data = data;
        this.root = root;
        this.trainers = trainers;
        this.progress = progress;
    }

    /** Runs what is left of the grid and writes the results and the report; returns the report's path. */
    public Path run() throws IOException {
        Files.createDirectories(root);
        ObjectNode cfg = config.toJson();
        Path cfgFile = root.resolve("config.json");
        if (Files.exists(cfgFile)) {
            ObjectNode before = (ObjectNode) ExperimentConfig.JSON.readTree(cfgFile.toFile());
            ObjectNode now = (ObjectNode) ExperimentConfig.JSON.readTree(ExperimentConfig.JSON.writeValueAsString(cfg));
            // The accountants may change between runs: each one's cells have folders of their own, so adding PRV to a
            // finished RDP grid trains only the PRV cells and reuses everything else.
            before.remove("accountant");
            now.remove("accountant");
            // classifier.head, .aug_multiplicity, .finetune and .activation came later; a folder written before them
            // ran the study's heads, one flip per example, head-only fine-tuning and the CNN's LeakyReLU.
            if (before.get("classifier") instanceof ObjectNode c) {
                if (!c.has("head")) c.put("head", "mlp");
                if (!c.has("aug_multiplicity")) c.put("aug_multiplicity", 1);
                if (!c.has("finetune")) c.put("finetune", ExperimentConfig.FINETUNES.get(0));
                if (!c.has("activation")) c.put("activation", DemoCnn.ACTIVATIONS.get(0));
            }
            if (!before.equals(now)) {
                throw new IllegalArgumentException(root + " holds an experiment with another config; use another --out or the same config to resume it");
            }
        }
        AtomicFiles.writeString(cfgFile, ExperimentConfig.JSON.writeValueAsString(cfg));
        Path dataFile = root.resolve("data.json");
        if (Files.exists(dataFile) && !ExperimentData.read(dataFile).equals(data)) {
            throw new IllegalArgumentException(root + " holds an experiment on other data; use another --out or the same data to resume it");
        }
        AtomicFiles.writeString(dataFile, ExperimentConfig.JSON.writeValueAsString(data.toJson()));
        tests = data.openTests();
        Dataset realTrain = Datasets.open(data.realTrain());
        GridPlan plan = GridPlan.of(config, data.synthetic() != null);
        preflight(plan, realTrain.size());
        writeProvenance(realTrain);

        List<Job> pending = plan.pending(root);
        int total = plan.jobs().size(), done = total - pending.size();
        long start = System.nanoTime();
        Map<Class<?>, double[]> timing = new LinkedHashMap<>();
        if (done > 0) progress.printf("resuming: %d of %d jobs already finished%n", done, total);
        for (Job job : pending) {
            progress.printf("[%d/%d] %s …%n", done + 1, total, job.describe());
            long t0 = System.nanoTime();
            Path dir = root.resolve(job.dir());
            Files.createDirectories(dir);
            try (PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("train.log"), StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                    true, StandardCharsets.UTF_8)) {
                if (job instanceof BackboneJob b) runBackbone(b, log);
                else if (job instanceof GanJob g) runGan(g, realTrain, log);
                else if (job instanceof PretrainJob p) runPretrain(p, log);
                else runCell((Cell) job, log);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double[] t = timing.computeIfAbsent(job.getClass(), k -> new double[2]);
            t[0] += secs;
            t[1]++;
            done++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            progress.printf(Locale.ROOT, "[%d/%d] done %s in %s; elapsed %s, ETA %s%n", done, total, job.describe(), clock(secs), clock(elapsed),
                    clock(eta(pending.subList(pending.indexOf(job) + 1, pending.size()), timing)));
        }
        List<CellResult> results = Results.collect(root, plan);
        Results.write(root, results, new ArrayList<>(data.tests().keySet()));
        return Report.write(root, config, data, plan, results);
    }

    /** Rebuilds results.csv, summary.csv and report.html from an experiment folder as it stands (mid-run included). */
    public static Path report(Path root) throws IOException {
        JsonNode cfg = ExperimentConfig.JSON.readTree(root.resolve("config.json").toFile());
        ExperimentConfig config = ExperimentConfig.fromJson(cfg);
        ExperimentData data = ExperimentData.read(root.resolve("data.json"));
        GridPlan plan = GridPlan.of(config, data.synthetic() != null);
        List<CellResult> results = Results.collect(root, plan);
        Results.write(root, results, new ArrayList<>(data.tests().keySet()));
        return Report.write(root, config, data, plan, results);
    }

    /** Remaining time: each job kind at its mean so far; kinds not yet seen at the mean of all finished jobs. */
    static double eta(List<Job> remaining, Map<Class<?>, double[]> timing) {
        double sum = 0, n = 0;
        for (double[] t : timing.values()) {
            sum += t[0];
            n += t[1];
        }
        double overall = n == 0 ? 0 : sum / n;
        double eta = 0;
        for (Job j : remaining) {
            double[] t = timing.get(j.getClass());
            eta += t == null ? overall : t[0] / t[1];
        }
        return eta;
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * Calibrates σ for every DP cell's training set size, under the cell's own accountant, before anything trains:
     * an unreachable ε fails here.
     */
    private void preflight(GridPlan plan, int realSize) throws IOException {
        int synthSize = data.synthetic() != null ? Datasets.open(data.synthetic()).size() : config.gan().samples();
        Map<Condition, Integer> sizes = new EnumMap<>(Condition.class);
        sizes.put(Condition.REAL, realSize);
        sizes.put(Condition.REAL_SYNTH, realSize + synthSize);
        sizes.put(Condition.SYNTH, synthSize);
        sizes.put(Condition.PRETRAIN_DP, realSize);
        Double ganEpsilon = config.gan().dpEpsilon();
        if (ganEpsilon != null) {
            if (data.synthetic() != null) {
                throw new IllegalArgumentException("config key 'gan.dp_epsilon': the experiment trains no GAN when a synthetic set is given; drop --synthetic or the key");
            }
            try {
                boolean merf = config.gan().model().equals("merf");
                // DP-MERF is one release at q = 1; the GAN's discriminator runs the study's batches for its epochs.
                PrivacyPlanner.plan(realSize, merf ? realSize : GanTrainer.Options.study(StudyTrainers.ganModel(config), 1, 0).batchSize(),
                        merf ? 1 : config.gan().epochs(), ganEpsilon, config.delta(), PrivacyPlanner.accountant(config.accountants().get(0)));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException("config key 'gan.dp_epsilon': ε cannot be reached (" + e.getMessage() + ")", e);
            }
        }
        for (Cell c : plan.cells()) {
            if (!c.dp() || c.seed() != config.seeds().get(0)) continue;
            try {
                PrivacyPlanner.plan(sizes.get(c.condition()), config.classifier().batchSize(), config.classifier().epochs(), c.epsilon(), config.delta(),
                        PrivacyPlanner.accountant(c.accountant()));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException("cell " + c.describe() + ": ε cannot be reached (" + e.getMessage() + ")", e);
            }
        }
    }

    private void writeProvenance(Dataset realTrain) throws IOException {
        ObjectNode o = ExperimentConfig.JSON.createObjectNode();
        o.put("dpmammo", BuildInfo.version());
        o.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        o.put("cpus", Runtime.getRuntime().availableProcessors());
        o.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        o.put("device", org.dpmammo.backend.Backends.current().describe());
        o.put("seeds", config.seeds().toString());
        o.put("data", data.description());
        ObjectNode fp = o.putObject("data_fingerprints");
        fp.put("train: " + realTrain.description(), realTrain.fingerprint());
        Dataset val = Datasets.open(data.val());
        fp.put("val: " + val.description(), val.fingerprint());
        for (Map.Entry<String, Dataset> t : tests.entrySet()) fp.put(t.getKey() + ": " + t.getValue().description(), t.getValue().fingerprint());
        if (data.synthetic() != null) {
            Dataset s = Datasets.open(data.synthetic());
            fp.put("synthetic: " + s.description(), s.fingerprint());
        }
        // The first run's provenance stays: a resumed experiment was still started by it.
        Path file = root.resolve("provenance.json");
        if (!Files.exists(file)) AtomicFiles.writeString(file, ExperimentConfig.JSON.writeValueAsString(o));
    }

    private void runBackbone(BackboneJob b, PrintStream log) throws IOException {
        ExperimentConfig.PublicPretraining pp = config.publicPretraining();
        Path out = root.resolve(b.dir());
        Path ckpt = trainers.classifier(new Trainers.ClassifierJob(List.of(pp.train()), pp.val(), out, b.seed(), true, true, null,
                Double.POSITIVE_INFINITY, null, pp.epochs(), pp.lr()), log);
        if (ckpt == null) throw new IllegalStateException("public pretraining selected no checkpoint");
        writeDone(b, out, ckpt);
    }

    /** The weights every run starts from: the public backbone if the config trains one (null: the config's init_weights). */
    private Path backbone() throws IOException {
        return config.publicPretraining() == null ? null : checkpointOf(new BackboneJob(config.seeds().get(0)));
    }

    private void writeDone(Job job, Path out, Path ckpt) throws IOException {
        ObjectNode o = ExperimentConfig.JSON.createObjectNode();
        o.put("checkpoint", out.relativize(ckpt).toString());
        AtomicFiles.writeString(root.resolve(job.marker()), ExperimentConfig.JSON.writeValueAsString(o));
    }

    private Path checkpointOf(Job job) throws IOException {
        JsonNode o = ExperimentConfig.JSON.readTree(root.resolve(job.marker()).toFile());
        return root.resolve(job.dir()).resolve(o.get("checkpoint").asText());
    }

    private void runGan(GanJob g, Dataset realTrain, PrintStream log) throws IOException {
        Path target = root.resolve(g.syntheticDir());
        Path tmp = target.resolveSibling(target.getFileName() + ".partial");
        deleteTree(tmp);
        trainers.gan(g.seed(), realTrain, root.resolve(g.dir()), tmp, log);
        // Renaming the finished folder is the GAN job's marker: a half-written synthetic set is never used.
        Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private String synthetic(long seed) {
        return data.synthetic() != null ? data.synthetic() : root.resolve(new GanJob(seed).syntheticDir()).toString();
    }

    private void runPretrain(PretrainJob p, PrintStream log) throws IOException {
        Path out = root.resolve(p.dir());
        Path ckpt = trainers.classifier(new Trainers.ClassifierJob(List.of(synthetic(p.seed())), data.val(), out, p.seed(), true, true, backbone(),
                Double.POSITIVE_INFINITY, null, config.pretrain().epochs(), config.pretrain().lr()), log);
        if (ckpt == null) throw new IllegalStateException("synthetic pretraining (seed " + p.seed() + ") selected no checkpoint");
        writeDone(p, out, ckpt);
    }

    private Path pretrained(long seed) throws IOException {
        return checkpointOf(new PretrainJob(seed));
    }

    private void runCell(Cell c, PrintStream log) throws IOException {
        Path out = root.resolve(c.dir());
        Path ckpt;
        String note = "";
        if (c.condition() == Condition.PRETRAIN_DP && !c.dp()) {
            ckpt = pretrained(c.seed());
            note = "the synthetic-pretrained full model, evaluated as is (dbr15)";
        } else {
            List<String> train = switch (c.condition()) {
                case REAL, PRETRAIN_DP -> List.of(data.realTrain());
                case REAL_SYNTH -> List.of(data.realTrain(), synthetic(c.seed()));
                case SYNTH -> List.of(synthetic(c.seed()));
            };
            boolean fromPretrained = c.condition() == Condition.PRETRAIN_DP;
            boolean fullModel = fromPretrained && config.classifier().finetuneFull();
            ckpt = trainers.classifier(new Trainers.ClassifierJob(train, data.val(), out, c.seed(), fullModel, fromPretrained || config.classifier().linearHeads(),
                    fromPretrained ? pretrained(c.seed()) : backbone(), c.epsilon(), c.accountant(), config.classifier().epochs(),
                    config.classifier().lr()), log);
        }
        long t0 = System.nanoTime();
        Map<String, Map<String, Double>> metrics = new LinkedHashMap<>();
        for (Map.Entry<String, Dataset> t : tests.entrySet()) {
            Map<String, Double> m = new LinkedHashMap<>();
            if (ckpt == null) {
                for (String k : CellResult.METRICS) m.put(k, Double.NaN);
                for (String k : CellResult.INTERVALS) m.put(k, Double.NaN);
                note = "no epoch was eligible for selection (ε never inside the window)";
            } else {
                Dataset d = t.getValue();
                int[] y = new int[d.size()];
                for (int i = 0; i < y.length; i++) y[i] = d.label(i);
                double[] p = trainers.predict(ckpt, d);
                m.put("accuracy", Metrics.accuracy(y, p));
                m.put("f1", Metrics.f1(y, p));
                m.put("auroc", Metrics.auroc(y, p));
                m.put("auprc", Metrics.averagePrecision(y, p));
                Metrics.Estimate auroc = Metrics.aurocInterval(y, p, CellResult.BOOTSTRAP_RESAMPLES, c.seed());
                m.put("auroc_ci_low", auroc.lo());
                m.put("auroc_ci_high", auroc.hi());
                StringBuilder sb = new StringBuilder("label,p_benign\n");
                for (int i = 0; i < y.length; i++) sb.append(y[i]).append(',').append(String.format(Locale.ROOT, "%.6f", p[i])).append('\n');
                AtomicFiles.writeString(out.resolve("predictions-" + Results.slug(t.getKey()) + ".csv"), sb.toString());
            }
            metrics.put(t.getKey(), m);
        }
        double evalSeconds = (System.nanoTime() - t0) / 1e9;

        double eps = 0, epsPrv = 0, sigma = 0;
        long steps = 0;
        Path ledgerFile = out.resolve("ledger.json");
        List<Segment> segs = new ArrayList<>();
        CellResult.LedgerSeen seen = null;
        if (c.dp() && !Files.exists(ledgerFile)) throw new IllegalStateException(ledgerFile + " is missing: the DP cell's spend cannot be counted");
        if (Files.exists(ledgerFile)) {
            PrivacyLedger ledger = PrivacyLedger.open(ledgerFile);
            seen = checkAgainstCheckpoint(ledger, out);
            for (PrivacyLedger.Spend s : ledger.spends()) {
                if (s.steps() == 0) continue;
                segs.add(new Segment(s.phase().sampleRate(), s.phase().noiseMultiplier(), s.steps()));
                sigma = s.phase().noiseMultiplier();
                steps += s.steps();
            }
            if (!segs.isEmpty()) {
                eps = new RdpAccountant().epsilon(segs, config.delta()).epsilon();
                epsPrv = new PrvAccountant().epsilon(segs, config.delta()).epsilon();
            }
        } else if (c.condition().usesReal && c.condition() != Condition.PRETRAIN_DP) {
            eps = epsPrv = Double.POSITIVE_INFINITY; // trained on real records without DP
        }
        double guaranteed = "prv".equals(c.accountant()) ? epsPrv : eps; // the accountant that calibrated σ certifies the run
        double endToEnd = endToEnd(c, guaranteed, segs);
        CellResult r = new CellResult(c.condition(), c.epsilon(), c.accountant(), c.seed(), metrics, eps, epsPrv, endToEnd, sigma, steps,
                Results.bestEpoch(out), Results.trainingSeconds(out) + evalSeconds, note, seen);
        AtomicFiles.writeString(root.resolve(c.marker()), ExperimentConfig.JSON.writeValueAsString(r.toJson()));
    }

    /**
     * Refuses a cell ledger that no longer holds what its trainer's last checkpoint saw (cut, replaced or deleted
     * entries would publish a smaller ε), and returns the position the result is bound to.
     */
    private static CellResult.LedgerSeen checkAgainstCheckpoint(PrivacyLedger ledger, Path cellDir) throws IOException {
        Path resume = cellDir.resolve("checkpoints").resolve("resume.safetensors");
        if (Files.exists(resume)) {
            Map<String, String> meta = org.dpmammo.nn.SafeTensors.read(resume).metadata();
            String head = meta.get(PrivateTraining.HEAD_KEY), entries = meta.get(PrivateTraining.ENTRIES_KEY);
            if (head != null && entries != null) ledger.requireReaches(head, Long.parseLong(entries));
        }
        boolean secure = ledger.spends().stream().allMatch(s -> s.phase().secureRandomness());
        return new CellResult.LedgerSeen(ledger.head(), ledger.entryCount(), secure ? "secure" : "reproducible");
    }

    /**
     * ε on the real training records, counting everything that read them: the classifier's DP phase when it trained on
     * real records, and the generator when the cell uses its samples. A generator trained without DP on those records
     * (the study's, a given synthetic set, or ours without {@code gan.dp_epsilon}) leaves no finite guarantee; a DP
     * generator composes with the classifier's phase (both read the same records), by the cell's accountant.
     */
    private double endToEnd(Cell c, double classifierEpsilon, List<Segment> classifierSegments) throws IOException {
        // Which cells' classifiers read real records: pretraining reads only synthetic data, so the pretrained model
        // evaluated as is (PRETRAIN_DP at ε = ∞) and the synthetic-only cells do not.
        boolean classifierReadReal = c.condition().usesReal && !(c.condition() == Condition.PRETRAIN_DP && !c.dp());
        if (classifierReadReal && !c.dp()) return Double.POSITIVE_INFINITY;
        if (!c.condition().usesSynthetic) return classifierEpsilon;
        List<Segment> generator = ganSegments(c.seed());
        if (generator == null) return Double.POSITIVE_INFINITY;
        List<Segment> all = new ArrayList<>(generator);
        if (classifierReadReal) all.addAll(classifierSegments);
        String accountant = c.accountant() != null ? c.accountant() : config.accountants().get(0);
        return PrivacyPlanner.accountant(accountant).epsilon(all, config.delta()).epsilon();
    }

    /** The DP generator's spend on the real records (from its run's ledger), or null if it was not trained under DP here. */
    private List<Segment> ganSegments(long seed) throws IOException {
        if (config.gan().dpEpsilon() == null || data.synthetic() != null) return null;
        Path f = root.resolve(new GanJob(seed).dir()).resolve("ledger.json");
        if (!Files.exists(f)) throw new IllegalStateException(f + " is missing: the DP GAN's spend cannot be counted");
        return PrivacyPlanner.segments(PrivacyLedger.open(f).spends());
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
