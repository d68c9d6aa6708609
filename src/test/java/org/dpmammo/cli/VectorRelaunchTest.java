package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.dpmammo.backend.cpu.Sgemm;
import org.junit.jupiter.api.Test;

/**
 * The relaunch of {@code java -jar} with the Vector API: the decision, and the plumbing checked on real child JVMs
 * started here without the module (this test's own JVM has it, from the surefire argLine).
 */
class VectorRelaunchTest {
    /** A stand-in program: relaunches like Main, then reports what the JVM doing the work sees. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            OptionalInt child = VectorRelaunch.relaunchIfNeeded(Probe.class.getName(), args, true);
            if (child.isPresent()) System.exit(child.getAsInt());
            boolean module = ModuleLayer.boot().findModule(VectorRelaunch.MODULE).isPresent();
            long pid = ProcessHandle.current().pid();
            if (args[0].equals("sleep")) {
                System.out.println("pid=" + pid);
                System.out.flush();
                Thread.sleep(120_000);
                return;
            }
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            System.out.println("module=" + module + " pid=" + pid + " prop=" + System.getProperty("probe.prop")
                    + " env=" + System.getProperty("probe.env") + " stdin=" + line);
            System.err.println("probe stderr");
            System.exit(Integer.parseInt(args[1]));
        }
    }

    private static ProcessBuilder java(List<String> jvmOptions, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(VectorRelaunch.GUARD_ENV);
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        return pb;
    }

    private record Result(int rc, String out, String err) {}

    private static Result run(ProcessBuilder pb, String stdin) throws Exception {
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        // Small outputs: reading one stream to its end cannot block the other.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void theChildGetsTheModuleOptionsArgumentsStreamsAndItsStatusComesBack() throws Exception {
        ProcessBuilder pb = java(List.of("-Dprobe.prop=kept", "-Xmx256m"), Probe.class.getName(), "echo", "7");
        pb.environment().put("JDK_JAVA_OPTIONS", "-Dprobe.env=yes");
        Result r = run(pb, "hello from stdin\n");
        assertEquals(7, r.rc(), r.err());
        assertTrue(r.out().startsWith("module=true "), r.out());
        assertTrue(r.out().contains(" prop=kept env=yes stdin=hello from stdin"), r.out());
        assertTrue(r.err().contains("probe stderr"), r.err());
        assertEquals(1, r.err().split("Picked up JDK_JAVA_OPTIONS", -1).length - 1,
                "the environment's options reach the child once, not twice: " + r.err());
    }

    @Test
    void scalarOnRequestRunsInTheFirstJvm() throws Exception {
        Result r = run(java(List.of("-Ddpmammo.simd=scalar"), Probe.class.getName(), "echo", "0"), "x\n");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().startsWith("module=false "), r.out());
    }

    @Test
    void stoppingTheParentStopsTheChild() throws Exception {
        for (boolean forcibly : new boolean[] {false, true}) {
            Process parent = java(List.of(), Probe.class.getName(), "sleep").start();
            String first = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(first != null && first.startsWith("pid="), "probe printed " + first);
            long childPid = Long.parseLong(first.substring(4).trim());
            assertNotEquals(parent.pid(), childPid, "the work runs in a child JVM");
            Optional<ProcessHandle> child = ProcessHandle.of(childPid);
            assertTrue(child.isPresent() && child.get().isAlive());
            if (forcibly) parent.destroyForcibly(); else parent.destroy();
            assertTrue(parent.waitFor(30, TimeUnit.SECONDS), "parent stopped");
            // SIGTERM: the parent's hook stops the child; SIGKILL: the child's watch notices within seconds.
            child.get().onExit().get(30, TimeUnit.SECONDS);
            assertFalse(child.get().isAlive(), (forcibly ? "SIGKILL" : "SIGTERM") + " to the parent left the child running");
        }
    }

    @Test
    void plainMainRunsTheSameKernelAsAJvmWithTheModule() throws Exception {
        Result r = run(java(List.of(), Main.class.getName(), "--version"), "");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("GEMM kernel " + Sgemm.implementation() + ","), r.out() + " vs " + Sgemm.implementation());
        assertFalse(r.err().contains("SIMD GEMM off"), r.err());
    }

    private static VectorRelaunch.Situation plain() {
        return new VectorRelaunch.Situation(false, true, null, false, true, true);
    }

    @Test
    void decision() {
        assertNull(VectorRelaunch.reasonToStay(plain()), "plain java -jar on a full JDK relaunches");
        assertNull(VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, "vector", false, true, true)));
        assertNull(VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, "auto", false, true, true)));
        assertEquals(VectorRelaunch.MODULE + " is loaded",
                VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(true, true, null, false, true, true)));
        assertEquals("the command does no tensor work",
                VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, false, null, false, true, true)));
        assertEquals("-Ddpmammo.simd=scalar",
                VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, " Scalar", false, true, true)));
        assertEquals("this JVM is the relaunched child",
                VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, null, true, true, true)));
        assertTrue(VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, null, false, false, true)).contains("no jdk.incubator.vector"));
        assertTrue(VectorRelaunch.reasonToStay(new VectorRelaunch.Situation(false, true, null, false, true, false)).contains("bin/java"));
        assertTrue(VectorRelaunch.debuggerAttached(List.of("-Xmx1g", "-agentlib:jdwp=transport=dt_socket,server=y")));
        assertTrue(VectorRelaunch.debuggerAttached(List.of("-Xrunjdwp:transport=dt_socket")));
        assertFalse(VectorRelaunch.debuggerAttached(List.of("-Xmx1g", "-javaagent:x.jar")));
    }

    @Test
    void onlyCommandsThatComputeRelaunch() {
        assertTrue(Main.computesWithTensors(new String[] {"demo"}));
        assertTrue(Main.computesWithTensors(new String[] {"bench", "privacy"}));
        assertTrue(Main.computesWithTensors(new String[] {"--version"}));
        assertFalse(Main.computesWithTensors(new String[] {"privacy", "epsilon"}));
        assertFalse(Main.computesWithTensors(new String[] {"data", "inspect"}));
        assertFalse(Main.computesWithTensors(new String[] {"--help"}));
        assertFalse(Main.computesWithTensors(new String[] {"no-such-command"}));
        assertFalse(Main.computesWithTensors(new String[0]));
    }

    @Test
    void childCommandLine() {
        List<String> cmd = VectorRelaunch.childCommand(Path.of("/jdk/bin/java"), List.of("-Xmx2g", "-Dx=1"), "a.jar",
                "org.dpmammo.cli.Main", new String[] {"demo", "--out", "d"});
        assertEquals(List.of("/jdk/bin/java", "-Xmx2g", "-Dx=1", "--add-modules=jdk.incubator.vector", "-cp", "a.jar",
                "org.dpmammo.cli.Main", "demo", "--out", "d"), cmd);
    }
}
