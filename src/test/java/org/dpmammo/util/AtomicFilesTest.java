package org.dpmammo.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writtenFilesFollowTheUmaskLikeAnOrdinaryFile() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "needs POSIX permissions");
        // The reference: a file created the ordinary way gets 0666 less the process's umask.
        Set<PosixFilePermission> ordinary = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain.txt")));
        // Under a umask that takes group and other read away, both would be 0600 and the test could not tell them apart.
        assumeTrue(ordinary.contains(PosixFilePermission.OTHERS_READ) || ordinary.contains(PosixFilePermission.GROUP_READ),
                "umask hides group and other read: " + ordinary);
        Path report = dir.resolve("report.html");
        AtomicFiles.writeString(report, "<p>hello</p>");
        // Used to be rw------- whatever the umask, from createTempFile.
        assertEquals(ordinary, Files.getPosixFilePermissions(report));
        // Replacing keeps following the umask, and no temporary file is left.
        AtomicFiles.writeString(report, "<p>again</p>");
        assertEquals(ordinary, Files.getPosixFilePermissions(report));
        assertEquals("<p>again</p>", Files.readString(report));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(Set.of("plain.txt", "report.html"), s.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("a.csv");
        AtomicFiles.writeString(f, "old");
        try {
            AtomicFiles.write(f, out -> {
                out.write(1);
                throw new IOException("disk full (simulated)");
            });
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("simulated"));
        }
        assertEquals("old", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }
}
