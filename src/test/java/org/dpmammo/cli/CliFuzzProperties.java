package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;

/**
 * A generated fuzz of the whole command line: every command and subcommand, its options read from its own
 * {@code --help} (so a new option is fuzzed the day it is added), each try a cheap valid invocation with one thing
 * broken — a hostile value for one option, an unknown flag, a repeated flag, a value missing, a stray word. The
 * contract of docs/SECURITY.md must hold for every try: an answer within the time limit, exit 0, 1 or 2, a non-zero
 * exit said in exactly one line on stderr, never a programming error (a null pointer, an index out of range, an
 * arithmetic overflow) surfacing as the reason, and a refused run leaves its fresh output path unwritten.
 */
class CliFuzzProperties {
    private static final Duration LIMIT = Duration.ofSeconds(40);
    /** Exceptions that mean the code, not the input, is wrong: none may be the cause of a refusal. */
    private static final Set<String> PROGRAMMING_ERRORS = Set.of("java.lang.NullPointerException", "java.lang.ArrayIndexOutOfBoundsException",
            "java.lang.IndexOutOfBoundsException", "java.lang.StringIndexOutOfBoundsException", "java.lang.ClassCastException",
            "java.lang.ArithmeticException", "java.lang.NegativeArraySizeException", "java.lang.NumberFormatException",
            "java.lang.UnsupportedOperationException", "java.util.NoSuchElementException", "java.lang.StackOverflowError");
    private static final Pattern OPTION = Pattern.compile("^\\s+(?:-\\w,)?--([a-z0-9-]+)(?: <([^>]+)>)?");
    private static final List<String> SCALAR_HOSTILE = List.of("", " ", "-1", "0", "NaN", "-Infinity", "1e400", "1e-320", "abc",
            "9223372036854775808", "-9223372036854775809", "2147483648", "0x10", "1,2", "--", "ε", "\u0000");

    private static Path root;
    private static Map<String, List<String>> baselines;

