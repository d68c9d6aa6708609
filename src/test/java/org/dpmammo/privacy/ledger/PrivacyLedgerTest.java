package org.dpmammo.privacy.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyLedgerTest {
    @TempDir
    Path dir;

    static PrivacyLedger.Phase phase(String id, String data) {
        return new PrivacyLedger.Phase(id, "classifier", data, 1104, 0.1, 1.2, 1.0, 1e-4, "rdp", true);
    }

    @Test
    void spendSurvivesReopeningAndNeverFalls() throws IOException {
        Path f = dir.resolve("ledger.json");
        PrivacyLedger l = PrivacyLedger.open(f);
        l.beginPhase(phase("gan", "abc"));
        l.beginPhase(phase("clf", "abc"));
        l.reserve("gan", 10);
        l.reserve("clf", 5);
        l.reserve("gan", 8); // lower than recorded: nothing new
        l.reserve("gan", 20);
        PrivacyLedger again = PrivacyLedger.open(f);
        assertEquals(20, again.stepsRecorded("gan"));
        assertEquals(5, again.stepsRecorded("clf"));
        // Both phases are on dataset "abc": its records form one group with both histories, and no other group exists.
        assertEquals(List.of(List.of("gan", "clf")), again.groups().all().stream().map(RecordGroups.Group::phaseIds).toList());
        assertEquals(l.head(), again.head());
        assertEquals(5, again.entryCount());
    }

    @Test
    void editedOrCutLedgersAreRefused() throws IOException {
        Path f = dir.resolve("ledger.json");
        PrivacyLedger l = PrivacyLedger.open(f);
        l.beginPhase(phase("p", "abc"));
        l.reserve("p", 100);
        l.reserve("p", 200);
        String text = Files.readString(f);
        // Lowering the recorded spend is detected.
        Files.writeString(f, text.replace("\"steps\":200", "\"steps\":20"));
        IOException edited = assertThrows(IOException.class, () -> PrivacyLedger.open(f));
        assertTrue(edited.getMessage().contains("hash chain is broken"), edited.getMessage());
        // Dropping a middle entry is detected.
        String[] lines = text.split("\n");
        Files.writeString(f, lines[0] + "\n" + lines[2] + "\n");
        assertThrows(IOException.class, () -> PrivacyLedger.open(f));
        // A cut final line is detected.
        Files.write(f, text.substring(0, text.length() - 10).getBytes(StandardCharsets.UTF_8));
        IOException cut = assertThrows(IOException.class, () -> PrivacyLedger.open(f));
        assertTrue(cut.getMessage().contains("incomplete"), cut.getMessage());
        // Dropping whole trailing lines is caught by the checkpoint's view of the ledger.
        Files.writeString(f, lines[0] + "\n" + lines[1] + "\n");
        PrivacyLedger shorter = PrivacyLedger.open(f);
        assertThrows(IllegalStateException.class, () -> shorter.requireReaches(l.head(), l.entryCount()));
        Files.writeString(f, text);
        PrivacyLedger.open(f).requireReaches(l.head(), l.entryCount());
    }

    @Test
    void aPhaseCannotChangeItsParameters() throws IOException {
        PrivacyLedger l = PrivacyLedger.open(dir.resolve("ledger.json"));
        l.beginPhase(phase("p", "abc"));
        l.beginPhase(phase("p", "abc")); // the same again is fine (resume)
        assertThrows(IllegalStateException.class, () -> l.beginPhase(phase("p", "xyz")));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Phase("x", "n", "d", 1, 0.1, -1, 1, 1e-5, "rdp", true));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Phase("x", "n", "d", 1, 0.1, 1, 1, 1, "rdp", true));
    }

    static final byte[] KEY = "a key of at least sixteen bytes".getBytes(StandardCharsets.UTF_8);

    /** Keyed: a forger without the key cannot re-chain an edited ledger, nor downgrade it to the unkeyed chain. */
    @Test
    void anHmacChainCannotBeForgedWithoutTheKey() throws IOException {
        Path f = dir.resolve("ledger.json");
        PrivacyLedger l = PrivacyLedger.open(f, LedgerChain.keyed(KEY));
        l.beginPhase(phase("p", "abc"));
        l.reserve("p", 100);
        assertTrue(PrivacyLedger.open(f, LedgerChain.keyed(KEY)).keyed());
        String text = Files.readString(f);
        assertTrue(text.contains("\"chain\":\"hmac-sha256\""), text);

        // Read without the key: refused with a message that says so.
        IOException noKey = assertThrows(IOException.class, () -> PrivacyLedger.open(f, LedgerChain.unkeyed()));
        assertTrue(noKey.getMessage().contains("HMAC-keyed"), noKey.getMessage());
        // A forger who lowers the spend and re-chains with SHA-256 (what an unkeyed ledger allows) is caught.
        Path forged = dir.resolve("forged.json");
        PrivacyLedger f2 = PrivacyLedger.open(forged, LedgerChain.unkeyed());
        f2.beginPhase(phase("p", "abc"));
        f2.reserve("p", 10);
        IOException downgrade = assertThrows(IOException.class, () -> PrivacyLedger.open(forged, LedgerChain.keyed(KEY)));
        assertTrue(downgrade.getMessage().contains("not HMAC-keyed"), downgrade.getMessage());
        // ... and so is one who keeps the marks but has another key.
        Path other = dir.resolve("other-key.json");
        PrivacyLedger o = PrivacyLedger.open(other, LedgerChain.keyed("another key, also long enough".getBytes(StandardCharsets.UTF_8)));
        o.beginPhase(phase("p", "abc"));
        IOException wrong = assertThrows(IOException.class, () -> PrivacyLedger.open(other, LedgerChain.keyed(KEY)));
        assertTrue(wrong.getMessage().contains("hash chain is broken"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LedgerChain.keyed("short".getBytes(StandardCharsets.UTF_8)));
    }

    /** Two writers at once: the one holding the lock wins, the other is refused and the chain stays whole. */
    @Test
    void twoRunsCannotSpendAgainstOneLedgerAtOnce() throws IOException {
        Path f = dir.resolve("ledger.json");
        PrivacyLedger first = PrivacyLedger.open(f).holdLock();
        first.beginPhase(phase("a", "abc"));
        PrivacyLedger second = PrivacyLedger.open(f);
        IOException locked = assertThrows(IOException.class, second::holdLock);
        assertTrue(locked.getMessage().contains("in use by another run"), locked.getMessage());
        IOException busy = assertThrows(IOException.class, () -> second.beginPhase(phase("b", "abc")));
        assertTrue(busy.getMessage().contains("in use by another run"), busy.getMessage());
        first.reserve("a", 5);
        first.close();
        // Released: a writer that read the file before the last append is still refused (it would fork the chain) ...
        IOException stale = assertThrows(IOException.class, () -> second.beginPhase(phase("b", "abc")));
        assertTrue(stale.getMessage().contains("appended to by another run"), stale.getMessage());
        // ... and one that reads it now appends after it.
        PrivacyLedger third = PrivacyLedger.open(f);
        third.beginPhase(phase("b", "abc"));
        assertEquals(3, PrivacyLedger.open(f).entryCount());
    }

    /** Spend composes per record: a real + synthetic phase meets a real-only one on the real records only. */
    @Test
    void recordGroupsFollowWhichPhasesTouchedEachRecord() throws IOException {
        List<String> real = ids(0, 10), synthetic = ids(10, 15);
        List<String> mixed = new java.util.ArrayList<>(real);
        mixed.addAll(synthetic);
        PrivacyLedger l = PrivacyLedger.open(dir.resolve("ledger.json"));
        l.beginPhase(new PrivacyLedger.Phase("gan", "gan", "fp-real", 10, 0.1, 1.0, 1.0, 1e-5, "rdp", true, "r1", real));
        l.beginPhase(new PrivacyLedger.Phase("clf", "clf", "fp-mix", 15, 0.1, 1.0, 1.0, 1e-5, "rdp", true, "r2", mixed));
        l.beginPhase(new PrivacyLedger.Phase("sub", "clf", "fp-sub", 3, 0.1, 1.0, 1.0, 1e-5, "rdp", true, "r3", ids(0, 3)));
        l.reserve("gan", 10);
        l.reserve("clf", 20);
        l.reserve("sub", 5);
        java.util.Map<List<String>, Integer> groups = new java.util.HashMap<>();
        for (RecordGroups.Group g : l.groups().all()) groups.put(g.phaseIds(), g.records());
        assertEquals(java.util.Map.of(List.of("gan", "clf", "sub"), 3, List.of("gan", "clf"), 7, List.of("clf"), 5), groups);
        // A prospective phase on the synthetic records alone meets only clf there.
        var prospective = new PrivacyLedger.Spend(new PrivacyLedger.Phase("new", "n", "fp-s", 5, 0.1, 1.0, 1.0, 1e-5, "rdp", true, "r4", synthetic), 7);
        List<RecordGroups.Group> g = l.groups().of(synthetic, prospective);
        assertEquals(1, g.size());
        assertEquals(List.of("clf", "new"), g.get(0).phaseIds());
        // A phase from before records were named composes with every phase on its fingerprint.
        l.beginPhase(phase("old", "fp-real"));
        l.reserve("old", 1);
        for (RecordGroups.Group h : l.groups().all()) {
            if (h.phaseIds().contains("gan")) assertTrue(h.phaseIds().contains("old"), h.phaseIds().toString());
        }
    }

    private static List<String> ids(int from, int to) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = from; i < to; i++) out.add(String.format("%032x", i));
        return out;
    }
}
