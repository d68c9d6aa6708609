package org.dpmammo.cli;

/** Bad usage or an invalid argument value: reported as one line on stderr with exit status 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
