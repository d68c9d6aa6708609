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
        assertEquals(2, again.spendsOn("abc").size());
        assertEquals(List.of(), again.spendsOn("other"));
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
}
