package org.dpmammo.testing;

import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;
import org.dpmammo.privacy.ledger.PrivacyLedger;

/** Reads a ledger the way the trainers and {@code privacy ledger report} do: ε per group of records. */
public final class Ledgers {
    private Ledgers() {}

    /** ε of the records that the given phase touched, composed with every phase that touched the same records. */
    public static double epsilonOfGroupWith(PrivacyLedger ledger, String phaseId, double delta, Accountant accountant) {
        return PrivacyPlanner.epsilonByGroup(ledger.groups().all(), delta, accountant).stream()
                .filter(g -> g.group().phaseIds().contains(phaseId)).findFirst().orElseThrow().epsilon().epsilon();
    }
}
