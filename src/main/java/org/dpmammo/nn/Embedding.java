package org.dpmammo.nn;

import java.util.Arrays;
import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * A lookup table (the GAN's condition embedding): indices [N, …] → rows [N, …, dim] of weight [num, dim],
 * initialised N(0, 1) as PyTorch. Backward scatter-adds the output gradient into the rows that were read, repeats
 * included.
 *
 * <p>Per-example view (DP): A = the indices as a float tensor [N, …] (exact below 2^24), G [N, …, dim];
 * ∂Eᵢ[v] = Σ_{t: xᵢ,t = v} Gᵢ,t, and the ghost norm is ‖∂Eᵢ‖² = Σ_{t,s} 1[xᵢ,t = xᵢ,s]·(Gᵢ,t · Gᵢ,s).
 */
public final class Embedding extends PerExampleModule {
    public final int numEmbeddings, embeddingDim;
    public final Parameter weight;

    public Embedding(int numEmbeddings, int embeddingDim, Rng rng) {
        if (numEmbeddings <= 0 || embeddingDim <= 0) throw new IllegalArgumentException("Embedding: sizes " + numEmbeddings + " × " + embeddingDim);
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        weight = registerParameter("weight", new Parameter(Tensor.zeros(numEmbeddings, embeddingDim)));
        Init.normal(weight, 0, 1, rng);
    }

    /** Rows for indices laid out in the given shape (e.g. [N] class labels); the output is [shape…, dim]. */
    public Variable forward(int[] indices, int... shape) {
        if (Shape.numel(shape) != indices.length) {
            throw new IllegalArgumentException("Embedding: " + indices.length + " indices for shape " + Shape.str(shape));
        }
        float[] asFloat = new float[indices.length];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= numEmbeddings) {
                throw new IllegalArgumentException("Embedding: index " + indices[i] + " outside [0, " + numEmbeddings + ")");
            }
            asFloat[i] = indices[i];
        }
        Tensor idx = Tensor.of(asFloat, shape);
        Backend be = Backends.current();
        int[] outShape = Arrays.copyOf(shape, shape.length + 1);
        outShape[shape.length] = embeddingDim;
        Tensor y = be.indexSelect(weight.value(), 0, indices).reshape(outShape);
        return Grad.record("embedding", y, g -> LayerGrads.route(this, idx, g), weight);
    }

    /** Indices given as a tensor of whole numbers, as PyTorch takes an int64 tensor. */
    @Override
    public Variable forward(Variable indices) {
        float[] v = indices.value().toArray();
        int[] idx = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = (int) v[i];
            if (idx[i] != v[i]) throw new IllegalArgumentException("Embedding: index " + v[i] + " is not a whole number");
        }
        return forward(idx, indices.shape());
    }

    @Override
    public List<Parameter> perExampleParameters() {
        return List.of(weight);
    }

    /**
     * Example i's gradient is its own table: G_i's rows scatter-added at its indices. All examples at once: row r of
     * example i goes to row i·E + index of one [N·E, dim] table, whose per-example blocks are then squared and summed,
     * the arithmetic of the per-example loop (rows added in order onto zeros, squares summed in double) on the backend.
     */
    @Override
    public PerExample.Norms perExampleNorms(Tensor activation, Tensor gradOut) {
        int n = activation.size(0);
        if (!weight.requiresGrad() || n == 0) return new PerExample.Norms(PerExample.zeroNorms(n), null);
        float[] v = activation.toArray();
        int per = v.length / n;
        int[] rows = new int[v.length];
        for (int k = 0; k < v.length; k++) rows[k] = (k / per) * numEmbeddings + (int) v[k];
        Tensor tables = Backends.current().indexAdd(gradOut.reshape(-1, embeddingDim), 0, rows, n * numEmbeddings);
        return new PerExample.Norms(PerExample.rowSqNorms(tables.reshape(n, numEmbeddings * embeddingDim)), null);
    }

    @Override
    public float[] perExampleSqNorms(Tensor activation, Tensor gradOut) {
        return perExampleNorms(activation, gradOut).sqNorms().toArray();
    }

    /** A = indices [N, …] as floats, G [N, …, dim]: scatter-add of G's rows at the indices. */
    @Override
    public Tensor[] gradients(Tensor activation, Tensor gradOut) {
        if (!weight.requiresGrad()) return new Tensor[1];
        float[] v = activation.toArray();
        int[] idx = new int[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = (int) v[i];
        return new Tensor[] {Backends.current().indexAdd(gradOut.reshape(-1, embeddingDim), 0, idx, numEmbeddings)};
    }
}
