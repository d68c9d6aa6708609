package org.dpmammo.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.backend.cpu.CpuBackend;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;

class IndexShapeTest {
    @Test
    void splitsAroundTheAxis() {
        IndexShape s = IndexShape.select(new int[] {2, 5, 3}, -2, new int[] {4, 0, 4, 1});
        assertEquals(2, s.outer());
        assertEquals(5, s.len());
        assertEquals(3, s.inner());
        assertArrayEquals(new int[] {2, 4, 3}, s.outShape());
        assertArrayEquals(new int[] {2, 7, 3}, IndexShape.add(new int[] {2, 4, 3}, 1, new int[] {6, 0, 6, 1}, 7).outShape());
    }

    @Test
    void badIndicesAreRefusedBeforeAnyBackendWrites() {
        Tensor x = Tensor.of(new float[6], 2, 3);
        CpuBackend cpu = new CpuBackend();
        assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> cpu.indexSelect(x, 1, new int[] {0, 3}))
                .getMessage().contains("index 3 out of range for axis 1 of [2, 3]"));
        assertTrue(assertThrows(IndexOutOfBoundsException.class, () -> cpu.indexAdd(x, 1, new int[] {0, 1, -1}, 4))
                .getMessage().contains("index -1 out of range for size 4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> cpu.indexAdd(x, 1, new int[] {0, 1}, 4))
                .getMessage().contains("2 indices for axis of size 3"));
    }
}
