package org.dpmammo.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The chunks a trainer is about to load, in order, each with the augmentation key it will be loaded under (the
 * classifier's epoch, the GAN's step): {@link #after} names the chunk after the one being loaded, which
 * {@link DataLoader#batch(int[], int, Chunk)} decodes while that one computes. A chunk outside the plan just gets no
 * prefetch; the batches never depend on the plan.
 */
public final class ChunkPlan {
    /** One physical chunk: its example indices and its augmentation key. */
    public record Chunk(int[] indices, int key) {}

    private final List<Chunk> chunks = new ArrayList<>();
    private int at;

    public void clear() {
        chunks.clear();
        at = 0;
    }

    /** A batch split into physical chunks as DpSgd and the non-private loops split it. */
    public void add(int[] batch, int physical, int key) {
        for (int from = 0; from < batch.length; from += physical) {
            chunks.add(new Chunk(Arrays.copyOfRange(batch, from, Math.min(batch.length, from + physical)), key));
        }
    }

    /** The chunk after {@code chunk} when {@code chunk} is the one the plan expects next, else null. */
    public Chunk after(int[] chunk) {
        if (at >= chunks.size() || !Arrays.equals(chunks.get(at).indices(), chunk)) return null;
        at++;
        return at < chunks.size() ? chunks.get(at) : null;
    }
}
