package org.dpmammo.backend.cuda;

/** A failed CUDA driver call, named with the call or kernel and its launch shape so a GPU log says what broke. */
public final class CudaFailure extends RuntimeException {
    public CudaFailure(String message) {
        super(message);
    }
}
