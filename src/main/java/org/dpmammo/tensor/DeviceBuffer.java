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

    /**
     * A fresh contiguous copy of {@code view} (a tensor over this buffer), made where the buffer lives: what
     * {@link Tensor#copy()}, and so contiguous(), compact() and reshape() of a strided view, give for a device tensor,
     * so that layout changes in the middle of a graph do not bring values to the host. The default copies through the
     * host, for devices without a copy of their own.
     */
    default Tensor copyOf(Tensor view) {
        return Tensor.of(view.toArray(), view.shapeRef());
    }
}
