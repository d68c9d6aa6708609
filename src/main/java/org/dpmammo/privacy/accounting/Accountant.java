package org.dpmammo.privacy.accounting;

import java.util.List;

/** Turns a training history into an (ε, δ) guarantee. Implementations are stateless and thread-safe. */
public interface Accountant {
    /** "rdp" or "prv". */
    String name();

    /**
     * The smallest ε this accountant can certify for the composition of all segments at the given δ.
     *
     * @throws IllegalArgumentException if δ is not in (0, 1)
     */
    Epsilon epsilon(List<Segment> history, double delta);
}
