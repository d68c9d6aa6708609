package org.dpmammo.backend.cuda;

/** An address inside a device buffer: the buffer and a byte offset. Devices turn it into their own pointer type. */
record DevPtr(CudaBuffer buffer, long byteOffset) {
    /** The null pointer, for kernel arguments a rule does not read. */
    static final DevPtr NULL = new DevPtr(null, 0);

    DevPtr plus(long bytes) {
        return new DevPtr(buffer, byteOffset + bytes);
    }
}
