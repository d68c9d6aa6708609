package org.dpmammo.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.ImageIo;
import org.dpmammo.data.Labels;
import org.dpmammo.data.PhantomDataset;
import org.dpmammo.privacy.ledger.PrivacyLedger;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Rng;

/**
 * Instant stand-ins for the trainers, with the files the runner and the report read (metrics.csv, ledger.json, a
 * checkpoint) and a call count per folder. Predictions are a seeded function of the label, better at larger ε and, for the
 * same ε, under PRV calibration (less noise).
 */
final class FakeTrainers implements Trainers {
    final Map<Path, Integer> calls = new HashMap<>();
    /** The starting weights each classifier run was given. */
    final Map<Path, Path> inits = new HashMap<>();
    /** Whether each classifier run was asked to train its whole model. */
    final Map<Path, Boolean> fullModel = new HashMap<>();
    /** A folder whose next training "crashes" after reserving its steps in the ledger, as a kill would. */
    Path crashOnce;
    /** Whether the GAN "trains under DP": then its run folder gets a ledger of GAN_STEPS steps at q 0.1, σ GAN_SIGMA. */
    boolean dpGan;
    static final double GAN_SIGMA = 2.0;
    static final int GAN_STEPS = 50;

    @Override
    public void gan(long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException {
        calls.merge(runDir, 1, Integer::sum);
        if (dpGan) {
            PrivacyLedger ledger = PrivacyLedger.open(runDir.resolve("ledger.json"));
            ledger.beginPhase(new PrivacyLedger.Phase("gan-discriminator", "fake GAN", "fp-real", 100, 0.1, GAN_SIGMA, 1.0, 1e-4, "rdp", false));
            ledger.reserve("gan-discriminator", GAN_STEPS);
        }
        PhantomDataset p = new PhantomDataset(org.dpmammo.data.Phantom.Config.of(32), 12, seed);
        for (int i = 0; i < p.size(); i++) ImageIo.writePng(samplesDir.resolve("s" + i + "_" + Labels.name(p.label(i)) + ".png"), p.image(i));
        ImageIo.writePng(samplesDir.resolve("preview").resolve("contact_sheet.png"), p.image(0));
    }

    @Override
    public Path classifier(ClassifierJob job, PrintStream log) throws IOException {
        calls.merge(job.out(), 1, Integer::sum);
        if (job.initWeights() != null) inits.put(job.out(), job.initWeights());
        fullModel.put(job.out(), job.fullModel());
        Files.createDirectories(job.out());
        if (job.dp()) {
            PrivacyLedger ledger = PrivacyLedger.open(job.out().resolve("ledger.json"));
            // A tighter accountant needs less noise for the same ε: PRV's σ is a little below RDP's, as with the real ones.
            double sigma = (job.accountant().equals("prv") ? 18 : 20) / job.epsilon();
            ledger.beginPhase(new PrivacyLedger.Phase("classifier", "fake", "fp-" + job.train(), 100, 0.1, sigma, 1.0, 1e-4, job.accountant(), false));
            for (int s = 1; s <= 10 * job.epochs(); s++) {
                ledger.reserve("classifier", s);
                if (s == 5 && job.out().equals(crashOnce)) {
                    crashOnce = null;
                    throw new IllegalStateException("simulated crash");
                }
            }
        }
        StringBuilder csv = new StringBuilder("epoch,train_loss,val_auprc,best,seconds\n");
        for (int e = 0; e < job.epochs(); e++) csv.append(e).append(",0.5,").append(0.5 + 0.05 * e).append(',').append(e == job.epochs() - 1).append(",0.25\n");
        AtomicFiles.writeString(job.out().resolve("metrics.csv"), csv.toString());
        Path ckpt = job.out().resolve("checkpoints").resolve("best.safetensors");
        double strength = Double.isInfinite(job.epsilon()) ? 3 : Math.log1p(job.epsilon() * ("prv".equals(job.accountant()) ? 1.2 : 1));
        AtomicFiles.writeString(ckpt, "strength " + strength + " seed " + job.seed());
        return ckpt;
    }

    @Override
    public double[] predict(Path checkpoint, Dataset data) throws IOException {
        String[] f = Files.readString(checkpoint).split(" ");
        double strength = Double.parseDouble(f[1]);
        Rng rng = new Rng(Long.parseLong(f[3]));
        double[] p = new double[data.size()];
        for (int i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp(-(strength * (data.label(i) - 0.5) + rng.nextGaussian())));
        return p;
    }
}
