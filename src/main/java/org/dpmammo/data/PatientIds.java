package org.dpmammo.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Patient ids from the study's patch file names, so that splits and leakage checks can work per patient. */
public final class PatientIds {
    // patient<dataset>__<pid>_image<iid>_mass<k>_is_benign_<0|1>.png; <pid> may itself contain underscores (P_00016).
    private static final Pattern STUDY = Pattern.compile("^patient[^_]*__(.+?)_image");

    private PatientIds() {}

    /** The patient id in a study file name ({@code patientcbis-ddsm__P_00016_image..} gives P_00016), or null. */
    public static String parse(String fileName) {
        Matcher m = STUDY.matcher(fileName);
        return m.find() ? m.group(1) : null;
    }
}
