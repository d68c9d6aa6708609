package org.dpmammo.privacy.accounting;

import java.util.ArrayList;
import java.util.List;

/**
 * A run of {@code steps} DP-SGD steps with the same Poisson sampling rate q and noise multiplier σ (noise standard
 * deviation over clipping norm). A training history (pretraining, fine-tuning, a GAN) is a list of segments.
 */
public record Segment(double sampleRate, double noiseMultiplier, long steps) {
    public Segment {
        if (!(sampleRate > 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("sample rate q must be in (0, 1], got " + sampleRate);
        }
        if (!(noiseMultiplier > 0 && noiseMultiplier < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("noise multiplier sigma must be finite and > 0, got " + noiseMultiplier);
        }
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }

    /** Checks δ for every accountant: (ε, δ)-DP needs 0 < δ < 1. */
    static void checkDelta(double delta) {
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }

    /**
     * Drops empty segments and merges neighbours with equal (q, σ): each accountant's cost grows with the number
     * of distinct segments, not with steps.
     */
    static List<Segment> compact(List<Segment> history) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : history) {
            if (s.steps == 0) continue;
            int last = out.size() - 1;
            if (last >= 0 && out.get(last).sampleRate == s.sampleRate && out.get(last).noiseMultiplier == s.noiseMultiplier) {
                out.set(last, new Segment(s.sampleRate, s.noiseMultiplier, Math.addExact(out.get(last).steps, s.steps)));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    static long totalSteps(List<Segment> history) {
        long n = 0;
        for (Segment s : history) n = Math.addExact(n, s.steps);
        return n;
    }
}
