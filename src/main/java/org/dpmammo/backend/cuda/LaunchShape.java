package org.dpmammo.backend.cuda;

/**
 * Grid and block sizes of one kernel launch, one factory per kernel family so the rules live in one place and are
 * unit-tested without a GPU. Every kernel loops grid-stride, so grids are capped rather than sized to the data.
 */
public record LaunchShape(int gridX, int gridY, int gridZ, int blockX) {
    /** Threads per block of the flat elementwise kernels: 8 warps keeps occupancy high on every sm_75+ part. */
    static final int FLAT_BLOCK = 256;
    /** Blocks beyond this only add scheduling work: 132 SMs × 2048 threads / 256 ≈ 1056 resident; leave headroom. */
    static final int MAX_FLAT_GRID = 1 << 16;
    /** Per-example kernels (dp.cu) size their shared arrays for exactly this many threads. */
    static final int EXAMPLE_BLOCK = 256;
    /** gridDim.y and gridDim.z are limited to 65535 by the hardware. */
    static final int MAX_GRID_YZ = 65535;

    public static LaunchShape elementwise(long n) {
        if (n < 0) throw new IllegalArgumentException("launch: negative element count " + n);
        return new LaunchShape((int) Math.max(1, Math.min(MAX_FLAT_GRID, ceilDiv(n, FLAT_BLOCK))), 1, 1, FLAT_BLOCK);
    }

    /**
     * One block per row of {@code len} floats: the block is the smallest power of two ≥ len, between one warp and
     * 1024 threads (the row kernels' shared arrays hold 1024 entries and their tree reductions need a power of two).
     */
    public static LaunchShape rows(long rows, int len) {
        if (rows < 0 || len < 0) throw new IllegalArgumentException("launch: negative rows " + rows + " or length " + len);
        int block = Integer.highestOneBit(Math.max(1, len - 1)) << 1;
        block = Math.max(32, Math.min(1024, block));
        return new LaunchShape((int) Math.max(1, Math.min(MAX_FLAT_GRID, rows)), 1, 1, block);
    }

    public static LaunchShape perExample(int examples) {
        return new LaunchShape(Math.max(1, Math.min(MAX_FLAT_GRID, examples)), 1, 1, EXAMPLE_BLOCK);
    }

    /** Float32 SGEMM: 64×64 output tiles, 256 threads; batch over z, grid-stride beyond the z limit. */
    public static LaunchShape sgemm(int m, int n, int batch) {
        return tiles(m, n, batch, 256);
    }

    /** TF32 SGEMM: 64×64 output tiles, 4 warps. */
    public static LaunchShape sgemmTf32(int m, int n, int batch) {
        return tiles(m, n, batch, 128);
    }

    private static LaunchShape tiles(int m, int n, int batch, int threads) {
        long gy = ceilDiv(m, 64);
        if (gy > MAX_GRID_YZ) throw new IllegalArgumentException("sgemm: " + m + " rows need more than " + MAX_GRID_YZ + " row tiles");
        return new LaunchShape((int) Math.max(1, ceilDiv(n, 64)), (int) Math.max(1, gy), Math.max(1, Math.min(MAX_GRID_YZ, batch)), threads);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return "grid(" + gridX + "," + gridY + "," + gridZ + ") block(" + blockX + ")";
    }
}
