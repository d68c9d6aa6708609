package org.dpmammo.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an experiment runs, in order: per seed, the shared work first (one GAN and its synthetic set, one synthetic
 * pretrained model), then that seed's cells (condition × ε, and × accountant for the DP cells). Every job has its own folder under the experiment
 * folder and a marker file written atomically when it is complete, so a restarted run skips exactly the finished
 * jobs and redoes (resuming) the one that was interrupted.
 */
public record GridPlan(List<Job> jobs) {
    /** One unit of work with its folder (relative to the experiment folder) and the file that marks it finished. */
    public sealed interface Job permits BackboneJob, GanJob, PretrainJob, Cell {
        long seed();

        Path dir();

        Path marker();

        String describe();

        default boolean finished(Path root) {
            return Files.exists(root.resolve(marker()));
        }
    }

    /** Trains the starting weights of every run once, on public data (the stand-in for ImageNet weights). */
    public record BackboneJob(long seed) implements Job {
        public Path dir() {
            return Path.of("backbone");
        }

        public Path marker() {
            return dir().resolve("done.json");
        }

        public String describe() {
            return "public pretraining of the backbone";
        }
    }

    /** Trains the seed's GAN on the real training set and writes its labelled samples (the seed's synthetic set). */
    public record GanJob(long seed) implements Job {
        public Path dir() {
            return Path.of("gan", "seed-" + seed);
        }

        /** The synthetic folder appears by an atomic rename once every sample is written. */
        public Path marker() {
            return syntheticDir();
        }

        public Path syntheticDir() {
            return Path.of("synthetic", "seed-" + seed);
        }

        public String describe() {
            return "GAN, seed " + seed;
        }
    }

    /** Trains the whole classifier on the seed's synthetic set (dbr15); the pretrain_dp cells of the seed start from it. */
    public record PretrainJob(long seed) implements Job {
        public Path dir() {
            return Path.of("pretrain", "seed-" + seed);
        }

        public Path marker() {
            return dir().resolve("done.json");
        }

        public String describe() {
            return "synthetic pretraining, seed " + seed;
        }
    }

    /**
     * One cell of the grid: a condition at a target ε for one seed, with the accountant that calibrates its σ, or
     * at ε = ∞ (no DP) with none (null), since nothing there is calibrated and one such cell serves every accountant.
     */
    public record Cell(Condition condition, double epsilon, String accountant, long seed) implements Job {
        public Cell {
            if (Double.isInfinite(epsilon) != (accountant == null)) {
                throw new IllegalArgumentException("a cell has an accountant exactly when ε is finite (got ε " + epsilon + ", accountant " + accountant + ")");
            }
        }

        public boolean dp() {
            return !Double.isInfinite(epsilon);
        }

        /**
         * condition__eps-E__seed-S; a cell calibrated by another accountant than RDP carries its name after ε. RDP
         * cells keep the name they had before accountants were planned side by side, so those folders still resume.
         */
        public String id() {
            String acct = accountant == null || accountant.equals("rdp") ? "" : "__" + accountant;
            return condition.key + "__eps-" + epsilonText(epsilon) + acct + "__seed-" + seed;
        }

        public Path dir() {
            return Path.of("cells", id());
        }

        public Path marker() {
            return dir().resolve("result.json");
        }

        public String describe() {
            return condition.key + " ε=" + epsilonText(epsilon) + (dp() ? " (" + accountant.toUpperCase(Locale.ROOT) + ")" : "") + " seed " + seed;
        }
    }

    /** ε as the grid writes it: "inf", or the shortest decimal ("1", "0.5"). */
    public static String epsilonText(double e) {
        if (Double.isInfinite(e)) return "inf";
        if (e == Math.rint(e) && Math.abs(e) < 1e15) return Long.toString((long) e);
        return String.format(Locale.ROOT, "%s", e);
    }

    /**
     * Plans the grid: the public backbone first if the config has one; then for each seed, a GAN job if any condition uses synthetic data and no synthetic folder was
     * given, a pretraining job if the grid has pretrain_dp, then the seed's cells in the config's order: each finite
     * ε once per accountant, in the config's order of accountants, and ε = ∞ once.
     */
    public static GridPlan of(ExperimentConfig config, boolean syntheticGiven) {
        List<Job> jobs = new ArrayList<>();
        if (config.publicPretraining() != null) jobs.add(new BackboneJob(config.seeds().get(0)));
        for (long seed : config.seeds()) {
            if (config.needsSynthetic() && !syntheticGiven) jobs.add(new GanJob(seed));
            if (config.grid().containsKey(Condition.PRETRAIN_DP)) jobs.add(new PretrainJob(seed));
            for (Map.Entry<Condition, List<Double>> e : config.grid().entrySet()) {
                for (double eps : e.getValue()) {
                    if (Double.isInfinite(eps)) jobs.add(new Cell(e.getKey(), eps, null, seed));
                    else for (String a : config.accountants()) jobs.add(new Cell(e.getKey(), eps, a, seed));
                }
            }
        }
        return new GridPlan(List.copyOf(jobs));
    }

    public List<Cell> cells() {
        return jobs.stream().filter(j -> j instanceof Cell).map(j -> (Cell) j).toList();
    }

    /** The jobs whose marker is absent under root: what a (re)started run still has to do. */
    public List<Job> pending(Path root) {
        return jobs.stream().filter(j -> !j.finished(root)).toList();
    }

    /** The shared jobs a cell reuses: the public backbone, its seed's GAN (for synthetic data) and pretrained model (pretrain_dp). */
    public List<Job> dependencies(Cell cell) {
        List<Job> deps = new ArrayList<>();
        for (Job j : jobs) {
            if (j instanceof BackboneJob) deps.add(j);
            if (j.seed() != cell.seed()) continue;
            if (j instanceof GanJob && cell.condition().usesSynthetic) deps.add(j);
            if (j instanceof PretrainJob && cell.condition() == Condition.PRETRAIN_DP) deps.add(j);
        }
        return deps;
    }
}
