package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.experiment.GridPlan.Cell;
import org.dpmammo.experiment.GridPlan.GanJob;
import org.dpmammo.experiment.GridPlan.Job;
import org.dpmammo.experiment.GridPlan.PretrainJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridPlanTest {
    static final double INF = Double.POSITIVE_INFINITY;

    @Test
    void demoGridIsOneGanOnePretrainingAndTwelveCells() {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("demo"), false);
        List<Job> jobs = plan.jobs();
        assertEquals(14, jobs.size());
        // shared work first, so every cell of the seed finds it done
        assertEquals(new GanJob(42), jobs.get(0));
        assertEquals(new PretrainJob(42), jobs.get(1));
        assertEquals(12, plan.cells().size());
        assertEquals(new Cell(Condition.REAL, 1, 42), jobs.get(2));
        assertEquals(new Cell(Condition.PRETRAIN_DP, INF, 42), jobs.get(13));
    }

    @Test
    void paperGridWithAGivenSyntheticSetTrainsNoGanAndOnePretrainingPerSeed() {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("paper"), true);
        assertEquals(0, plan.jobs().stream().filter(j -> j instanceof GanJob).count());
        assertEquals(List.of(new PretrainJob(42), new PretrainJob(43), new PretrainJob(44)),
                plan.jobs().stream().filter(j -> j instanceof PretrainJob).toList());
        // (6 real + 6 real+synth + 3 synth-only + 6 pretrain) × 3 seeds: the study's 21 published runs, thrice
        assertEquals(63, plan.cells().size());
        assertEquals(3, plan.cells().stream().filter(c -> c.condition() == Condition.SYNTH && c.seed() == 43).count());
    }

    @Test
    void cellsReuseTheirOwnSeedsGanAndPretrainedModelOnly() {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("cpu"), false);
        assertEquals(List.of(), plan.dependencies(new Cell(Condition.REAL, 6, 43)));
        assertEquals(List.of(new GanJob(43)), plan.dependencies(new Cell(Condition.REAL_SYNTH, 6, 43)));
        assertEquals(List.of(new GanJob(44)), plan.dependencies(new Cell(Condition.SYNTH, INF, 44)));
        assertEquals(List.of(new GanJob(42), new PretrainJob(42)), plan.dependencies(new Cell(Condition.PRETRAIN_DP, 1, 42)));
        // every dependency comes before the cell that uses it
        for (Cell c : plan.cells()) for (Job d : plan.dependencies(c)) assertTrue(plan.jobs().indexOf(d) < plan.jobs().indexOf(c), c + " after " + d);
    }

    @Test
    void aPublicBackboneIsTrainedOnceAndEveryCellStartsFromIt() {
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"cpu\", \"public_pretraining\": {\"train\": \"phantom\", \"val\": \"phantom\", \"epochs\": 1, \"lr\": 0.01}}");
        GridPlan plan = GridPlan.of(c, true);
        assertEquals(new GridPlan.BackboneJob(42), plan.jobs().get(0));
        assertEquals(1, plan.jobs().stream().filter(j -> j instanceof GridPlan.BackboneJob).count());
        assertEquals(List.of(new GridPlan.BackboneJob(42), new PretrainJob(44)), plan.dependencies(new Cell(Condition.PRETRAIN_DP, 6, 44)));
        assertEquals(List.of(new GridPlan.BackboneJob(42)), plan.dependencies(new Cell(Condition.REAL, 6, 43)));
    }

    @Test
    void finishedJobsAreSkippedOnRestart(@TempDir Path root) throws Exception {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("demo"), false);
        assertEquals(14, plan.pending(root).size());
        Files.createDirectories(root.resolve(new GanJob(42).syntheticDir()));
        Cell done = new Cell(Condition.SYNTH, 8, 42);
        Files.createDirectories(root.resolve(done.dir()));
        Files.writeString(root.resolve(done.marker()), "{}");
        // a cell folder without result.json (killed mid-training) is still pending
        Files.createDirectories(root.resolve(new Cell(Condition.REAL, 1, 42).dir()));
        List<Job> pending = plan.pending(root);
        assertEquals(12, pending.size());
        assertTrue(!pending.contains(done) && !pending.contains(new GanJob(42)) && pending.contains(new Cell(Condition.REAL, 1, 42)));
    }

    @Test
    void cellIdsAreStableAndReadable() {
        assertEquals("real_synth__eps-inf__seed-42", new Cell(Condition.REAL_SYNTH, INF, 42).id());
        assertEquals("real__eps-0.5__seed-7", new Cell(Condition.REAL, 0.5, 7).id());
        assertEquals("pretrain_dp__eps-12__seed-44", new Cell(Condition.PRETRAIN_DP, 12, 44).id());
    }
}