    @BeforeContainer
    static void prepare() throws IOException {
        System.setProperty("dpmammo.trace", "true");
        root = Files.createTempDirectory("cli-fuzz");
        Path images = Files.createDirectories(root.resolve("images"));
        Random r = new Random(3);
        for (int i = 0; i < 8; i++) {
            short[] px = new short[32 * 32];
            for (int k = 0; k < px.length; k++) px[k] = (short) r.nextInt(256);
            ImageIo.writePng(images.resolve(i + (i % 2 == 0 ? "_benign.png" : "_malignant.png")), new GrayImage(32, 32, 255, px));
        }
        String img = images.toString();
        must("classifier", "train", "--train", img, "--val", img, "--out", root.resolve("clf").toString(), "--preset", "tiny", "--epochs", "1",
                "--batch-size", "4", "--device", "cpu", "--dp", "--target-epsilon", "8", "--reproducible-dp");
        must("gan", "train", "--data", img, "--out", root.resolve("gan").toString(), "--epochs", "1", "--batch", "4", "--checkpoint-every", "1", "--device", "cpu");
        String clfCheckpoint = only(root.resolve("clf"), ".safetensors");
        String ganCheckpoint = only(root.resolve("gan"), ".safetensors");
        String ledger = root.resolve("clf/ledger.json").toString();
        baselines = new LinkedHashMap<>();
        baselines.put("privacy epsilon", List.of("--sample-rate", "0.01", "--noise-multiplier", "1", "--steps", "100", "--delta", "1e-5", "--accountant", "rdp"));
        baselines.put("privacy sigma", List.of("--sample-rate", "0.01", "--target-epsilon", "8", "--steps", "100", "--delta", "1e-5", "--accountant", "rdp"));
        baselines.put("privacy steps", List.of("--sample-rate", "0.01", "--noise-multiplier", "1", "--target-epsilon", "8", "--delta", "1e-5", "--accountant", "rdp"));
        baselines.put("privacy ledger verify", List.of(ledger));
        baselines.put("privacy ledger report", List.of(ledger));
        baselines.put("data inspect", List.of(img));
        baselines.put("data phantom", List.of("--out", "@OUT", "--count", "8", "--size", "64"));
        baselines.put("data sheet", List.of(img, "--out", "@OUT.png"));
        baselines.put("gan sample", List.of("--checkpoint", ganCheckpoint, "--out", "@OUT", "--count", "4", "--device", "cpu"));
        baselines.put("gan evaluate", List.of("--real", img, "--synthetic", img));
        baselines.put("gan train", List.of("--data", img, "--out", "@OUT", "--epochs", "1", "--batch", "4", "--device", "cpu"));
        baselines.put("classifier train", List.of("--train", img, "--val", img, "--out", "@OUT", "--preset", "tiny", "--epochs", "1",
                "--batch-size", "4", "--device", "cpu"));
        baselines.put("classifier evaluate", List.of("--checkpoint", clfCheckpoint, "--data", img, "--device", "cpu"));
        baselines.put("classifier predict", List.of("--checkpoint", clfCheckpoint, "--data", img, "--out", "@OUT.csv", "--device", "cpu"));
        baselines.put("bench privacy", List.of("--steps", "10", "--rows", "2", "--reps", "1", "--prv-rows", "0"));
        baselines.put("selftest", List.of("--device", "cpu", "--failures-only", "--seed", "1"));
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        System.clearProperty("dpmammo.trace");
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Property(tries = 150)
    void everyCommandKeepsTheContractUnderOneBrokenThing(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        List<String> names = new ArrayList<>(baselines.keySet());
        String command = names.get(r.nextInt(names.size()));
        Map<String, String> options = options(command);
        Path out = Files.createTempDirectory(root, "try").resolve("out");
        List<String> args = new ArrayList<>();
        for (String a : baselines.get(command)) args.add(a.replace("@OUT", out.toString()));
        String broken = breakOne(r, args, options, out.getParent());

        String[] line = Stream.concat(Arrays.stream(command.split(" ")), args.stream()).toArray(String[]::new);
        String shown = String.join(" ", line) + "   [" + broken + "]";
        MainTest.Run run = assertTimeoutPreemptively(LIMIT, () -> new MainTest.Run(line), () -> shown + ": no answer within " + LIMIT);
        assertTrue(run.rc >= 0 && run.rc <= 2, shown + ": exit " + run.rc);
        if (broken.startsWith("unknown flag") || broken.startsWith("repeated") || broken.startsWith("missing value")) {
            assertEquals(2, run.rc, shown + " must be a usage error: " + run.err);
        }
        if (run.rc == 0) return;
        List<String> said = run.err.strip().lines().filter(l -> !isTrace(l)).toList();
        assertEquals(1, said.size(), shown + ": one line on stderr, got: " + run.err);
        String cause = thrown(run.err);
        if (cause != null && PROGRAMMING_ERRORS.contains(cause)) fail(shown + ": a programming error reached the user: " + run.err);
        if (run.rc == 2) assertFalse(Files.exists(out) || Files.exists(Path.of(out + ".png")) || Files.exists(Path.of(out + ".csv")),
                shown + ": refused but wrote " + out);
    }

    /** Found by this fuzz: a learning rate of 9.2e18 used to end in "logSoftmax: produced NaN …", naming an op, not the cause. */
    @Example
    void aDivergingRunSaysSoInOneLine() throws IOException {
        assertDivergesInOneLine("--lr", "training diverged (try a smaller --lr)");
    }

    /**
     * Found by this fuzz: a weight decay of 9.2e18 drove the weights to infinity without a NaN inside the step, and the
     * validation metrics' "a score is NaN" came out as a usage error (exit 2) with the run folder left behind.
     */
    @Example
    void weightsDrivenToInfinityAreADivergedRun() throws IOException {
        assertDivergesInOneLine("--weight-decay", "training diverged");
    }

    /** A one-epoch training run with {@code flag} at 2⁶³ fails (exit 1) with one line saying {@code said}. */
    private static void assertDivergesInOneLine(String flag, String said) throws IOException {
        Path out = Files.createTempDirectory(root, "diverge").resolve("out");
        String img = root.resolve("images").toString();
        MainTest.Run run = new MainTest.Run("classifier", "train", "--train", img, "--val", img, "--out", out.toString(), "--preset", "tiny",
                "--epochs", "1", "--batch-size", "4", "--device", "cpu", flag, "9223372036854775808");
        assertEquals(1, run.rc, run.err);
        List<String> lines = run.err.strip().lines().filter(l -> !isTrace(l)).toList();
        assertEquals(1, lines.size(), run.err);
        assertTrue(lines.get(0).contains(said), run.err);
    }

    /** Found by this fuzz: an unreadable --init-weights was refused after the run folder had been created. */
    @Example
    void aRefusedRunLeavesNoRunFolder() throws IOException {
        Path scratch = Files.createTempDirectory(root, "refused");
        Path out = scratch.resolve("out");
        Path empty = Files.writeString(scratch.resolve("empty.safetensors"), "");
        String img = root.resolve("images").toString();
        MainTest.Run run = new MainTest.Run("classifier", "train", "--train", img, "--val", img, "--out", out.toString(), "--preset", "tiny",
                "--epochs", "1", "--batch-size", "4", "--device", "cpu", "--init-weights", empty.toString());
        assertEquals(2, run.rc, run.err);
        assertTrue(run.err.contains("--init-weights"), run.err);
        assertFalse(Files.exists(out), "the refused run left " + out);
    }

    /** Breaks the invocation in one way; returns what it did, for the failure message. */
    private static String breakOne(Random r, List<String> args, Map<String, String> options, Path scratch) throws IOException {
        List<String> names = new ArrayList<>(options.keySet());
        names.removeAll(List.of("help", "device"));
        int kind = r.nextInt(10);
        if (kind == 0) {
            args.add("--no-such-flag");
            return "unknown flag";
        }
        List<String> valued = names.stream().filter(n -> options.get(n) != null).toList();
        if (kind == 1 && !valued.isEmpty()) {
            String name = valued.get(r.nextInt(valued.size()));
            args.add("--" + name);
            args.add(hostile(r, options.get(name), scratch));
            args.add("--" + name);
            args.add(hostile(r, options.get(name), scratch));
            return "repeated --" + name;
        }
        if (kind == 2 && !valued.isEmpty()) {
            String name = valued.get(r.nextInt(valued.size()));
            args.removeIf(a -> a.equals("--" + name));
            args.add("--" + name);
            return "missing value of --" + name;
        }
        if (kind == 3) {
            args.add(r.nextBoolean() ? "stray" : scratch.resolve("missing").toString());
            return "stray word";
        }
        if (valued.isEmpty()) {
            args.add("--no-such-flag");
            return "unknown flag";
        }
        String name = valued.get(r.nextInt(valued.size()));
        String value = hostile(r, options.get(name), scratch);
        int at = args.indexOf("--" + name);
        if (at >= 0 && at + 1 < args.size()) {
            args.set(at + 1, value);
        } else {
            args.add("--" + name);
            args.add(value);
        }
        return "--" + name + " '" + value + "'";
    }

    /** A value no reasonable reading accepts, chosen for the option's kind (a path or a scalar). */
    private static String hostile(Random r, String argName, Path scratch) throws IOException {
        if (Set.of("FILE", "DIR", "RUN", "F", "PNG").contains(argName)) {
            return switch (r.nextInt(6)) {
                case 0 -> scratch.resolve("missing/deeper").toString();
                case 1 -> Files.writeString(scratch.resolve("garbage.bin"), "\u0089PNG not really").toString();
                case 2 -> Files.createDirectories(scratch.resolve("empty-folder")).toString();
                case 3 -> Files.writeString(scratch.resolve("empty.json"), "").toString();
                case 4 -> Files.writeString(scratch.resolve("bad.json"), "{\"a\": [1, 2").toString();
                default -> "";
            };
        }
        return SCALAR_HOSTILE.get(r.nextInt(SCALAR_HOSTILE.size()));
    }

    private static final Map<String, Map<String, String>> HELP = new LinkedHashMap<>();

    /** The subcommand's options as its --help lists them: long name → argument name (null for a flag). */
    private static synchronized Map<String, String> options(String command) {
        return HELP.computeIfAbsent(command, c -> {
            MainTest.Run help = new MainTest.Run(Stream.concat(Arrays.stream(c.split(" ")), Stream.of("--help")).toArray(String[]::new));
            assertEquals(0, help.rc, c + " --help: " + help.err);
            Map<String, String> found = new LinkedHashMap<>();
            for (String l : help.out.lines().toList()) {
                Matcher m = OPTION.matcher(l);
                if (m.find()) found.put(m.group(1), m.group(2));
            }
            assertFalse(found.isEmpty(), c + " --help lists no options: " + help.out);
            return found;
        });
    }

    private static boolean isTrace(String l) {
        return l.startsWith("\tat ") || l.startsWith("\t... ") || l.startsWith("Caused by: ") || l.matches("^[a-z]+(\\.[a-zA-Z_$0-9]+)+(: .*)?$")
                || l.startsWith("\tSuppressed: ");
    }

    /** The class of the innermost exception in a -Ddpmammo.trace stack trace, or null where none was printed. */
    private static String thrown(String err) {
        String last = null;
        for (String l : err.lines().toList()) {
            Matcher m = Pattern.compile("^(?:Caused by: )?([a-z]+(?:\\.[a-zA-Z_$0-9]+)+)(?::|$)").matcher(l);
            if (m.find()) last = m.group(1);
        }
        return last;
    }

    private static void must(String... args) {
        MainTest.Run r = new MainTest.Run(args);
        assertEquals(0, r.rc, String.join(" ", args) + ": " + r.err);
    }

    private static String only(Path dir, String suffix) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no " + suffix + " under " + dir)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
