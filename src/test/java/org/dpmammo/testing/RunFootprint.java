package org.dpmammo.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs a main class in a child JVM under {@link NoNetwork}, in a sandbox of fresh folders — the working directory,
 * HOME (and {@code user.home}), the temporary folder ({@code java.io.tmpdir} and TMPDIR), inputs and outputs — and
 * reports what the run did outside the outputs it was given: files created, changed or removed anywhere in the
 * sandbox (outside the temporary folder), every socket the Java code asked for, and, where {@code strace} is
 * installed, every file-writing system call anywhere on the machine and every IPv4/IPv6 connect, send or bind of the
 * whole process tree (native code included).
 */
public final class RunFootprint {
    /** The JDK's own font-configuration cache ({@code sun.font.FcFontConfiguration}), written on first text drawing. */
    public static final String JDK_FONT_CACHE = ".java/fonts";

    public final Path root, cwd, home, tmp, in, out;
    private final boolean strace;

    /** What a run did: its exit status and output, and each thing it did that it should not have. */
    public record Result(int rc, String stdout, String stderr, List<String> violations, boolean traced) {}

    public RunFootprint(Path root) throws IOException {
        this.root = root;
        cwd = Files.createDirectories(root.resolve("cwd"));
        home = Files.createDirectories(root.resolve("home"));
        tmp = Files.createDirectories(root.resolve("tmp"));
        in = Files.createDirectories(root.resolve("in"));
        out = Files.createDirectories(root.resolve("out"));
        strace = straceWorks();
    }

