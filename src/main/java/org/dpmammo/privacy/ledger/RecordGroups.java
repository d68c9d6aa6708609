package org.dpmammo.privacy.ledger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A ledger's records partitioned by the set of phases that may have sampled them. Privacy composes per record: a
 * record's guarantee counts every phase it was in and none it was not, so a real + synthetic training set composes
 * with a real-only phase on the real records only, and a phase on a subset composes with one on its superset on the
 * records they share. Records of one group have the same history, hence the same ε.
 *
 * <p>A phase from before records were named is keyed by its dataset fingerprint alone: every phase with that
 * fingerprint composes with it.
 */
public final class RecordGroups {
    /** Records (count) that share one history: the phases that touched them, with their recorded steps. */
    public record Group(List<PrivacyLedger.Spend> spends, int records) {
        public List<String> phaseIds() {
            return spends.stream().map(s -> s.phase().id()).toList();
        }
    }

    private final List<PrivacyLedger.Spend> spends;

    RecordGroups(List<PrivacyLedger.Spend> spends) {
        this.spends = List.copyOf(spends);
    }

    /**
     * The groups of the spends of several ledgers taken together (runs that each kept their own ledger compose on the
     * records they share). A phase found in more than one ledger (one file listed twice, or a copy) counts once, at
     * the most steps any of them records.
     */
    public static RecordGroups across(List<PrivacyLedger> ledgers) {
        Map<String, PrivacyLedger.Spend> byId = new LinkedHashMap<>();
        for (PrivacyLedger l : ledgers) {
            for (PrivacyLedger.Spend s : l.spends()) {
                PrivacyLedger.Spend seen = byId.get(s.phase().id());
                if (seen != null && !seen.phase().equals(s.phase())) {
                    throw new IllegalArgumentException("phase '" + s.phase().id() + "' has different parameters in " + l.file() + " than in another ledger");
                }
                if (seen == null || s.steps() > seen.steps()) byId.put(s.phase().id(), s);
            }
        }
        return new RecordGroups(new ArrayList<>(byId.values()));
    }

    /** The spends the groups are made of, one per phase. */
    public List<PrivacyLedger.Spend> spends() {
        return spends;
    }

    /** Every group of records in the ledger. */
    public List<Group> all() {
        return groupsOf(historyByRecord(spends, null), spends);
    }

    /**
     * The groups of the given records, with a prospective spend added (null for none): the histories those records
     * would have after it. Records that appear in no phase yet form a group of their own.
     */
    public List<Group> of(Collection<String> records, PrivacyLedger.Spend prospective) {
        List<PrivacyLedger.Spend> all = new ArrayList<>(spends);
        // A phase already in the ledger (a resumed run) is replaced by its prospective spend, not counted twice.
        if (prospective != null) {
            all.removeIf(s -> s.phase().id().equals(prospective.phase().id()));
            all.add(prospective);
        }
        return groupsOf(historyByRecord(all, new TreeSet<>(records)), all);
    }

    /** record id → indices (into {@code spends}) of the phases that touched it; restricted to {@code only} if given. */
    private static Map<String, List<Integer>> historyByRecord(List<PrivacyLedger.Spend> spends, TreeSet<String> only) {
        Map<String, List<Integer>> history = new LinkedHashMap<>();
        if (only != null) for (String r : only) history.put(r, new ArrayList<>());
        for (int k = 0; k < spends.size(); k++) {
            for (String r : idsOf(spends.get(k).phase())) {
                if (only != null && !only.contains(r)) continue;
                history.computeIfAbsent(r, x -> new ArrayList<>()).add(k);
            }
        }
        // A fingerprint-only phase touches the named records of every phase with its fingerprint.
        for (int k = 0; k < spends.size(); k++) {
            PrivacyLedger.Phase p = spends.get(k).phase();
            if (p.records() != null) continue;
            for (int j = 0; j < spends.size(); j++) {
                PrivacyLedger.Phase q = spends.get(j).phase();
                if (q.records() == null || !q.datasetFingerprint().equals(p.datasetFingerprint())) continue;
                for (String r : q.records()) {
                    List<Integer> h = history.get(r);
                    if (h != null && !h.contains(k)) h.add(k);
                }
            }
        }
        history.replaceAll((r, h) -> h.stream().sorted().toList());
        return history;
    }

    private static List<Group> groupsOf(Map<String, List<Integer>> history, List<PrivacyLedger.Spend> spends) {
        Map<List<Integer>, Integer> counts = new LinkedHashMap<>();
        history.values().forEach(h -> counts.merge(h, 1, Integer::sum));
        List<Group> out = new ArrayList<>();
        counts.forEach((h, n) -> out.add(new Group(h.stream().map(spends::get).toList(), n)));
        return out;
    }

    /** The ids a phase is keyed by: its named records, or its fingerprint where none are named. */
    private static List<String> idsOf(PrivacyLedger.Phase p) {
        return p.records() != null ? p.records() : List.of("fingerprint:" + p.datasetFingerprint());
    }

    /** Sorted, distinct, lower-case hex ids of 32 characters (128 bits of each record's SHA-256). */
    static boolean wellFormed(List<String> ids) {
        String prev = null;
        for (String id : ids) {
            if (id == null || id.length() != 32 || !id.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
            if (prev != null && prev.compareTo(id) >= 0) return false;
            prev = id;
        }
        return true;
    }
}
