package org.dpmammo.data;

import org.dpmammo.util.BadInputException;

/**
 * An image file that is not a valid image dpmammo accepts (damaged, truncated, over a size limit, an unknown format):
 * bad input, which the command line reports with exit status 2, as opposed to an I/O failure such as a missing file or
 * a full disk. The message is one line naming the file.
 */
public final class BadImageException extends BadInputException {
    public BadImageException(String message) {
        super(message);
    }
}
