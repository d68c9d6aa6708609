package org.dpmammo.cli;

import java.io.PrintStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/** Shared argument handling so every command parses, validates and prints help the same way. */
public final class CliSupport {
    private CliSupport() {}

    /** Adds the --help flag every command accepts. */
    public static Options withHelp(Options options) {
        options.addOption(Option.builder("h").longOpt("help").desc("show this help and exit").build());
        return options;
    }

    /**
     * Parses arguments, turning Commons CLI errors into a {@link UsageException} that names the command. A flag given
     * twice is refused unless it is declared repeatable ({@code hasArgs}, like --train): Commons CLI would keep the
     * first value silently, so {@code --target-epsilon 8 --target-epsilon 1} trained at ε = 8.
     */
    public static CommandLine parse(String command, Options options, String[] args) {
        CommandLine cl;
        try {
            cl = new DefaultParser().parse(options, args);
        } catch (ParseException e) {
            throw new UsageException(command + ": " + e.getMessage());
        }
        Set<String> seen = new HashSet<>();
        for (Option o : cl.getOptions()) {
            String name = o.getLongOpt() != null ? "--" + o.getLongOpt() : "-" + o.getOpt();
            if (!o.hasArgs() && !seen.add(name)) throw new UsageException(command + ": " + name + " is given more than once");
        }
        return cl;
    }

    /** Prints usage with a header and footer wrapped to 100 columns. */
    public static void printHelp(PrintStream out, String usage, String header, Options options, String footer) {
        PrintWriter w = new PrintWriter(out);
        HelpFormatter f = new HelpFormatter();
        f.setWidth(100);
        f.printHelp(w, 100, usage, header == null ? "" : "\n" + header + "\n\n", options, 2, 2,
                footer == null ? "" : "\n" + footer, false);
        w.flush();
    }

    /**
     * The folder named by --out, or refusal (exit 2) saying what is wrong with it: a file, a non-empty folder where
     * an empty one is needed, a path under a file, or a place that is not writable. Checked before any work, so that
     * a refused run writes nothing.
     */
    public static Path outFolder(CommandLine cl, boolean mustBeEmpty) {
        Path out = Path.of(required(cl, "out"));
        Path abs = out.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            if (mustBeEmpty && !isEmptyFolder(abs)) throw new UsageException("--out " + out + ": exists and is not empty (use a new folder)");
            if (!Files.isWritable(abs)) throw new UsageException("--out " + out + ": folder is not writable");
            return out;
        }
        if (Files.exists(abs)) throw new UsageException("--out " + out + ": exists and is a file, not a folder");
        Path p = abs.getParent();
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p != null && !Files.isDirectory(p)) throw new UsageException("--out " + out + ": cannot be created, " + p + " is a file");
        if (p != null && !Files.isWritable(p)) throw new UsageException("--out " + out + ": cannot be created, " + p + " is not writable");
        return out;
    }

    /**
     * Runs a training command's work in a run folder. When the folder did not exist before and the run is refused as
     * bad input (exit 2), the folder it began is removed, so that a refusal leaves nothing behind — unless it holds a
     * ledger: budget already spent is never deleted.
     */
    public static <T> T inRunFolder(Path out, Work<T> work) throws Exception {
        boolean fresh = !Files.exists(out);
        try {
            return work.run();
        } catch (Exception e) {
            if (fresh && (e instanceof UsageException || Main.badInput(e)) && !Files.exists(out.resolve("ledger.json"))) deleteTree(out);
            throw e;
        }
    }

    /** The work of {@link #inRunFolder}. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static boolean isEmptyFolder(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UsageException("--out " + dir + ": cannot list it (" + e.getMessage() + ")");
        }
    }

    public static double doubleOpt(CommandLine cl, String name, double dflt) {
        String v = cl.getOptionValue(name);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": expected a number, got '" + v + "'");
        }
    }

    public static long longOpt(CommandLine cl, String name, long dflt) {
        String v = cl.getOptionValue(name);
        if (v == null) return dflt;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": expected a whole number, got '" + v + "'");
        }
    }

    public static int intOpt(CommandLine cl, String name, int dflt) {
        long v = longOpt(cl, name, dflt);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) throw new UsageException("--" + name + ": " + v + " is out of range");
        return (int) v;
    }

    /** An option that takes one value, {@code --name ARG}. */
    public static Option valued(String name, String arg, String description) {
        return Option.builder().longOpt(name).hasArg().argName(arg).desc(description).build();
    }

    /** An option without a value, {@code --name}. */
    public static Option flag(String name, String description) {
        return Option.builder().longOpt(name).desc(description).build();
    }

    /**
     * A positive whole-number option (sizes, counts, repetitions), its default when absent; anything else is a usage
     * error naming the flag.
     */
    public static int positiveInt(CommandLine cl, String name, int dflt) {
        int v = intOpt(cl, name, dflt);
        if (v < 1) throw new UsageException("--" + name + " must be a positive whole number, got " + v);
        return v;
    }

    public static String required(CommandLine cl, String name) {
        String v = cl.getOptionValue(name);
        if (v == null) throw new UsageException("missing required option --" + name);
        return v;
    }
}
