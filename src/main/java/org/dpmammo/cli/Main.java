package org.dpmammo.cli;

import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.dpmammo.util.Parallel;
import org.dpmammo.backend.cpu.Sgemm;
import org.dpmammo.util.BadInputException;
import org.dpmammo.autograd.NotFiniteException;
import org.dpmammo.util.BuildInfo;

/** Entry point of {@code java -jar dpmammo.jar}: dispatches to one command. */
public final class Main {
    private Main() {}

    /** Every command, in the order {@code --help} lists them. */
    static List<Command> commands() {
        return List.of(
                new PrivacyCommand(),
                new SelftestCommand(),
                new DataCommand(),
                new AuditCommand(),
                new GanCommand(),
                new ClassifierCommand(),
                new ExperimentCommand(),
                new DemoCommand(),
                new BenchCommand());
    }

    public static void main(String[] args) {
        OptionalInt child = VectorRelaunch.relaunchIfNeeded(Main.class.getName(), args, computesWithTensors(args));
        System.exit(child.isPresent() ? child.getAsInt() : run(args, System.out, System.err));
    }

    /** Whether this command line runs a command that uses the GEMM kernels; {@code --version} names the kernel. */
    static boolean computesWithTensors(String[] args) {
        if (args.length == 0) return false;
        if (args[0].equals("--version")) return true;
        return commands().stream().anyMatch(c -> c.name().equals(args[0]) && c.computesWithTensors());
    }

    /** Runs a command line and returns its exit status; used by tests too. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printUsage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("--version")) {
            out.println("dpmammo " + BuildInfo.version() + " (Java " + Runtime.version() + ", GEMM kernel " + Sgemm.implementation()
                    + ", " + Parallel.threads() + " threads)");
            return 0;
        }
        for (Command c : commands()) {
            if (c.name().equals(args[0])) {
                String[] rest = Arrays.copyOfRange(args, 1, args.length);
                try {
                    int rc = c.run(rest, out, err);
                    out.flush();
                    return rc;
                } catch (UsageException e) {
                    err.println("dpmammo " + c.name() + ": " + e.getMessage());
                    return 2;
                } catch (Exception | OutOfMemoryError | StackOverflowError e) {
                    err.println("dpmammo " + c.name() + ": " + describe(e));
                    if (Boolean.getBoolean("dpmammo.trace")) e.printStackTrace(err);
                    return badInput(e) ? 2 : 1;
                }
            }
        }
        err.println("dpmammo: unknown command '" + args[0] + "' (try dpmammo --help)");
        return 2;
    }

    /**
     * A damaged image or checkpoint anywhere in the cause chain is bad input (exit 2, as docs/SECURITY.md says),
     * however deep it surfaced (a loader thread wraps it).
     */
    static boolean badInput(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException) return true;
        }
        return false;
    }

    private static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NotFiniteException) {
                return "the computation produced NaN (" + t.getMessage() + "): training diverged (try a smaller --lr) or an input or"
                        + " weight holds NaN";
            }
        }
        String m = e.getMessage();
        String line = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        if (e instanceof FileSystemException f && f.getReason() == null) line = describe(f);
        int nl = line.indexOf('\n');
        return nl >= 0 ? line.substring(0, nl) : line;
    }

    /**
     * A file-system failure without a reason prints as the bare path ("/proc/nope"); its type says what went wrong.
     */
    private static String describe(FileSystemException f) {
        String why;
        if (f instanceof NoSuchFileException) why = "no such file or folder (or it cannot be created there)";
        else if (f instanceof AccessDeniedException) why = "permission denied";
        else if (f instanceof FileAlreadyExistsException) why = "already exists and is in the way";
        else if (f instanceof NotDirectoryException) why = "not a folder";
        else if (f instanceof DirectoryNotEmptyException) why = "folder is not empty";
        else why = f.getClass().getSimpleName();
        return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + why;
    }

    private static void printUsage(PrintStream out) {
        out.println("dpmammo " + BuildInfo.version() + " — privacy-preserving deep learning for breast imaging");
        out.println();
        out.println("usage: java -jar dpmammo.jar <command> [options]     (each command has --help)");
        out.println();
        out.println("commands:");
        for (Command c : commands()) out.printf("  %-12s %s%n", c.name(), c.summary());
        out.println();
        out.println("Set -Ddpmammo.trace=true to print stack traces of failures.");
    }
}
