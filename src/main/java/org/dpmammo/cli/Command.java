package org.dpmammo.cli;

import java.io.PrintStream;

/** One top-level command of the {@code dpmammo} tool. Parses its own arguments and calls the layers below. */
public interface Command {
    /** The word that selects this command on the command line. */
    String name();

    /** One line for the command list. */
    String summary();

    /**
     * Whether the command computes with tensors, so that {@code java -jar} relaunches with the Vector API for it
     * ({@link VectorRelaunch}); commands that only do arithmetic on numbers or files say no and start faster.
     */
    default boolean computesWithTensors() {
        return true;
    }

    /**
     * Runs the command.
     *
     * @return the exit status: 0 success, 1 failure
     * @throws UsageException for bad usage or bad input values (exit status 2)
     */
    int run(String[] args, PrintStream out, PrintStream err) throws Exception;

    /** No arguments, or --help/-h first: a command with subcommands then lists them (on stderr when nothing was asked). */
    static boolean asksForHelp(String[] args) {
        return args.length == 0 || args[0].equals("--help") || args[0].equals("-h");
    }
}
