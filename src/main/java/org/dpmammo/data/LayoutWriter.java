package org.dpmammo.data;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.dpmammo.util.AtomicFiles;

/**
 * Writes a dataset in the study's layout {@code <out>/<split>/is_benign_<true|false>/<name>} all or nothing: files go
 * into a hidden sibling folder that is renamed to {@code out} only by {@link #commit()}; closing without committing
 * deletes it. A crash or an error therefore never leaves a half-written dataset that a reader would take as whole.
 */
public final class LayoutWriter implements AutoCloseable {
    /** Concurrent writers in {@link #writeAll}: enough to hide fsync latency, few enough for a laptop disk. */
    private static final int WRITERS = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path out;
    private final Path staging;
    /** Names already claimed, so that two parallel writes of one name fail instead of one replacing the other. */
    private final Set<Path> claimed = ConcurrentHashMap.newKeySet();
    private boolean committed;

    private LayoutWriter(Path out, Path staging) {
        this.out = out;
        this.staging = staging;
    }

    /** Starts writing {@code out}, which must not exist or be an empty folder. */
    public static LayoutWriter create(Path out) throws IOException {
        Path abs = out.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) throw new IOException(out + ": exists and is not a folder");
            try (Stream<Path> s = Files.list(abs)) {
                if (s.findAny().isPresent()) throw new IOException(out + ": folder exists and is not empty");
            }
        }
        Path parent = abs.getParent();
        Files.createDirectories(parent);
        String prefix = stagingPrefix(abs);
        removeAbandoned(parent, prefix);
        // Created as an ordinary folder (0777 less the umask), not a private temporary one, since it becomes the
        // dataset; the random part keeps two writers of one output apart.
        Path staging = null;
        while (staging == null) {
            try {
                staging = Files.createDirectory(parent.resolve(prefix + ProcessHandle.current().pid() + "-" + Long.toUnsignedString(RANDOM.nextLong())));
            } catch (FileAlreadyExistsException e) {
                // drawn twice: draw again
            }
        }
        return new LayoutWriter(abs, staging);
    }

    /** Staging folders of {@code out} are named {@code .<name>.partial-<pid>-<random>}. */
    private static String stagingPrefix(Path out) {
        return "." + out.getFileName() + ".partial-";
    }

    /**
     * Deletes staging folders of the same output left by a process that is gone (killed part-way: close() never ran),
     * which used to stay behind as hidden folders of tens of MB that no rerun removed. A folder whose writer is still
     * alive is left alone.
     */
    private static void removeAbandoned(Path parent, String prefix) throws IOException {
        List<Path> stale;
        try (Stream<Path> s = Files.list(parent)) {
            stale = s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p) && !writerAlive(p, prefix)).toList();
        }
        for (Path p : stale) deleteTree(p);
    }

    private static boolean writerAlive(Path staging, String prefix) {
        String rest = staging.getFileName().toString().substring(prefix.length());
        int dash = rest.indexOf('-');
        try {
            long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false; // not a name this class writes: a partial folder from before pids were recorded
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    public void writePng(String split, int label, String fileName, GrayImage image) throws IOException {
        ImageIo.writePng(staged(split, label, fileName), image);
    }

    public void copy(String split, int label, Path source) throws IOException {
        byte[] bytes = ImageIo.readBytes(source);
        AtomicFiles.writeBytes(staged(split, label, source.getFileName().toString()), bytes);
    }

    /** A text file at a path relative to the dataset root (a description, a summary). */
    public void writeText(String relative, String text) throws IOException {
        AtomicFiles.writeString(staging.resolve(relative), text);
    }

    private Path staged(String split, int label, String fileName) throws IOException {
        if (split.isEmpty() || split.contains("/") || split.contains("\\") || split.startsWith(".")) {
            throw new IOException("invalid split name '" + split + "'");
        }
        Path p = staging.resolve(split).resolve(Labels.folder(label)).resolve(fileName);
        if (!claimed.add(p)) throw new FileAlreadyExistsException(p.toString(), null, "two images named " + fileName + " in split " + split);
        return p;
    }

    /** One write of a batch of writes, by index. */
    @FunctionalInterface
    public interface IndexedWrite {
        void write(int index) throws IOException;
    }

    /**
     * Runs writes 0..count-1 on several threads and waits for all. Each file is fsynced on its own, so the time goes
     * to waiting on the disk; overlapping those waits is what makes writing thousands of patches take seconds.
     * The first failure is rethrown after the others stop.
     */
    public void writeAll(int count, IndexedWrite body) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                done.add(pool.submit(() -> {
                    body.write(index);
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing " + out, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            throw new IOException(c.getMessage(), c);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Makes the written dataset visible at {@code out} in one rename. */
    public void commit() throws IOException {
        try {
            Files.deleteIfExists(out); // an empty folder the user made beforehand
        } catch (DirectoryNotEmptyException e) {
            throw new IOException(out + ": folder was filled while writing");
        }
        try {
            Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, out);
        }
        committed = true;
    }

    @Override
    public void close() throws IOException {
        if (committed || !Files.exists(staging)) return;
        deleteTree(staging);
    }
}
