package org.dpmammo.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ε with Opacus' orders against tools/rdp_reference.py, an independent 40-digit evaluation of the definition
 * (exact binomial expansion for integer orders, quadrature for fractional ones), over q in [0.001, 1), σ in
 * [0.5, 10], steps in [1, 1e4] and δ in {1e-5, 1e-6}. The required agreement with Opacus is 1e-6 relative; the
 * reference is the exact value, so this holds the Java series to the same standard.
 */
class RdpReferenceTest {
    @Test
    void matchesTheIndependentReference() throws IOException {
        List<String> lines;
        try (InputStream in = getClass().getResourceAsStream("rdp-reference.csv")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().skip(1).toList();
        }
        assertEquals(10, lines.size(), "reference rows: " + lines.size());
        RdpAccountant rdp = new RdpAccountant();
        for (String line : lines) {
            String[] f = line.split(",");
            Epsilon e = rdp.epsilon(List.of(new Segment(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Long.parseLong(f[2]))),
                    Double.parseDouble(f[3]));
            double want = Double.parseDouble(f[4]);
            assertEquals(want, e.epsilon(), 1e-6 * want, line);
            assertEquals(Double.parseDouble(f[5]), e.order(), line);
        }
    }
}
