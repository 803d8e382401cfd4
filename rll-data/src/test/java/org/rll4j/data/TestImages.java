package org.rll4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

/** Writes small real image files (PNG/JPEG, grey/RGB/RGBA) for fixture trees. */
final class TestImages {

    private TestImages() {
    }

    /** An RGB image with a seeded random pattern; {@code format} "png" or "jpg". */
    static Path rgb(Path file, int width, int height, long seed, String format) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        SplittableRandom r = new SplittableRandom(seed);
        int base = r.nextInt(0xffffff);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, base ^ (r.nextInt(64) * 0x010101));
            }
        }
        return write(img, file, format);
    }

    /** A uniform RGB image of colour {@code 0xRRGGBB}. */
    static Path solid(Path file, int width, int height, int rgb, String format) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return write(img, file, format);
    }

    /** A grey PNG of uniform level. */
    static Path grey(Path file, int width, int height, int level) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.getRaster().setSample(x, y, 0, level);
            }
        }
        return write(img, file, "png");
    }

    /** An RGBA PNG of one colour {@code 0xRRGGBB} with alpha {@code a}. */
    static Path rgba(Path file, int width, int height, int rgb, int alpha) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, (alpha << 24) | rgb);
            }
        }
        return write(img, file, "png");
    }

    private static Path write(BufferedImage img, Path file, String format) {
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(img, format, file.toFile())) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
