package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LaunchShapeTest {
    @Test
    void elementwiseCoversEveryElementAndCapsTheGrid() {
        assertEquals(new LaunchShape(1, 1, 1, 256), LaunchShape.elementwise(0));
        assertEquals(1, LaunchShape.elementwise(256).gridX());
        assertEquals(2, LaunchShape.elementwise(257).gridX());
        assertEquals(LaunchShape.MAX_FLAT_GRID, LaunchShape.elementwise(1L << 40).gridX());
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.elementwise(-1));
    }

    @Test
    void rowBlocksArePowersOfTwoBetweenAWarpAnd1024() {
        assertEquals(32, LaunchShape.rows(5, 1).blockX());
        assertEquals(32, LaunchShape.rows(5, 32).blockX());
        assertEquals(64, LaunchShape.rows(5, 33).blockX());
        assertEquals(1024, LaunchShape.rows(5, 1 << 20).blockX());
        for (int len = 0; len < 3000; len += 7) {
            int b = LaunchShape.rows(1, len).blockX();
            assertEquals(1, Integer.bitCount(b));
            assertTrue(b >= Math.min(len, 1024) && b >= 32 && b <= 1024);
        }
        assertEquals(LaunchShape.MAX_FLAT_GRID, LaunchShape.rows(1L << 33, 10).gridX());
        assertEquals(3, LaunchShape.rows(3, 10).gridX());
    }

    @Test
    void sgemmTilesOutputAndBatch() {
        LaunchShape s = LaunchShape.sgemm(65, 64, 3);
        assertEquals(new LaunchShape(1, 2, 3, 256), s);
        assertEquals(128, LaunchShape.sgemmTf32(1, 1, 1).blockX());
        assertEquals(LaunchShape.MAX_GRID_YZ, LaunchShape.sgemm(64, 64, 100_000).gridZ());
        assertEquals(128, LaunchShape.sgemm(8192, 8192, 1).gridX());
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.sgemm(Integer.MAX_VALUE, 1, 1));
        assertEquals("grid(1,2,3) block(256)", s.toString());
    }

    @Test
    void perExampleBlocksMatchTheKernelsSharedArrays() {
        assertEquals(256, LaunchShape.perExample(10).blockX());
        assertEquals(10, LaunchShape.perExample(10).gridX());
        assertEquals(1, LaunchShape.perExample(0).gridX());
    }
}
