package org.dpmammo.privacy.accounting;

import java.util.List;

/**
 * An (ε, δ) guarantee and how it was obtained.
 *
 * @param epsilon       the guaranteed ε (an upper bound; never an estimate)
 * @param delta         the δ it holds for
 * @param method        the accountant whose bound this is: "rdp" or "prv" (a PRV request that fell back, or where
 *                      RDP happened to be tighter, says "rdp")
 * @param order         the RDP order α that attains the minimum; NaN when method is "prv"
 * @param epsilonError  for PRV the stated error: the true ε lies within [estimate − error, epsilon]; 0 for RDP
 * @param estimate      for PRV the point estimate of ε at δ; for RDP equal to epsilon
 * @param warnings      things the caller should see (a fallback, an optimal order at the edge of the grid)
 */
public record Epsilon(double epsilon, double delta, String method, double order, double epsilonError,
                      double estimate, List<String> warnings) {
    public Epsilon {
        warnings = List.copyOf(warnings);
    }
}
