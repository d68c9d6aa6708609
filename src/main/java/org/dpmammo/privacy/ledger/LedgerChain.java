package org.dpmammo.privacy.ledger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a ledger's entries are chained. Unkeyed: SHA-256(previous hash ‖ entry), which detects accidents and cuts but
 * not a forger who rewrites the whole chain. Keyed: HMAC-SHA256 under a secret key, so that nobody without the key
 * can produce a chain that verifies. A keyed ledger marks every entry {@code "chain":"hmac-sha256"}; opened with a
 * key, an unmarked entry is refused (otherwise a forger could downgrade the ledger to the unkeyed chain), and opened
 * without one, a marked entry is refused with a message saying the key is needed.
 *
 * <p>The key comes from the file named by {@code DPMAMMO_LEDGER_KEY_FILE} (its bytes) or from
 * {@code DPMAMMO_LEDGER_KEY} (its UTF-8 text), at least 16 bytes; it is never written anywhere.
 */
public final class LedgerChain {
    static final String SHA256 = "sha256", HMAC = "hmac-sha256";
    public static final String KEY_ENV = "DPMAMMO_LEDGER_KEY", KEY_FILE_ENV = "DPMAMMO_LEDGER_KEY_FILE";
    private static final int MIN_KEY_BYTES = 16;

    private final byte[] key;

    private LedgerChain(byte[] key) {
        this.key = key;
    }

    public static LedgerChain unkeyed() {
        return new LedgerChain(null);
    }

    public static LedgerChain keyed(byte[] key) {
        if (key == null || key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("ledger key must be at least " + MIN_KEY_BYTES + " bytes, got " + (key == null ? 0 : key.length));
        }
        return new LedgerChain(key.clone());
    }

    /** The key from the environment, or the unkeyed chain where none is set. */
    public static LedgerChain fromEnvironment() throws IOException {
        String file = System.getenv(KEY_FILE_ENV), text = System.getenv(KEY_ENV);
        if (file != null && !file.isEmpty()) {
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) throw new IOException(KEY_FILE_ENV + "=" + file + ": no such file");
            return keyed(Files.readAllBytes(p));
        }
        if (text != null && !text.isEmpty()) return keyed(text.getBytes(StandardCharsets.UTF_8));
        return unkeyed();
    }

    public boolean keyed() {
        return key != null;
    }

    /** Refuses an entry chained the other way (see the class comment). */
    void check(String entryChain, String where) throws IOException {
        boolean entryKeyed = HMAC.equals(entryChain);
        if (!entryKeyed && !SHA256.equals(entryChain)) throw new IOException(where + ": unknown chain '" + entryChain + "'");
        if (entryKeyed && key == null) {
            throw new IOException(where + ": the ledger is HMAC-keyed; set " + KEY_ENV + " or " + KEY_FILE_ENV + " to read it");
        }
        if (!entryKeyed && key != null) {
            throw new IOException(where + ": the entry is not HMAC-keyed but a ledger key is set; a keyed ledger never holds unkeyed entries");
        }
    }

    String hash(String previous, String body) {
        byte[] data = (previous + body).getBytes(StandardCharsets.UTF_8);
        try {
            byte[] digest;
            if (key == null) {
                digest = MessageDigest.getInstance("SHA-256").digest(data);
            } else {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                digest = mac.doFinal(data);
            }
            return HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256 or HMAC-SHA256", e);
        }
    }
}
