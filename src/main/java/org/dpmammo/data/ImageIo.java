package org.dpmammo.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import org.dpmammo.util.AtomicFiles;

/**
 * Reads grayscale images (PNG of any bit depth and colour type through javax.imageio; binary P5 and ASCII P2 PGM
 * parsed here) and writes 8-bit grayscale PNG.
 *
 * <p>Every failure is an {@link IOException} whose message is one line naming the file. The declared size is read
 * from the header before any pixel is decoded, and images above a pixel limit, or whose decoded raster would take more
 * bytes than a 16-bit grey image at that limit, are refused, so a small crafted file cannot make the decoder allocate
 * gigabytes. A PNG's chunk structure and every chunk's CRC are checked before decoding (javax.imageio skips CRCs and
 * can return a partly decoded image), so a damaged or truncated file is refused instead of read as pixels.
 */
public final class ImageIo {
    /** Default limit on width × height: 64 Mpx, far above any mammogram patch, far below a heap-filling bomb. */
    public static final long DEFAULT_MAX_PIXELS = 64L << 20;
    /** Files larger than this are refused before being read into memory. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    static {
        // ImageIO's disk cache writes temp files for every stream; decoding from memory needs none.
        ImageIO.setUseCache(false);
    }

    private ImageIo() {}

    /** What a header declares, without decoding pixels. */
    public record Info(String format, int width, int height, int channels, int bitDepth) {}

    public static GrayImage read(Path file) throws IOException {
        return decode(readBytes(file), file.toString(), DEFAULT_MAX_PIXELS);
    }

    public static GrayImage read(Path file, long maxPixels) throws IOException {
        return decode(readBytes(file), file.toString(), maxPixels);
    }

