package org.dpmammo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.data.ContactSheet;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.FileDataset;
import org.dpmammo.data.GrayImage;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Inspection;
import org.dpmammo.data.Labels;
import org.dpmammo.data.LayoutWriter;
import org.dpmammo.data.Phantom;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.data.Splitter;
import org.dpmammo.data.Transforms;
import org.dpmammo.util.Rng;

/** {@code dpmammo data inspect|phantom|split|sheet}: look at, generate, split and preview datasets. */
public final class DataCommand implements Command {
    private static final String SOURCES = "SRC is a study root (<split>/is_benign_<true|false>/*.png), a split folder, a flat folder of "
            + "*_benign.png / *_malignant.png, a CSV manifest (path,label[,patient_id]), or phantom[:size[:count[:seed]]] for the built-in generator "
            + "(defaults 128, 1000, 0; write ./phantom for a folder of that name).";

    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "inspect, generate (phantom), split and preview datasets";
    }

    @Override
    public boolean computesWithTensors() {
        return false;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream p = args.length == 0 ? err : out;
            p.println("usage: dpmammo data <subcommand> [options]   (each has --help)");
            p.println();
            p.println("  inspect SRC           counts per split and class, patients, sizes, duplicates, patient overlap");
            p.println("  phantom --out DIR     write the built-in phantom dataset in the study's layout");
            p.println("  split SRC --out DIR   per-patient, class-stratified train/val/test split, copied into the study's layout");
            p.println("  sheet SRC --out PNG   contact sheet: benign rows above, malignant rows below a white band");
            p.println();
            p.println(SOURCES);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "inspect" -> inspect(rest, out, err);
            case "phantom" -> phantom(rest, out);
            case "split" -> split(rest, out);
            case "sheet" -> sheet(rest, out);
            default -> throw new UsageException("unknown subcommand '" + args[0] + "' (inspect, phantom, split, sheet)");
        };
    }

    private static int inspect(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.flag("json", "print one JSON document"));
        CommandLine cl = CliSupport.parse("data inspect", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo data inspect SRC [--json]",
                    "Counts per split and class, patients, image sizes and bit depths, identical images across splits "
                            + "(by SHA-256 of the file) and patients shared between splits.", o, SOURCES);
            return 0;
        }
        String src = oneSource(cl, "data inspect");
        Map<String, Object> report = Inspection.of(src);
        if (cl.hasOption("json")) {
            out.println(json().writeValueAsString(report));
        } else {
            out.print(Inspection.text(report));
        }
        int bad = Inspection.unreadable(report);
        if (bad > 0) {
            err.println("dpmammo data inspect: " + bad + " unreadable file(s), e.g. " + Inspection.firstUnreadable(report));
            return 1;
        }
        return 0;
    }

    private static int phantom(String[] args, PrintStream out) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.valued("out", "DIR", "folder to create (must not exist or be empty)"));
        o.addOption(CliSupport.valued("count", "N", "number of patches (default 1000)"));
        o.addOption(CliSupport.valued("size", "PX", "patch side: 64 or 128 (default 128)"));
        o.addOption(CliSupport.valued("seed", "S", "generator and split seed (default 0)"));
        o.addOption(CliSupport.valued("fractions", "T,V,E", "train,val,test fractions (default 0.7,0.15,0.15)"));
        o.addOption(Option.builder().longOpt("overlap").hasArg().argName("SD")
                .desc("spread of the latent malignancy score within a class (default " + Phantom.Config.DEFAULT_OVERLAP + ")").build());
        o.addOption(Option.builder().longOpt("label-noise").hasArg().argName("P")
                .desc("probability of a flipped label (default " + Phantom.Config.DEFAULT_LABEL_NOISE + ")").build());
        CommandLine cl = CliSupport.parse("data phantom", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo data phantom --out DIR [options]",
                    "Generates phantom mass patches and writes them as <DIR>/<train|val|test>/is_benign_<true|false>/*.png "
                            + "(the study's layout and file naming), all at once: nothing appears at DIR unless every file was written.",
                    o, null);
            return 0;
        }
        noPositional(cl, "data phantom");
        Path dir = CliSupport.outFolder(cl, true);
        int count = CliSupport.intOpt(cl, "count", 1000);
        int size = CliSupport.intOpt(cl, "size", 128);
        long seed = CliSupport.longOpt(cl, "seed", 0);
        if (count < 1) throw new UsageException("--count must be at least 1, got " + count);
        if (size != 64 && size != 128) throw new UsageException("--size must be 64 or 128, got " + size);
        double[] fractions = fractions(cl);
        Phantom.Config config;
        try {
            config = new Phantom.Config(size, CliSupport.doubleOpt(cl, "overlap", Phantom.Config.DEFAULT_OVERLAP),
                    CliSupport.doubleOpt(cl, "label-noise", Phantom.Config.DEFAULT_LABEL_NOISE));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        PhantomDataset data = new PhantomDataset(config, count, seed);
        Map<String, int[]> splits = Splitter.split(data, List.of("train", "val", "test"), fractions, seed);
        try (LayoutWriter w = LayoutWriter.create(dir)) {
            String[] splitOf = splitOf(splits, count);
            w.writeAll(count, i -> w.writePng(splitOf[i], data.label(i), data.name(i), data.image(i)));
            Map<String, Object> about = new LinkedHashMap<>();
            about.put("generator", data.description());
            about.put("seed", seed);
            w.writeText("phantom.json", json().writeValueAsString(about) + "\n");
            w.commit();
        }
        out.println("wrote " + count + " phantom patches (" + size + "x" + size + ") to " + dir + ": " + summary(splits, data));
        return 0;
    }

    private static int split(String[] args, PrintStream out) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.valued("out", "DIR", "folder to create (must not exist or be empty)"));
        o.addOption(CliSupport.valued("seed", "S", "shuffle seed (default 0)"));
        o.addOption(CliSupport.valued("fractions", "T,V,E", "train,val,test fractions (default 0.7,0.15,0.15)"));
        CommandLine cl = CliSupport.parse("data split", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo data split SRC --out DIR [--fractions 0.7,0.15,0.15] [--seed 0]",
                    "Splits SRC by patient (all patches of a patient go to one split; files without a patient id are their "
                            + "own group), stratified by class, and copies the files into <DIR>/<train|val|test>/is_benign_<..>/. "
                            + "A study root is pooled over all its splits first. DIR appears only when every file is copied.",
                    o, SOURCES);
            return 0;
        }
        String src = oneSource(cl, "data split");
        Path dir = CliSupport.outFolder(cl, true);
        double[] fractions = fractions(cl);
        long seed = CliSupport.longOpt(cl, "seed", 0);
        Dataset data = Datasets.open(src);
        if (!(data instanceof FileDataset files)) {
            throw new UsageException("data split copies files; generate the phantom with 'dpmammo data phantom' instead");
        }
        Map<String, int[]> splits = Splitter.split(files, List.of("train", "val", "test"), fractions, seed);
        try (LayoutWriter w = LayoutWriter.create(dir)) {
            String[] splitOf = splitOf(splits, files.size());
            w.writeAll(files.size(), i -> w.copy(splitOf[i], files.label(i), files.path(i)));
            w.commit();
        }
        out.println("split " + files.size() + " images from " + src + " into " + dir + ": " + summary(splits, files));
        return 0;
    }

    private static int sheet(String[] args, PrintStream out) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(CliSupport.valued("out", "PNG", "image to write"));
        o.addOption(CliSupport.valued("count", "N", "tiles, half per class (default 64)"));
        o.addOption(CliSupport.valued("columns", "C", "tiles per row (default 8)"));
        o.addOption(CliSupport.valued("seed", "S", "which examples to show (default 0)"));
        o.addOption(Option.builder().longOpt("size").hasArg().argName("PX")
                .desc("resize every tile to PX x PX as the models see it (e.g. 64 for the cpu GAN preset); default: as stored").build());
        CommandLine cl = CliSupport.parse("data sheet", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo data sheet SRC --out PNG [--count 64] [--columns 8] [--seed 0] [--size PX]",
                    "A contact sheet of randomly chosen examples: benign rows above a white band, malignant rows below.", o, SOURCES);
            return 0;
        }
        String src = oneSource(cl, "data sheet");
        Path png = Path.of(CliSupport.required(cl, "out"));
        int count = CliSupport.intOpt(cl, "count", 64);
        int columns = CliSupport.intOpt(cl, "columns", 8);
        if (count < 2 || columns < 1) throw new UsageException("--count must be at least 2 and --columns at least 1");
        int size = CliSupport.intOpt(cl, "size", 0);
        if (cl.hasOption("size") && size < 1) throw new UsageException("--size must be positive, got " + cl.getOptionValue("size"));
        Dataset data = Datasets.open(src);
        int[] order = new int[data.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(CliSupport.longOpt(cl, "seed", 0)).shuffle(order);
        List<GrayImage> benign = new ArrayList<>();
        List<GrayImage> malignant = new ArrayList<>();
        for (int i : order) {
            List<GrayImage> dst = data.label(i) == Labels.BENIGN ? benign : malignant;
            if (dst.size() < count / 2) dst.add(size == 0 ? data.image(i) : resized(data.image(i), size));
        }
        if (benign.isEmpty() || malignant.isEmpty()) throw new IOException(src + ": a contact sheet needs images of both classes");
        ImageIo.writePng(png, ContactSheet.byClass(benign, malignant, columns, 2));
        out.println("wrote " + png + " (" + benign.size() + " benign above, " + malignant.size() + " malignant below)");
        return 0;
    }

    /** The image as the pipelines resize it (Transforms.resize), back to 8 bits. */
    private static GrayImage resized(GrayImage g, int size) {
        return GrayImage.fromUnit(Transforms.resize(g.toUnit(), size, size).data(), size, size);
    }

    private static String oneSource(CommandLine cl, String cmd) throws IOException {
        List<String> pos = cl.getArgList();
        if (pos.size() != 1) throw new UsageException(cmd + ": expected one source SRC, got " + pos.size() + " (see --help)");
        String src = pos.get(0);
        // A missing path fails here, naming it, before any work starts.
        if (!Datasets.isPhantomSpec(src) && !Files.exists(Path.of(src))) {
            throw new IOException(src + ": no such file or folder");
        }
        return src;
    }

    private static void noPositional(CommandLine cl, String cmd) {
        if (!cl.getArgList().isEmpty()) throw new UsageException(cmd + ": unexpected argument '" + cl.getArgList().get(0) + "'");
    }

    private static double[] fractions(CommandLine cl) {
        String v = cl.getOptionValue("fractions", "0.7,0.15,0.15");
        String[] parts = v.split(",");
        if (parts.length != 3) throw new UsageException("--fractions: expected three numbers train,val,test, got '" + v + "'");
        double[] f = new double[3];
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            try {
                f[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--fractions: '" + parts[i] + "' is not a number");
            }
            if (!(f[i] > 0)) throw new UsageException("--fractions: each fraction must be positive, got '" + v + "'");
            sum += f[i];
        }
        if (Math.abs(sum - 1) > 1e-6) throw new UsageException("--fractions must sum to 1, got " + sum);
        return f;
    }

    /** The split name of each example, from the splitter's index lists. */
    private static String[] splitOf(Map<String, int[]> splits, int n) {
        String[] of = new String[n];
        for (var e : splits.entrySet()) for (int i : e.getValue()) of[i] = e.getKey();
        return of;
    }

    private static String summary(Map<String, int[]> splits, Dataset data) {
        List<String> parts = new ArrayList<>();
        for (var e : splits.entrySet()) {
            int benign = 0;
            for (int i : e.getValue()) benign += data.label(i) == Labels.BENIGN ? 1 : 0;
            parts.add(e.getKey() + " " + benign + " benign / " + (e.getValue().length - benign) + " malignant");
        }
        return String.join(", ", parts);
    }

    private static ObjectMapper json() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
}
