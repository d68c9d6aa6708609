package org.dpmammo.examples;

import org.dpmammo.api.Accounting;

/**
 * Accounting: ε of a DP-SGD run, the noise a target ε needs, and the steps a budget allows, under both accountants
 * (RDP, the study's; PRV, tighter). Pure computation.
 */
public final class AccountingExample {
    private AccountingExample() {}

    public static void main(String[] args) {
        // The study's real training set: 1104 patches, batches of 128, 10 epochs, δ = 1e-4.
        Accounting.Schedule s = Accounting.schedule(1104, 128, 10);
        System.out.printf("schedule: q = 1/%d = %.5f, %d steps%n", s.stepsPerEpoch(), s.sampleRate(), s.steps());
        for (String accountant : new String[] {"rdp", "prv"}) {
            double sigma = Accounting.sigma(6, s.sampleRate(), s.steps(), 1e-4, accountant);
            double epsilon = Accounting.epsilon(s.sampleRate(), sigma, s.steps(), 1e-4, accountant);
            long steps = Accounting.steps(6, s.sampleRate(), 1.0, 1e-4, accountant);
            System.out.printf("%s: σ %.4f meets ε = 6 (ε at that σ: %.4f); at σ = 1.0 the budget allows %d steps%n", accountant, sigma, epsilon, steps);
        }
        // dp-math's reference case: q = 0.04, σ = 1.5, 2250 steps, δ = 1e-5 gives ε ≈ 7.329 under RDP.
        System.out.printf("ε(q 0.04, σ 1.5, 2250 steps, δ 1e-5): rdp %.4f, prv %.4f%n", Accounting.epsilon(0.04, 1.5, 2250, 1e-5, "rdp"),
                Accounting.epsilon(0.04, 1.5, 2250, 1e-5, "prv"));
    }
}
