package org.dpmammo.privacy.accounting;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * ε for many independent single-segment settings at once (the {@code privacy epsilon --grid} table, the accounting
 * benchmark). Rows are independent, so they run in parallel; under RDP, rows that share (q, σ) share one per-step
 * curve, because composing n steps only multiplies it by n.
 */
public final class EpsilonGrid {
    private EpsilonGrid() {}

    /** One setting: sample rate q, noise multiplier σ, number of steps, δ. */
    public record Row(double sampleRate, double noiseMultiplier, long steps, double delta) {}

    public static Epsilon[] evaluate(Accountant accountant, List<Row> rows) {
        Epsilon[] results = new Epsilon[rows.size()];
        if (accountant instanceof RdpAccountant rdp) {
            Map<List<Double>, double[]> perStepCurves = new ConcurrentHashMap<>();
            IntStream.range(0, rows.size()).parallel().forEach(i -> {
                Row r = rows.get(i);
                double[] perStep = perStepCurves.computeIfAbsent(List.of(r.sampleRate(), r.noiseMultiplier()),
                        k -> rdp.rdpCurve(List.of(new Segment(r.sampleRate(), r.noiseMultiplier(), 1))));
                double[] total = new double[perStep.length];
                for (int k = 0; k < total.length; k++) total[k] = r.steps() * perStep[k];
                results[i] = rdp.epsilonFromCurve(total, r.delta());
            });
        } else {
            IntStream.range(0, rows.size()).parallel().forEach(i -> {
                Row r = rows.get(i);
                results[i] = accountant.epsilon(List.of(new Segment(r.sampleRate(), r.noiseMultiplier(), r.steps())), r.delta());
            });
        }
        return results;
    }
}