    /** The file's bytes, with file-system errors turned into one line naming the file. */
    public static byte[] readBytes(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new BadImageException(file + ": is a folder, not an image");
        long size;
        byte[] bytes;
        try {
            size = Files.size(file);
            bytes = size > MAX_FILE_BYTES ? null : Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new IOException(file + ": permission denied");
        } catch (IOException e) {
            throw new IOException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (bytes == null) throw new BadImageException(file + ": file of " + size + " bytes is too large for an image");
        return bytes;
    }

    /** Decodes an image held in memory; {@code name} only labels error messages. */
    public static GrayImage decode(byte[] bytes, String name, long maxPixels) throws IOException {
        if (bytes.length == 0) throw new BadImageException(name + ": empty file");
        if (isPgm(bytes)) return Pgm.decode(bytes, name, maxPixels);
        if (Png.isPng(bytes)) Png.checkChunks(bytes, name);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in, name);
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                checkSize(name, width, height, maxPixels);
                checkDecodedBytes(name, width, height, bitsPerPixel(reader.getRawImageType(0)), maxPixels);
                return toGray(reader.read(0), name);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw wrap(name, e);
        }
    }

    /** Reads only the header: format, size, channels and bit depth. */
    public static Info probe(byte[] bytes, String name) throws IOException {
        if (bytes.length == 0) throw new BadImageException(name + ": empty file");
        if (isPgm(bytes)) {
            Pgm.Header h = Pgm.header(bytes, name);
            return new Info("pgm", h.width(), h.height(), 1, 32 - Integer.numberOfLeadingZeros(h.maxValue()));
        }
        // Read from IHDR itself: javax.imageio describes 1-, 2- and 4-bit grey as a palette, which looked like colour.
        if (Png.isPng(bytes)) return Png.header(bytes, name);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in, name);
            try {
                reader.setInput(in, true, true);
                ImageTypeSpecifier type = reader.getRawImageType(0);
                int channels = type == null ? 0 : type.getNumBands();
                int bits = type == null ? 0 : type.getSampleModel().getSampleSize(0);
                if (type != null && type.getColorModel() instanceof IndexColorModel) channels = 3;
                return new Info(reader.getFormatName().toLowerCase(), reader.getWidth(0), reader.getHeight(0), channels, bits);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw wrap(name, e);
        }
    }

    /** Writes an 8-bit grayscale PNG atomically; 16-bit sources are scaled down to 8 bits with rounding. */
    public static void writePng(Path file, GrayImage image) throws IOException {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = bi.getRaster();
        short[] s = image.samples();
        int max = image.maxValue();
        int[] row = new int[image.width()];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < row.length; x++) {
                int v = s[y * row.length + x] & 0xFFFF;
                row[x] = max == 255 ? v : (int) ((v * 255L * 2 + max) / (2L * max));
            }
            r.setPixels(0, y, row.length, 1, row);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (!ImageIO.write(bi, "png", buf)) throw new IOException(file + ": no PNG writer available");
        AtomicFiles.writeBytes(file, buf.toByteArray());
    }

    private static ImageReader readerFor(ImageInputStream in, String name) throws IOException {
        if (in == null) throw new BadImageException(name + ": cannot open image stream");
        Iterator<ImageReader> it = ImageIO.getImageReaders(in);
        if (!it.hasNext()) throw new BadImageException(name + ": not an image (unrecognised format)");
        return it.next();
    }

    static void checkSize(String name, int width, int height, long maxPixels) throws IOException {
        if (width <= 0 || height <= 0) throw new BadImageException(name + ": invalid image size " + width + "x" + height);
        if ((long) width * height > maxPixels) {
            throw new BadImageException(name + ": image of " + width + "x" + height + " pixels exceeds the limit of " + maxPixels
                    + " pixels (a decompression bomb or not a patch)");
        }
    }

    /**
     * Refuses an image whose decoded raster would exceed the bytes of a 16-bit grey image at the pixel limit (what
     * {@link GrayImage} itself holds there): a 0.5 MB 16-bit RGBA PNG of 8000×8000 passes the pixel limit but decodes
     * to 512 MB.
     */
    static void checkDecodedBytes(String name, int width, int height, int bitsPerPixel, long maxPixels) throws IOException {
        long limit = 2 * maxPixels;
        long bytes = (long) width * height * ((bitsPerPixel + 7) / 8);
        if (bytes > limit) {
            throw new BadImageException(name + ": image of " + width + "x" + height + " pixels at " + bitsPerPixel + " bits per pixel decodes to "
                    + (bytes >> 20) + " MB, more than the limit of " + (limit >> 20) + " MB (a decompression bomb or not a patch)");
        }
    }

    /** Bits per pixel of the decoder's raster; 64 (16-bit RGBA, the most PNG has) where the reader does not say. */
    private static int bitsPerPixel(ImageTypeSpecifier type) {
        if (type == null) return 64;
        int bits = 0;
        for (int b : type.getSampleModel().getSampleSize()) bits += b;
        return bits;
    }

    private static BadImageException wrap(String name, Exception e) {
        String m = e.getMessage();
        if (e instanceof BadImageException b) return b;
        String why = m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
        if (e instanceof java.io.EOFException) why = "truncated file";
        return new BadImageException(name + ": cannot decode image (" + why + ")");
    }

    /**
     * Converts a decoded image to one channel. Gray (with or without alpha) keeps its raw samples at their own depth;
     * colour and palette images become 8-bit luma with the ITU-R BT.601 weights, which is what common imaging
     * libraries use for "convert to L"; alpha is ignored.
     */
    private static GrayImage toGray(BufferedImage bi, String name) throws IOException {
        if (bi == null) throw new BadImageException(name + ": decoder returned no image");
        int w = bi.getWidth();
        int h = bi.getHeight();
        ColorModel cm = bi.getColorModel();
        Raster r = bi.getRaster();
        short[] out = new short[w * h];
        boolean gray = cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel);
        if (gray) {
            int bits = r.getSampleModel().getSampleSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) out[y * w + x] = (short) row[x];
            }
            return new GrayImage(w, h, (1 << bits) - 1, out);
        }
        Object pixel = null;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                pixel = r.getDataElements(x, y, pixel);
                int red = cm.getRed(pixel);
                int green = cm.getGreen(pixel);
                int blue = cm.getBlue(pixel);
                out[y * w + x] = (short) Math.round(0.299f * red + 0.587f * green + 0.114f * blue);
            }
        }
        return new GrayImage(w, h, 255, out);
    }

    private static boolean isPgm(byte[] b) {
        return b.length >= 2 && b[0] == 'P' && (b[1] == '2' || b[1] == '5');
    }

    /** The PNG container: signature, then chunks of length, type, data and CRC-32 over type and data, ending with IEND. */
    static final class Png {
        private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

        private Png() {}

        static boolean isPng(byte[] b) {
            return b.length >= SIGNATURE.length && Arrays.equals(b, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length);
        }

        /** Header facts from IHDR, which the format requires to be the first chunk. */
        static Info header(byte[] b, String name) throws IOException {
            if (b.length < 33 || !"IHDR".equals(type(b, 12))) throw new BadImageException(name + ": truncated PNG (no IHDR chunk)");
            int width = readInt(b, 16);
            int height = readInt(b, 20);
            int bitDepth = b[24] & 0xFF;
            int colourType = b[25] & 0xFF;
            int channels = switch (colourType) {
                case 0 -> 1;
                case 2, 3 -> 3; // a palette holds RGB colours
                case 4 -> 2;
                case 6 -> 4;
                default -> throw new BadImageException(name + ": PNG colour type " + colourType + " is not defined");
            };
            return new Info("png", width, height, channels, bitDepth);
        }

        /** Walks every chunk, checking that it lies inside the file and that its CRC matches, up to IEND. */
        static void checkChunks(byte[] b, String name) throws IOException {
            CRC32 crc = new CRC32();
            int pos = SIGNATURE.length;
            while (true) {
                if (b.length - pos < 12) throw new BadImageException(name + ": truncated PNG (ends at byte " + b.length + " before the IEND chunk)");
                long length = readInt(b, pos) & 0xFFFFFFFFL;
                String type = type(b, pos + 4);
                if (length > b.length - pos - 12L) {
                    throw new BadImageException(name + ": truncated PNG (" + type + " chunk at byte " + pos + " declares " + length
                            + " bytes, " + (b.length - pos - 12) + " remain)");
                }
                crc.reset();
                crc.update(b, pos + 4, 4 + (int) length);
                int stored = readInt(b, pos + 8 + (int) length);
                if ((int) crc.getValue() != stored) {
                    throw new BadImageException(name + ": damaged PNG (CRC mismatch in the " + type + " chunk at byte " + pos + ")");
                }
                pos += 12 + (int) length;
                if (type.equals("IEND")) return;
            }
        }

        private static String type(byte[] b, int at) {
            return new String(b, at, 4, StandardCharsets.ISO_8859_1);
        }

        private static int readInt(byte[] b, int at) {
            return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
        }
    }

    /** Netpbm graymap: "P5" or "P2", width, height, maxval (comments allowed), then samples. */
    static final class Pgm {
        private Pgm() {}

        record Header(boolean binary, int width, int height, int maxValue, int dataStart) {}

        static Header header(byte[] b, String name) throws IOException {
            int[] pos = {2};
            int width = number(b, pos, name, "width");
            int height = number(b, pos, name, "height");
            int max = number(b, pos, name, "maxval");
            if (max < 1 || max > 65535) throw new BadImageException(name + ": PGM maxval " + max + " outside [1, 65535]");
            if (width <= 0 || height <= 0) throw new BadImageException(name + ": invalid image size " + width + "x" + height);
            // Exactly one whitespace byte separates the header from binary samples.
            return new Header(b[1] == '5', width, height, max, pos[0] + 1);
        }

        static GrayImage decode(byte[] b, String name, long maxPixels) throws IOException {
            Header h = header(b, name);
            checkSize(name, h.width(), h.height(), maxPixels);
            int n = h.width() * h.height();
            short[] s = new short[n];
            if (h.binary()) {
                int bytesPer = h.maxValue() < 256 ? 1 : 2;
                if ((long) h.dataStart() + (long) n * bytesPer > b.length) throw new BadImageException(name + ": truncated PGM data");
                for (int i = 0, p = h.dataStart(); i < n; i++) {
                    int v = bytesPer == 1 ? b[p++] & 0xFF : ((b[p++] & 0xFF) << 8) | (b[p++] & 0xFF);
                    s[i] = sample(v, h.maxValue(), name);
                }
            } else {
                int[] pos = {h.dataStart() - 1};
                for (int i = 0; i < n; i++) {
                    if (!hasNumber(b, pos)) throw new BadImageException(name + ": truncated PGM data (" + i + " of " + n + " samples)");
                    s[i] = sample(number(b, pos, name, "sample"), h.maxValue(), name);
                }
            }
            return new GrayImage(h.width(), h.height(), h.maxValue(), s);
        }

        private static short sample(int v, int max, String name) throws IOException {
            if (v > max) throw new BadImageException(name + ": PGM sample " + v + " exceeds maxval " + max);
            return (short) v;
        }

        private static void skipSpace(byte[] b, int[] pos) {
            int p = pos[0];
            while (p < b.length) {
                byte c = b[p];
                if (c == '#') {
                    while (p < b.length && b[p] != '\n' && b[p] != '\r') p++;
                } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B) {
                    p++;
                } else {
                    break;
                }
            }
            pos[0] = p;
        }

        private static boolean hasNumber(byte[] b, int[] pos) {
            skipSpace(b, pos);
            return pos[0] < b.length;
        }

        private static int number(byte[] b, int[] pos, String name, String what) throws IOException {
            skipSpace(b, pos);
            int p = pos[0];
            long v = 0;
            int start = p;
            while (p < b.length && b[p] >= '0' && b[p] <= '9') {
                v = v * 10 + (b[p] - '0');
                if (v > Integer.MAX_VALUE) throw new BadImageException(name + ": PGM " + what + " is too large");
                p++;
            }
            if (p == start) {
                String got = p < b.length ? new String(b, p, Math.min(8, b.length - p), StandardCharsets.ISO_8859_1).trim() : "end of file";
                throw new BadImageException(name + ": malformed PGM " + what + " (found '" + got + "')");
            }
            pos[0] = p;
            return (int) v;
        }
    }
}
