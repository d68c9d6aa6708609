package org.dpmammo.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/**
 * PNG files built byte by byte from the format's definition (signature, IHDR, one IDAT, IEND, each with its CRC), for
 * headers javax.imageio's writer never produces (1-bit grey, a huge 16-bit RGBA) and for damaging files on purpose.
 */
public final class PngBytes {
    private PngBytes() {}

    /**
     * A PNG of the given colour type and bit depth whose scanlines (filter byte 0, then zero samples) are all zero,
     * except that 1-bit grey rows alternate 0 and 1 pixels so that decoding can be checked.
     */
    public static byte[] build(int width, int height, int bitDepth, int colourType) throws IOException {
        int channels = switch (colourType) {
            case 0, 3 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> throw new IllegalArgumentException("colour type " + colourType);
        };
        int rowBytes = (int) (((long) width * channels * bitDepth + 7) / 8);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(raw)) {
            byte[] row = new byte[1 + rowBytes];
            if (bitDepth == 1 && colourType == 0) Arrays.fill(row, 1, row.length, (byte) 0x55);
            for (int y = 0; y < height; y++) z.write(row);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, width);
        putInt(ihdr, 4, height);
        ihdr[8] = (byte) bitDepth;
        ihdr[9] = (byte) colourType;
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", raw.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** Recomputes the CRC of the chunk starting at {@code at} (its length field), after its bytes were changed. */
    public static void fixCrc(byte[] png, int at) {
        int length = ((png[at] & 0xFF) << 24) | ((png[at + 1] & 0xFF) << 16) | ((png[at + 2] & 0xFF) << 8) | (png[at + 3] & 0xFF);
        CRC32 crc = new CRC32();
        crc.update(png, at + 4, 4 + length);
        putInt(png, at + 8 + length, (int) crc.getValue());
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] b = new byte[12 + data.length];
        putInt(b, 0, data.length);
        System.arraycopy(type.getBytes(StandardCharsets.ISO_8859_1), 0, b, 4, 4);
        System.arraycopy(data, 0, b, 8, data.length);
        fixCrc(b, 0);
        out.write(b);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
