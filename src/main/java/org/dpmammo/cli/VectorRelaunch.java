package org.dpmammo.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Gives a plain {@code java -jar dpmammo.jar} the SIMD kernels. Java 17 loads the incubator module
 * jdk.incubator.vector only when the command line asks for it, and a jar manifest cannot ask (there is no
 * Add-Modules attribute), so without it every GEMM runs the scalar kernel, 2–3× slower. When the module is missing
 * and the command computes with tensors, the program starts itself again in a child JVM — the same java binary
 * (this runtime's {@code java.home}), the same JVM options, class path and arguments, plus
 * {@code --add-modules jdk.incubator.vector} — with the standard streams inherited, and exits with the child's
 * status. The cost is one more JVM start (measured in docs/BENCHMARKS.md), paid only by the commands that train or
 * benchmark; {@code privacy} and {@code data} never relaunch.
 *
 * <p>Termination goes through: a SIGTERM or SIGINT to the parent runs its shutdown hook, which sends SIGTERM to the
 * child and waits for it (so the child's own hooks clean up half-written files); a child whose parent vanishes
 * without running hooks (SIGKILL) notices within seconds and stops. The child's environment names the parent's pid
 * in {@value #GUARD_ENV}; a JVM whose parent is that pid never relaunches, so a child can never start another.
 *
 * <p>No relaunch, and the in-process scalar fallback with Sgemm's one-line note, where: the module is loaded
 * already; {@code -Ddpmammo.simd=scalar} asks for scalar; this runtime has no such module (a jlinked image built
 * without it); its {@code bin/java} is missing; or a JDWP debugger agent is attached. A child that fails to start
 * also falls back.
 */
final class VectorRelaunch {
    static final String MODULE = "jdk.incubator.vector";
    /** Set in the child's environment to the parent's pid. */
    static final String GUARD_ENV = "DPMAMMO_RELAUNCHED_BY";
    /** The launcher and the JVM read these from the environment, and their options are in the input arguments
     *  already; the child gets them once, on its command line. */
    private static final List<String> OPTION_ENV = List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS");
    /** How long the parent's shutdown hook waits for the child to finish its own hooks before killing it. */
    private static final long CHILD_STOP_SECONDS = 10;

    private VectorRelaunch() {}

    /** What this JVM knows about itself that bears on the relaunch; a record so tests can state each case. */
    record Situation(boolean moduleLoaded, boolean commandComputes, String simd, boolean relaunchedChild,
                     boolean moduleInRuntime, boolean javaFound) {}

    /** Why this JVM runs the command itself, or null when it should relaunch (then {@link #debuggerAttached} decides). */
    static String reasonToStay(Situation s) {
        if (s.moduleLoaded()) return MODULE + " is loaded";
        if (!s.commandComputes()) return "the command does no tensor work";
        if (s.simd() != null && s.simd().trim().toLowerCase(Locale.ROOT).equals("scalar")) return "-Ddpmammo.simd=scalar";
        if (s.relaunchedChild()) return "this JVM is the relaunched child";
        if (!s.moduleInRuntime()) return "this Java runtime has no " + MODULE + " module";
        if (!s.javaFound()) return "this Java runtime has no bin/java";
        return null;
    }

    /** The debugger must see the process that does the work, and its port cannot be bound twice. */
    static boolean debuggerAttached(List<String> jvmOptions) {
        return jvmOptions.stream().anyMatch(o -> o.startsWith("-agentlib:jdwp") || o.startsWith("-Xrunjdwp"));
    }

    /** The child's command line: java, the parent's JVM options, the module, the class path, main class, arguments. */
    static List<String> childCommand(Path java, List<String> jvmOptions, String classPath, String mainClass, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        cmd.add("--add-modules=" + MODULE);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs {@code mainClass} with {@code args} in a child JVM with the Vector API when this JVM lacks it and
     * {@code commandComputes}, and returns the child's exit status; empty means "run the command here". In a
     * relaunched child, also starts the watch that stops it when its parent disappears.
     */
    static OptionalInt relaunchIfNeeded(String mainClass, String[] args, boolean commandComputes) {
        boolean moduleLoaded = ModuleLayer.boot().findModule(MODULE).isPresent();
        boolean child = isRelaunchedChild();
        if (child) watchParent();
        if (moduleLoaded || !commandComputes) return OptionalInt.empty(); // the common cases, before any lookup
        Path java = javaExecutable();
        Situation s = new Situation(false, true, System.getProperty("dpmammo.simd"), child,
                ModuleFinder.ofSystem().find(MODULE).isPresent(), Files.isExecutable(java));
        if (reasonToStay(s) != null) return OptionalInt.empty();
        // Read only here: the management bean costs 20–30 ms of start-up.
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments();
        if (debuggerAttached(options)) return OptionalInt.empty();
        try {
            return OptionalInt.of(runChild(childCommand(java, options, System.getProperty("java.class.path"), mainClass, args)));
        } catch (IOException e) {
            // Nothing has run yet, so the command can still run here, on the scalar kernel, with Sgemm's note.
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.of(130);
        }
    }

    private static int runChild(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        OPTION_ENV.forEach(pb.environment()::remove);
        pb.environment().put(GUARD_ENV, Long.toString(ProcessHandle.current().pid()));
        Process child = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child), "dpmammo-stop-child"));
        return child.waitFor();
    }

    /** From the parent's shutdown hook: nothing to do after a normal exit, since the parent waits for the child. */
    private static void stop(Process child) {
        if (!child.isAlive()) return;
        child.destroy();
        try {
            if (!child.waitFor(CHILD_STOP_SECONDS, TimeUnit.SECONDS)) child.destroyForcibly();
        } catch (InterruptedException e) {
            child.destroyForcibly();
        }
    }

    private static boolean isRelaunchedChild() {
        String guard = System.getenv(GUARD_ENV);
        if (guard == null) return false;
        // The variable leaks into anything the child starts; only the direct child of the named pid is one.
        return ProcessHandle.current().parent().map(p -> Long.toString(p.pid()).equals(guard.trim())).orElse(false);
    }

    /** The parent only exits after the child, so a parent gone first was killed outright: stop too, running hooks. */
    private static void watchParent() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("dpmammo: the launching JVM (pid " + parent.pid() + ") ended; stopping");
            System.exit(143);
        }));
    }

    private static Path javaExecutable() {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        return Path.of(System.getProperty("java.home"), "bin", windows ? "java.exe" : "java");
    }
}
