package org.dpmammo.experiment;

import java.util.Locale;

/**
 * The study's four training conditions (docs/STUDY.md §5). The key is what config files and results.csv use.
 *
 * <p>For {@link #PRETRAIN_DP} the ε = ∞ cell is the synthetic-pretrained full model itself (the study's dbr15, no
 * real data seen); a finite ε is that model with everything frozen except its pretrained linear head, fine-tuned
 * with DP on the real data (dbr156–dbr160).
 */
public enum Condition {
    REAL("real", "real only", true, false),
    REAL_SYNTH("real_synth", "real + synthetic", true, true),
    SYNTH("synth", "synthetic only", false, true),
    PRETRAIN_DP("pretrain_dp", "synthetic pretraining → DP fine-tuning", true, true);

    public final String key;
    public final String label;
    /** Whether the classifier trains on the real training records (and so spends privacy on them). */
    public final boolean usesReal;
    public final boolean usesSynthetic;

    Condition(String key, String label, boolean usesReal, boolean usesSynthetic) {
        this.key = key;
        this.label = label;
        this.usesReal = usesReal;
        this.usesSynthetic = usesSynthetic;
    }

    public static Condition parse(String key) {
        for (Condition c : values()) if (c.key.equals(key.toLowerCase(Locale.ROOT))) return c;
        throw new IllegalArgumentException("unknown condition '" + key + "' (expected real, real_synth, synth or pretrain_dp)");
    }
}
