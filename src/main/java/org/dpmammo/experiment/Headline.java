package org.dpmammo.experiment;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one sentence at the top of report.html: what this run showed at its strongest privacy, read from its results.
 * The study's claim is that at a small ε synthetic pretraining followed by DP fine-tuning beats DP training on the real
 * data; the sentence names the best condition at the grid's smallest ε, how far it is from real-only DP, whether the
 * study's ordering held, and what real-only training reached without DP (the cost of privacy). Seed means on the first
 * test set; cells calibrated by the config's first accountant.
 */
final class Headline {
    /** Differences in AUROC smaller than this are reported as level: one test set of a few hundred images cannot resolve them. */
    static final double LEVEL = 0.01;

    private Headline() {}

    /** The sentence, or null while the results cannot say anything about the study's comparison (no real-only DP cell yet). */
    static String of(List<Results.Group> groups, String test, String accountant) {
        List<Results.Group> mine = groups.stream().filter(g -> g.accountant() == null || g.accountant().equals(accountant))
                .filter(g -> !Double.isNaN(g.mean(test, "auroc"))).toList();
        Optional<Double> smallest = mine.stream().filter(g -> g.condition() == Condition.REAL && Double.isFinite(g.epsilon()))
                .map(Results.Group::epsilon).min(Double::compare);
        if (smallest.isEmpty()) return null;
        double eps = smallest.get();
        List<Results.Group> atEps = mine.stream().filter(g -> g.epsilon() == eps).toList();
        Results.Group real = find(atEps, Condition.REAL);
        Results.Group best = atEps.stream().max(Comparator.comparingDouble(g -> g.mean(test, "auroc"))).orElseThrow();
        double r = real.mean(test, "auroc");
        Results.Group pretrain = find(atEps, Condition.PRETRAIN_DP);
        // How many seeds stand behind the means: one seed's difference of a few hundredths can be test-set noise.
        int seeds = real.members().size();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "At ε = %s, the strongest privacy in this run (%s), ", GridPlan.epsilonText(eps),
                seeds == 1 ? "one seed" : "mean of " + seeds + " seeds"));
        if (best == real) {
            s.append(String.format(Locale.ROOT, "real-only DP training was best with AUROC %.3f on %s", r, test)).append(ordering(pretrain, r, test));
        } else {
            double b = best.mean(test, "auroc");
            s.append(String.format(Locale.ROOT, "%s was best with AUROC %.3f on %s, %s real-only DP (%.3f)", best.condition().label, b, test,
                    b - r < LEVEL ? "level with" : String.format(Locale.ROOT, "%.3f above", b - r), r));
            if (best != pretrain) s.append(ordering(pretrain, r, test));
            else if (b - r >= LEVEL) s.append(", the study's ordering");
            else s.append(", so the study's ordering was not shown");
        }
        Results.Group noDp = mine.stream().filter(g -> g.condition() == Condition.REAL && Double.isInfinite(g.epsilon())).findFirst().orElse(null);
        if (noDp != null) {
            double n = noDp.mean(test, "auroc");
            s.append(String.format(Locale.ROOT, ", and real-only training without DP reached %.3f", n));
            if (n - r >= LEVEL) s.append(String.format(Locale.ROOT, " (privacy at ε = %s cost it %.3f)", GridPlan.epsilonText(eps), n - r));
        }
        return s.append('.').toString();
    }

    /** Whether the study's ordering (pretrain_dp above real-only DP at the same ε) held, when another condition was best. */
    private static String ordering(Results.Group pretrain, double real, String test) {
        if (pretrain == null) return "; the grid has no synthetic pretraining → DP fine-tuning cell at this ε to test the study's ordering";
        double p = pretrain.mean(test, "auroc");
        if (p - real >= LEVEL) return String.format(Locale.ROOT, "; synthetic pretraining → DP fine-tuning (%.3f) also beat real-only DP, as in the study", p);
        if (real - p >= LEVEL) return String.format(Locale.ROOT, "; unlike the study, synthetic pretraining → DP fine-tuning (%.3f) fell %.3f behind real-only DP", p, real - p);
        return String.format(Locale.ROOT, "; synthetic pretraining → DP fine-tuning (%.3f) was level with real-only DP, so the study's ordering was not shown", p);
    }

    private static Results.Group find(List<Results.Group> groups, Condition c) {
        return groups.stream().filter(g -> g.condition() == c).findFirst().orElse(null);
    }
}
