package org.dpmammo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.util.Rng;

/**
 * Per-patient, class-stratified splits: all patches of a patient land in one split (no patient leaks between train
 * and test), and each split gets about its fraction of each class.
 *
 * <p>A patient's stratum is the majority label of their patches (ties count as benign). Within each stratum the
 * patients are shuffled with the seed, then each in turn goes to the split furthest below its target share of that
 * stratum's patches. This tracks the fractions to within one patient's patch count per split and class.
 */
public final class Splitter {
    private Splitter() {}

    /**
     * Indices of each split, in dataset order.
     *
     * @param names split names, in order
     * @param fractions one per name, positive, summing to 1 (within 1e-6)
     */
    public static Map<String, int[]> split(Dataset data, List<String> names, double[] fractions, long seed) {
        if (names.size() != fractions.length || names.isEmpty()) throw new IllegalArgumentException("need one fraction per split name");
        double sum = 0;
        for (double f : fractions) {
            if (!(f > 0)) throw new IllegalArgumentException("split fractions must be positive, got " + Arrays.toString(fractions));
            sum += f;
        }
        if (Math.abs(sum - 1) > 1e-6) throw new IllegalArgumentException("split fractions must sum to 1, got " + sum);
        if (names.stream().distinct().count() != names.size()) throw new IllegalArgumentException("split names must differ: " + names);

        Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < data.size(); i++) byGroup.computeIfAbsent(data.groupId(i), k -> new ArrayList<>()).add(i);
        List<List<List<Integer>>> strata = List.of(new ArrayList<>(), new ArrayList<>());
        for (List<Integer> members : byGroup.values()) {
            int benign = 0;
            for (int i : members) benign += data.label(i) == Labels.BENIGN ? 1 : 0;
            strata.get(2 * benign >= members.size() ? Labels.BENIGN : Labels.MALIGNANT).add(members);
        }
        Rng rng = new Rng(seed);
        int k = names.size();
        boolean[][] chosen = new boolean[k][data.size()];
        for (List<List<Integer>> stratum : strata) {
            int[] order = new int[stratum.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            rng.shuffle(order);
            int total = stratum.stream().mapToInt(List::size).sum();
            int[] have = new int[k];
            for (int g : order) {
                List<Integer> members = stratum.get(g);
                int best = 0;
                double bestDeficit = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < k; s++) {
                    double deficit = fractions[s] * total - have[s];
                    if (deficit > bestDeficit) {
                        bestDeficit = deficit;
                        best = s;
                    }
                }
                have[best] += members.size();
                for (int i : members) chosen[best][i] = true;
            }
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        for (int s = 0; s < k; s++) {
            boolean[] c = chosen[s];
            out.put(names.get(s), java.util.stream.IntStream.range(0, data.size()).filter(i -> c[i]).toArray());
        }
        return out;
    }
}
