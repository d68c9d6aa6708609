package org.dpmammo.cli.bench;

import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** One family of benchmarks reachable as {@code dpmammo bench <name>}. */
public interface Benchmark {
    String name();

    String summary();

    /** Options beyond the shared ones (--json, --help, --threads); may be empty. */
    Options options();

    /** Runs the benchmark and prints a table, or one JSON document when {@code json} is set. */
    void run(CommandLine cl, PrintStream out, boolean json) throws Exception;

    /**
     * A benchmark that computes through {@code Backends.current()}, so {@code --device} picks where it runs; the command
     * installs the chosen backend around {@link #run}.
     */
    interface OnDevice extends Benchmark {}

    /** The options of a benchmark, in the order its help lists them. */
    static Options options(Option... options) {
        Options o = new Options();
        for (Option option : options) o.addOption(option);
        return o;
    }
}
