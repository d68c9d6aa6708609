package org.dpmammo.util;

import java.io.IOException;

/**
 * A file the user gave that dpmammo cannot accept (a damaged or truncated image, a malformed or foreign checkpoint):
 * bad input, which the command line reports with exit status 2, as opposed to an I/O failure such as a missing file or
 * a full disk (exit 1). The message is one line naming the file and what is wrong with it.
 */
public class BadInputException extends IOException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
