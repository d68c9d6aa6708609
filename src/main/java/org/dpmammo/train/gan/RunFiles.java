package org.dpmammo.train.gan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** What the generator trainers read back from a run folder to resume: the latest checkpoint and the logged rows. */
final class RunFiles {
    private RunFiles() {}

    /** The file in {@code dir} whose name matches {@code numbered} (one group: its epoch or step) with the highest number, or null. */
    static Path highestNumbered(Path dir, Pattern numbered) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        Path best = null;
        long bestNumber = -1;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = numbered.matcher(p.getFileName().toString());
                if (m.matches() && Long.parseLong(m.group(1)) > bestNumber) {
                    bestNumber = Long.parseLong(m.group(1));
                    best = p;
                }
            }
        }
        return best;
    }

    /**
     * The data rows of a log CSV whose first column (epoch or step) is at most {@code upTo}: the rows a resumed run
     * keeps, the header, blank lines and comment lines left out.
     */
    static List<String> rowsUpTo(Path csv, long upTo) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.exists(csv)) return out;
        for (String line : Files.readAllLines(csv)) {
            if (line.isEmpty() || !Character.isDigit(line.charAt(0))) continue;
            if (Long.parseLong(line.substring(0, line.indexOf(','))) <= upTo) out.add(line);
        }
        return out;
    }
}
