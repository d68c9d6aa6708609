package org.dpmammo.tensor;

/**
 * Float32 storage that lives on an accelerator. A backend implements it; {@link Tensor} only needs to know the
 * length, a name for messages, and how to get the values to the host when host code reads them.
 */
public interface DeviceBuffer {
    /** Number of floats in the buffer. */
    long length();

    /**
     * The buffer's values on the host: downloaded on the first call and cached, so every view of the buffer shares
     * one host copy; the implementation drops the cache when a device op writes the buffer in place.
     */
    float[] host();

    /** The device, for messages ("cuda:0"). */
    String device();
}
