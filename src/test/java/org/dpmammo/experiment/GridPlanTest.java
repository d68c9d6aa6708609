package org.dpmammo.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void demoGridIsOneGanOnePretrainingAndTenCells() {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("demo"), false);
        List<Job> jobs = plan.jobs();
        assertEquals(12, jobs.size());
        // shared work first, so every cell of the seed finds it done
        assertEquals(new GanJob(42), jobs.get(0));
        assertEquals(new PretrainJob(42), jobs.get(1));
        // real, real + synthetic and pretrain_dp at ε ∈ {1, 8, ∞}; synthetic only at ∞ alone (its GAN is not private)
        assertEquals(10, plan.cells().size());
        assertEquals(List.of(new Cell(Condition.SYNTH, INF, null, 42)), plan.cells().stream().filter(c -> c.condition() == Condition.SYNTH).toList());
        assertEquals(new Cell(Condition.REAL, 1, "rdp", 42), jobs.get(2));
        assertEquals(new Cell(Condition.PRETRAIN_DP, INF, null, 42), jobs.get(11));
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
        assertEquals(List.of(), plan.dependencies(new Cell(Condition.REAL, 6, "rdp", 43)));
        assertEquals(List.of(new GanJob(43)), plan.dependencies(new Cell(Condition.REAL_SYNTH, 6, "rdp", 43)));
        assertEquals(List.of(new GanJob(44)), plan.dependencies(new Cell(Condition.SYNTH, INF, null, 44)));
        assertEquals(List.of(new GanJob(42), new PretrainJob(42)), plan.dependencies(new Cell(Condition.PRETRAIN_DP, 1, "rdp", 42)));
        // every dependency comes before the cell that uses it
        for (Cell c : plan.cells()) for (Job d : plan.dependencies(c)) assertTrue(plan.jobs().indexOf(d) < plan.jobs().indexOf(c), c + " after " + d);
    }

    @Test
    void aPublicBackboneIsTrainedOnceAndEveryCellStartsFromIt() {
        ExperimentConfig c = ExperimentConfig.parse("{\"preset\": \"cpu\", \"public_pretraining\": {\"train\": \"phantom\", \"val\": \"phantom\", \"epochs\": 1, \"lr\": 0.01}}");
        GridPlan plan = GridPlan.of(c, true);
        assertEquals(new GridPlan.BackboneJob(42), plan.jobs().get(0));
        assertEquals(1, plan.jobs().stream().filter(j -> j instanceof GridPlan.BackboneJob).count());
        assertEquals(List.of(new GridPlan.BackboneJob(42), new PretrainJob(44)), plan.dependencies(new Cell(Condition.PRETRAIN_DP, 6, "rdp", 44)));
        assertEquals(List.of(new GridPlan.BackboneJob(42)), plan.dependencies(new Cell(Condition.REAL, 6, "rdp", 43)));
    }

    @Test
    void finishedJobsAreSkippedOnRestart(@TempDir Path root) throws Exception {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("demo"), false);
        assertEquals(12, plan.pending(root).size());
        Files.createDirectories(root.resolve(new GanJob(42).syntheticDir()));
        Cell done = new Cell(Condition.REAL_SYNTH, 8, "rdp", 42);
        Files.createDirectories(root.resolve(done.dir()));
        Files.writeString(root.resolve(done.marker()), "{}");
        // a cell folder without result.json (killed mid-training) is still pending
        Files.createDirectories(root.resolve(new Cell(Condition.REAL, 1, "rdp", 42).dir()));
        List<Job> pending = plan.pending(root);
        assertEquals(10, pending.size());
        assertTrue(!pending.contains(done) && !pending.contains(new GanJob(42)) && pending.contains(new Cell(Condition.REAL, 1, "rdp", 42)));
    }

    @Test
    void twoAccountantsPlanEveryDpCellTwiceAndEveryNonDpCellOnce(@TempDir Path root) throws Exception {
        GridPlan plan = GridPlan.of(ExperimentConfig.preset("demo").withAccountants(List.of("rdp", "prv")), false);
        // the demo's 3 conditions with DP cells at ε ∈ {1, 8} under each accountant, and all 4 at ε = ∞ once
        assertEquals(3 * 2 * 2 + 4, plan.cells().size());
        assertEquals(2 + 16, plan.jobs().size(), "one GAN and one pretraining, shared by both accountants");
        for (Condition c : Condition.values()) {
            for (double e : c == Condition.SYNTH ? List.<Double>of() : List.of(1.0, 8.0)) {
                assertTrue(plan.cells().contains(new Cell(c, e, "rdp", 42)) && plan.cells().contains(new Cell(c, e, "prv", 42)), c + " " + e);
            }
            assertEquals(1, plan.cells().stream().filter(x -> x.condition() == c && !x.dp()).count(), c.key);
        }
        assertTrue(plan.cells().stream().noneMatch(x -> x.dp() == (x.accountant() == null)));
        assertEquals(plan.cells().size(), plan.cells().stream().map(Cell::id).distinct().count(), "one folder per cell");
        assertEquals(List.of(new Cell(Condition.REAL, 1, "rdp", 42), new Cell(Condition.REAL, 1, "prv", 42)), plan.cells().subList(0, 2));
        assertEquals(List.of(new GanJob(42), new PretrainJob(42)), plan.dependencies(new Cell(Condition.PRETRAIN_DP, 8, "prv", 42)));
        // a finished RDP cell does not make its PRV twin finished
        Cell rdp = new Cell(Condition.REAL, 8, "rdp", 42);
        Files.createDirectories(root.resolve(rdp.dir()));
        Files.writeString(root.resolve(rdp.marker()), "{}");
        assertTrue(plan.pending(root).contains(new Cell(Condition.REAL, 8, "prv", 42)) && !plan.pending(root).contains(rdp));
        assertThrows(IllegalArgumentException.class, () -> new Cell(Condition.REAL, INF, "rdp", 42));
        assertThrows(IllegalArgumentException.class, () -> new Cell(Condition.REAL, 1, null, 42));
    }

    @Test
    void cellIdsAreStableAndReadable() {
        assertEquals("real_synth__eps-inf__seed-42", new Cell(Condition.REAL_SYNTH, INF, null, 42).id());
        assertEquals("real__eps-0.5__seed-7", new Cell(Condition.REAL, 0.5, "rdp", 7).id());
        assertEquals("pretrain_dp__eps-12__seed-44", new Cell(Condition.PRETRAIN_DP, 12, "rdp", 44).id());
        // RDP cells keep the names they had before the accountant was part of a cell; others carry theirs
        assertEquals("pretrain_dp__eps-12__prv__seed-44", new Cell(Condition.PRETRAIN_DP, 12, "prv", 44).id());
        assertEquals("real ε=0.5 (PRV) seed 7", new Cell(Condition.REAL, 0.5, "prv", 7).describe());
        assertEquals("real ε=inf seed 7", new Cell(Condition.REAL, INF, null, 7).describe());
    }
}
