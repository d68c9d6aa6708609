package org.dpmammo.testing;

import org.dpmammo.api.Accounting;
import org.dpmammo.nn.Linear;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.util.Rng;

/**
 * A program outside the org.dpmammo module: {@code api} calls the public API and builds a layer from an exported
 * engine package; {@code internal} reaches for an internal class, which the module system must refuse (exit 3).
 */
public final class ModuleClient {
    private ModuleClient() {}

    public static void main(String[] args) {
        if (args[0].equals("api")) {
            System.out.println("epsilon " + Accounting.epsilon(0.04, 1.5, 2250, 1e-5, "rdp"));
            System.out.println("parameters " + new Linear(4, 2, new Rng(1)).parameters().size());
            return;
        }
        try {
            System.out.println("reached " + new RdpAccountant().name());
        } catch (IllegalAccessError e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(3);
        }
    }
}
