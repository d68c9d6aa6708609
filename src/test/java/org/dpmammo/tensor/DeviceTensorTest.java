package org.dpmammo.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.backend.Backends;
import org.junit.jupiter.api.Test;

/** A device-resident tensor behaves like a host tensor to host code and downloads once, only when read. */
class DeviceTensorTest {
    /**
     * A stand-in device that keeps DeviceBuffer's contract (download on the first host() call, then cache) and counts
     * host() calls and downloads apart: views must make neither, reads share one download.
     */
    private static final class FakeBuffer implements DeviceBuffer {
        private final float[] deviceValues;
        private float[] cache;
        int hostCalls;
        int downloads;

        FakeBuffer(float... values) {
            this.deviceValues = values;
        }

        @Override
        public long length() {
            return deviceValues.length;
        }

        @Override
        public float[] host() {
            hostCalls++;
            if (cache == null) {
                downloads++;
                cache = deviceValues.clone();
            }
            return cache;
        }

        @Override
        public String device() {
            return "fake:0";
        }
    }

    @Test
    void viewsStayOnTheDeviceUntilRead() {
        FakeBuffer b = new FakeBuffer(0, 1, 2, 3, 4, 5);
        Tensor t = Tensor.onDevice(b, 2, 3);
        Tensor v = t.reshape(3, 2).transpose(0, 1).slice(1, 1, 3).unsqueeze(0).expand(2, 2, 2);
        assertTrue(t.isOnDevice() && v.isOnDevice());
        assertSame(b, v.deviceBuffer());
        assertEquals(0, b.hostCalls, "making views must not touch the host copy");
        assertSame(t, t.compact());
        assertEquals(0, b.hostCalls);
        assertArrayEquals(new float[] {2, 4, 3, 5, 2, 4, 3, 5}, v.toArray());
        assertEquals(1, b.downloads, "the first read downloads");
        assertEquals(5f, t.get(1, 2));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toArray());
        assertEquals(1, b.downloads, "later reads of any view reuse that one download");
    }

    @Test
    void cpuOpsReadDeviceTensorsAndHostWritesAreRefused() {
        Tensor t = Tensor.onDevice(new FakeBuffer(1, 2, 3, 4), 2, 2);
        Tensor sum = Backends.cpu().sum(t, new int[] {1}, false);
        assertArrayEquals(new float[] {3, 7}, sum.toArray());
        assertTrue(!sum.isOnDevice());
        assertThrows(IllegalStateException.class, () -> t.set(0f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Tensor.onDevice(new FakeBuffer(1, 2), 3));
        assertTrue(!Tensor.zeros(2).isOnDevice());
    }
}