    /** Whether strace is installed and allowed to trace (it is not in every container). */
    private static boolean straceWorks() {
        try {
            Process p = new ProcessBuilder("strace", "-f", "-qq", "-e", "trace=none", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    public boolean traced() {
        return strace;
    }

    /**
     * Runs {@code mainClass args} with {@code allowed} the outputs it may create or change (files or folders; their
     * atomic-write staging siblings {@code .NAME.*} beside them are allowed while they exist). {@code jdkFontCache}:
     * whether the JDK's font cache under HOME is allowed.
     */
    public Result run(String mainClass, List<Path> allowed, boolean jdkFontCache, String... args) throws Exception {
        Map<Path, String> before = snapshot();
        Path trace = root.resolve("trace-" + System.nanoTime() + ".log");
        List<String> cmd = new ArrayList<>();
        if (strace) {
            cmd.addAll(List.of("strace", "-f", "-qq", "--seccomp-bpf", "-y", "-s", "4096", "-o", trace.toString(), "-e",
                    "trace=connect,sendto,sendmsg,sendmmsg,bind,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,"
                            + "rmdir,link,linkat,symlink,symlinkat,truncate"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(NoNetwork.jvmOptions());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-Xmx2g", "-Duser.home=" + home, "-Djava.io.tmpdir=" + tmp, "-cp",
                System.getProperty("java.class.path"), NoNetwork.class.getName(), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Path stdout = root.resolve("stdout.txt"), stderr = root.resolve("stderr.txt");
        Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", args));
        }
        String o = Files.readString(stdout), e = Files.readString(stderr);
        Files.delete(stdout);
        Files.delete(stderr);
        List<String> violations = new ArrayList<>();
        if (p.exitValue() == NoNetwork.EXIT_NETWORK) violations.add("asked for a socket: " + e.strip());
        Map<Path, String> after = snapshot();
        for (Map.Entry<Path, String> f : after.entrySet()) {
            if (!f.getValue().equals(before.get(f.getKey())) && !permitted(f.getKey(), allowed, jdkFontCache)) {
                violations.add((before.containsKey(f.getKey()) ? "changed " : "created ") + f.getKey());
            }
        }
        for (Path f : before.keySet()) {
            if (!after.containsKey(f) && !permitted(f, allowed, jdkFontCache)) violations.add("removed " + f);
        }
        if (strace) {
            violations.addAll(traceViolations(Files.readAllLines(trace), allowed, jdkFontCache));
            Files.delete(trace);
        }
        return new Result(p.exitValue(), o, e, violations, strace);
    }

    /** Every file and folder in the sandbox except the temporary folder, with its size and modification time. */
    private Map<Path, String> snapshot() throws IOException {
        Map<Path, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                if (f.equals(root) || f.startsWith(tmp) || f.getFileName().toString().startsWith("trace-")) continue;
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                m.put(f, a.isDirectory() ? "dir" : a.size() + "@" + a.lastModifiedTime().toMillis());
            }
        }
        return m;
    }

    private boolean permitted(Path f, List<Path> allowed, boolean jdkFontCache) {
        Path n = f.toAbsolutePath().normalize();
        for (Path a : allowed) {
            Path t = a.toAbsolutePath().normalize();
            if (n.startsWith(t)) return true;
            // Atomic writes stage beside their target: .NAME.<random>.tmp, .NAME.partial-<random>/…
            Path parent = t.getParent();
            if (parent != null && n.startsWith(parent) && n.getNameCount() > parent.getNameCount()
                    && n.getName(parent.getNameCount()).toString().startsWith("." + t.getFileName() + ".")) {
                return true;
            }
        }
        Path fonts = home.resolve(JDK_FONT_CACHE);
        return n.startsWith(tmp) || (jdkFontCache && (n.startsWith(fonts) || n.equals(fonts.getParent())));
    }

    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)$");
    private static final Pattern RESUMED = Pattern.compile("^(\\d+)\\s+<\\.\\.\\. (\\w+) resumed>(.*)$");
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern DIRFD = Pattern.compile("^(?:AT_FDCWD|-?\\d+)<([^>]*)>");
    private static final Pattern INET = Pattern.compile("sa_family=AF_INET6?\\b");

    /** Reads strace's log: whole calls (an unfinished call joined with its resumption), then judges each. */
    private List<String> traceViolations(List<String> lines, List<Path> allowed, boolean jdkFontCache) {
        Map<String, String> pending = new TreeMap<>();
        List<String[]> calls = new ArrayList<>();
        for (String line : lines) {
            Matcher r = RESUMED.matcher(line);
            if (r.matches()) {
                String start = pending.remove(r.group(1));
                if (start != null) calls.add(new String[] {r.group(2), start + r.group(3)});
                continue;
            }
            Matcher c = CALL.matcher(line);
            if (!c.matches()) continue;
            if (c.group(3).endsWith("<unfinished ...>")) pending.put(c.group(1), c.group(3).substring(0, c.group(3).length() - "<unfinished ...>".length()));
            else calls.add(new String[] {c.group(2), c.group(3)});
        }
        List<String> out = new ArrayList<>();
        for (String[] call : calls) {
            String name = call[0], rest = call[1];
            if (List.of("connect", "sendto", "sendmsg", "sendmmsg", "bind").contains(name)) {
                if (INET.matcher(rest).find()) out.add("network system call: " + name + "(" + rest);
                continue;
            }
            if (rest.matches(".*\\)\\s+= -1 .*")) continue; // failed: wrote nothing
            boolean opening = name.startsWith("open");
            if (opening && !rest.matches(".*\\b(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC)\\b.*")) continue;
            Matcher dirfd = DIRFD.matcher(rest);
            String base = dirfd.find() ? dirfd.group(1) : cwd.toString();
            Matcher s = STRING.matcher(rest);
            while (s.find()) {
                Path p = Path.of(base).resolve(s.group(1)).normalize();
                if (!permittedAnywhere(p, allowed, jdkFontCache)) out.add("wrote outside its outputs: " + name + "(" + rest);
                if (!name.startsWith("rename") && !name.startsWith("link") && !name.startsWith("symlink")) break;
            }
        }
        return out;
    }

    /** Outside the sandbox only the JVM's own bookkeeping may be written: /proc, /dev and the OS temp folder's perf data. */
    private boolean permittedAnywhere(Path p, List<Path> allowed, boolean jdkFontCache) {
        if (p.startsWith("/proc") || p.startsWith("/dev")) return true;
        if (p.startsWith("/tmp") && p.getNameCount() >= 2 && p.getName(1).toString().startsWith("hsperfdata_")) return true;
        return permitted(p, allowed, jdkFontCache);
    }

    /**
     * A program that writes where it was not asked to — {@code cwd}: a file in the working directory; {@code home}: one
     * under HOME; {@code os-tmp}: a file in /tmp itself (not java.io.tmpdir), removed again at once — to show each
     * check fails such a run.
     */
    public static final class StrayWriter {
        public static void main(String[] args) throws IOException {
            switch (args[0]) {
                case "cwd" -> Files.writeString(Path.of("stray.txt"), "x");
                case "home" -> Files.writeString(Files.createDirectories(Path.of(System.getProperty("user.home"), ".dpmammo")).resolve("x"), "x");
                case "os-tmp" -> Files.delete(Files.createTempFile(Path.of("/tmp"), "stray", ".txt"));
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }
}
