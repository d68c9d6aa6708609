package org.dpmammo.data;

import java.util.Locale;

/**
 * The project's one label convention, which is the study's: <b>benign = 1, malignant = 0</b>.
 *
 * <p>Every dataset, the loader's int labels, the GAN's condition and the classifier's target use these values, so no
 * layer ever converts. Benign is therefore the positive class of F1, precision, recall and AUPRC, as in the study's
 * reported numbers; a malignancy score, where wanted, is {@code 1 - P(benign)}.
 */
public final class Labels {
    public static final int MALIGNANT = 0;
    public static final int BENIGN = 1;

    private Labels() {}

    public static String name(int label) {
        return switch (label) {
            case BENIGN -> "benign";
            case MALIGNANT -> "malignant";
            default -> throw new IllegalArgumentException("label must be 0 (malignant) or 1 (benign), got " + label);
        };
    }

    /** The study's class folder for a label: {@code is_benign_true} or {@code is_benign_false}. */
    public static String folder(int label) {
        return "is_benign_" + (name(label).equals("benign") ? "true" : "false");
    }

    /**
     * Parses a label written in a manifest: {@code benign|malignant}, the study's {@code 1|0}, or the folder style
     * {@code true|false} (is_benign). Anything else is an error, since guessing a label would corrupt the data.
     */
    public static int parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "benign", "1", "true", "is_benign_true" -> BENIGN;
            case "malignant", "0", "false", "is_benign_false" -> MALIGNANT;
            default -> throw new IllegalArgumentException("label '" + text + "' is not benign/malignant, 1/0 or true/false");
        };
    }
}
