package org.dpmammo.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageIoTest {
    @TempDir
    Path dir;

    /** A PNG written by the JDK's encoder directly, as an independent reference for the reader. */
    private Path png(String name, BufferedImage img) throws IOException {
        Path p = dir.resolve(name);
        assertTrue(ImageIO.write(img, "png", p.toFile()));
        return p;
    }

    @Test
    void eightBitGrayRoundTripsThroughOurWriter() throws IOException {
        short[] s = new short[7 * 3];
        for (int i = 0; i < s.length; i++) s[i] = (short) (i * 12);
        Path p = dir.resolve("a.png");
        ImageIo.writePng(p, new GrayImage(7, 3, 255, s));
        GrayImage back = ImageIo.read(p);
        assertEquals(7, back.width());
        assertEquals(3, back.height());
        assertEquals(8, back.bitDepth());
        assertArrayEquals(s, back.samples());
        BufferedImage ref = ImageIO.read(p.toFile());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, ref.getType());
        assertEquals(5 * 12, ref.getRaster().getSample(5, 0, 0));
    }

    @Test
    void sixteenBitGrayKeepsFullPrecision() throws IOException {
        BufferedImage img = new BufferedImage(5, 4, BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 5; x++) img.getRaster().setSample(x, y, 0, 1000 * x + 13 * y + 40000);
        GrayImage g = ImageIo.read(png("g16.png", img));
        assertEquals(65535, g.maxValue());
        assertEquals(16, g.bitDepth());
        assertEquals(1000 * 3 + 13 * 2 + 40000, g.get(3, 2));
        assertEquals((1000 * 4 + 40000) / 65535f, g.toUnit().get(0, 0, 4), 1e-7f);
    }

    @Test
    void rgbAndRgbaBecomeBt601Luma() throws IOException {
        BufferedImage rgb = new BufferedImage(3, 1, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(0, 0, 0xFF0000);
        rgb.setRGB(1, 0, 0x00FF00);
        rgb.setRGB(2, 0, 0x204080);
        GrayImage g = ImageIo.read(png("rgb.png", rgb));
        assertEquals(255, g.maxValue());
        assertEquals(Math.round(0.299 * 255), g.get(0, 0));
        assertEquals(Math.round(0.587 * 255), g.get(1, 0));
        assertEquals(Math.round(0.299 * 0x20 + 0.587 * 0x40 + 0.114 * 0x80), g.get(2, 0));

        BufferedImage rgba = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x800000FF); // half-transparent blue: alpha is ignored
        assertEquals(Math.round(0.114 * 255), ImageIo.read(png("rgba.png", rgba)).get(0, 0));
    }

    @Test
    void binaryAndAsciiPgm() throws IOException {
        Path p5 = dir.resolve("b.pgm");
        byte[] head = "P5\n# a comment\n3 2\n255\n".getBytes(StandardCharsets.US_ASCII);
        byte[] body = {0, 10, (byte) 200, (byte) 255, 1, 2};
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        Files.write(p5, all);
        GrayImage b = ImageIo.read(p5);
        assertEquals(3, b.width());
        assertEquals(200, b.get(2, 0));
        assertEquals(255, b.get(0, 1));

        Path p5w = dir.resolve("w.pgm");
        Files.write(p5w, concat("P5 2 1 1000\n".getBytes(StandardCharsets.US_ASCII), new byte[] {0x03, (byte) 0xE8, 0x01, 0x00}));
        GrayImage w = ImageIo.read(p5w);
        assertEquals(1000, w.maxValue());
        assertEquals(1000, w.get(0, 0));
        assertEquals(256, w.get(1, 0));

        Path p2 = dir.resolve("a.pgm");
        Files.writeString(p2, "P2\n2 2 # size\n15\n0 15\n7 # mid\n 3\n");
        GrayImage a = ImageIo.read(p2);
        assertEquals(15, a.maxValue());
        assertEquals(7, a.get(0, 1));
        assertEquals(3, a.get(1, 1));
    }

    @Test
    void brokenFilesGiveOneLineNamingTheFile() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.png"));
        assertOneLine(empty, "empty file");

        Path text = dir.resolve("notes.png");
        Files.writeString(text, "this is not an image\n");
        assertOneLine(text, "not an image");

        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 64 * 64; i++) img.getRaster().setSample(i % 64, i / 64, 0, (i * 31) & 255);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        byte[] whole = buf.toByteArray();
        Path truncated = dir.resolve("trunc.png");
        Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
        assertOneLine(truncated, "");

        byte[] corrupt = whole.clone();
        for (int i = 60; i < corrupt.length - 20; i++) corrupt[i] ^= (byte) 0x5A;
        Path bad = dir.resolve("corrupt.png");
        Files.write(bad, corrupt);
        assertOneLine(bad, "");

        Path pgm = dir.resolve("short.pgm");
        Files.writeString(pgm, "P5 4 4 255\nab");
        assertOneLine(pgm, "truncated");

        assertOneLine(dir.resolve("absent.png"), "no such file");
        assertOneLine(Files.createDirectory(dir.resolve("folder.png")), "is a folder");
    }

    @Test
    void headerSizeIsCheckedBeforeDecoding() throws IOException {
        // A PGM header claiming 100000 x 100000 pixels with no data: refused from the header alone.
        Path bomb = dir.resolve("bomb.pgm");
        Files.writeString(bomb, "P5 100000 100000 255\n");
        IOException e = assertThrows(IOException.class, () -> ImageIo.read(bomb));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());

        // A PNG whose IHDR claims 60000 x 60000: the reader reports the declared size, which is refused.
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        byte[] b = buf.toByteArray();
        // IHDR data starts at byte 16: width then height, big-endian.
        byte[] big = {0, 0, (byte) 0xEA, 0x60};
        System.arraycopy(big, 0, b, 16, 4);
        System.arraycopy(big, 0, b, 20, 4);
        PngBytes.fixCrc(b, 8); // a valid IHDR, so that the size check is what refuses it
        Path pngBomb = dir.resolve("bomb.png");
        Files.write(pngBomb, b);
        IOException e2 = assertThrows(IOException.class, () -> ImageIo.read(pngBomb));
        assertTrue(e2.getMessage().contains("60000x60000") && e2.getMessage().contains("limit"), e2.getMessage());

        // The limit is configurable.
        Path ok = png("ok.png", new BufferedImage(40, 40, BufferedImage.TYPE_BYTE_GRAY));
        assertEquals(40, ImageIo.read(ok).width());
        assertThrows(IOException.class, () -> ImageIo.read(ok, 1000));
    }

    @Test
    void decodedBytesAreBudgetedNotOnlyPixels() throws IOException {
        // 8000 × 8000 passes the 64 Mpx limit, but at 16-bit RGBA it decodes to 488 MB: refused from the header, at
        // once (it used to take 46 s and 1.2 GB). The IDAT is a 0.5 MB stream of zeros, as in the report.
        byte[] bomb = PngBytes.build(8000, 8000, 16, 6);
        assertTrue(bomb.length < 1 << 20, "file of " + bomb.length + " bytes");
        Path p = dir.resolve("rgba16.png");
        Files.write(p, bomb);
        long start = System.nanoTime();
        assertOneLine(p, "8000x8000 pixels at 64 bits per pixel decodes to 488 MB, more than the limit of 128 MB");
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "refused in under 2 s");
        // The same rule at a small limit, where the full decode would be cheap: 100 × 100 is under 20000 pixels, but
        // 80000 bytes of raster exceed 2 × 20000.
        Path small = dir.resolve("small.png");
        Files.write(small, PngBytes.build(100, 100, 16, 6));
        IOException e = assertThrows(IOException.class, () -> ImageIo.read(small, 20_000));
        assertTrue(e.getMessage().contains("decodes to"), e.getMessage());
        assertEquals(100, ImageIo.read(small, 40_000).width());
        // A 16-bit grey image at the pixel limit is exactly at the byte limit and still allowed.
        Path grey16 = Files.write(dir.resolve("g16.png"), PngBytes.build(100, 100, 16, 0));
        assertEquals(100, ImageIo.read(grey16, 10_000).width());
    }

    @Test
    void truncatedAndBadCrcPngsAreRefused() throws IOException {
        BufferedImage img = new BufferedImage(128, 128, BufferedImage.TYPE_BYTE_GRAY);
        Random r = new Random(3);
        for (int i = 0; i < 128 * 128; i++) img.getRaster().setSample(i % 128, i / 128, 0, r.nextInt(256));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        byte[] whole = buf.toByteArray();
        Path first300 = dir.resolve("first300.png");
        Files.write(first300, Arrays.copyOf(whole, 300));
        assertOneLine(first300, "truncated PNG");
        // One flipped bit inside the image data: the JDK's reader skips CRCs and would decode wrong pixels.
        byte[] flipped = whole.clone();
        flipped[whole.length / 2] ^= 1;
        Path crc = dir.resolve("crc.png");
        Files.write(crc, flipped);
        assertOneLine(crc, "CRC mismatch in the IDAT chunk");
        // Without IEND (the last 12 bytes cut): truncated too.
        Path noEnd = dir.resolve("noend.png");
        Files.write(noEnd, Arrays.copyOf(whole, whole.length - 12));
        assertOneLine(noEnd, "before the IEND chunk");
    }

    @Test
    void oneBitGreyIsOneChannelOfOneBit() throws IOException {
        byte[] b = PngBytes.build(8, 2, 1, 0);
        assertEquals(new ImageIo.Info("png", 8, 2, 1, 1), ImageIo.probe(b, "bits.png"));
        GrayImage g = ImageIo.decode(b, "bits.png", ImageIo.DEFAULT_MAX_PIXELS);
        // Rows of 0x55 = 01010101: black, white, black, ... (white at full scale, whatever scale the reader uses).
        assertEquals(0, g.get(0, 0));
        assertEquals(g.maxValue(), g.get(1, 0));
        assertEquals(0, g.get(2, 1));
    }

    @Test
    void unreadableFileIsReported() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "running as root: chmod 000 does not block reads");
        Path p = png("locked.png", new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
        assertOneLine(p, "permission denied");
    }

    @Test
    void fromUnitClampsAndRounds() {
        GrayImage g = GrayImage.fromUnit(new float[] {-0.5f, 0f, 0.5f, 1.2f, Float.NaN, 0.002f}, 6, 1);
        assertArrayEquals(new short[] {0, 0, 128, 255, 0, 1}, g.samples());
    }

    @Test
    void probeReadsHeaderOnly() throws IOException {
        BufferedImage img = new BufferedImage(9, 5, BufferedImage.TYPE_USHORT_GRAY);
        Path p = png("p16.png", img);
        ImageIo.Info info = ImageIo.probe(Files.readAllBytes(p), p.toString());
        assertEquals(new ImageIo.Info("png", 9, 5, 1, 16), info);
    }

    private static void assertOneLine(Path p, String expected) {
        IOException e = assertThrows(IOException.class, () -> ImageIo.read(p));
        String m = e.getMessage();
        assertTrue(m.startsWith(p.toString() + ":"), m);
        assertTrue(m.contains(expected), m);
        assertEquals(1, m.lines().count(), m);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
