/*
 * BuildEmoji32: converts the 64x64 RGBA emoji PNGs of two vendors (Google / Noto Emoji and
 * Twitter / Twemoji, as shipped in the npm packages emoji-datasource-google and
 * emoji-datasource-twitter) into the 32x32 RGB set committed under datasets/emoji32/images.
 *
 * Usage (Java 17 single-file source launcher, JDK classes only):
 *
 *   java -Djava.awt.headless=true datasets/emoji32/BuildEmoji32.java <google-dir> <twitter-dir> <out-dir>
 *
 *   <google-dir>   package/img/google/64 of emoji-datasource-google
 *   <twitter-dir>  package/img/twitter/64 of emoji-datasource-twitter
 *   <out-dir>      must not exist or be empty; receives <code>/google.png and <code>/twitter.png
 *
 * Selection
 *   - Every "<code>.png" file of an input directory is an emoji, named by its code (the file name
 *     without ".png", e.g. "0023-fe0f-20e3"); the same file name in both vendors is the same emoji.
 *   - Skin-tone variants are dropped: any code with a '-'-separated code point in 1f3fb..1f3ff
 *     (this also drops the five stand-alone skin-tone swatches 1f3fb.png .. 1f3ff.png).
 *   - Only codes present in BOTH vendors become classes; codes in one vendor only are dropped and
 *     reported.
 *
 * Pixel conversion (exact integer arithmetic, no Java2D drawing or interpolation is involved)
 *   Input samples are read straight from the decoded raster (never through BufferedImage.getRGB,
 *   which would push gray PNGs through a linear-gray colour space and brighten them):
 *     - palette PNGs (1/2/4/8-bit, with or without tRNS): RGBA from the palette entry;
 *     - gray / gray+alpha (8-bit): R = G = B = gray;
 *     - RGB / RGBA (8-bit);
 *     - a missing alpha channel means a = 255. Alpha is straight (not premultiplied).
 *   For an output pixel (x, y) take the 2x2 input block (2x+i, 2y+j), i, j in {0, 1}. For each
 *   channel c (R, G, B) with alpha a (both 0..255), composite onto WHITE and box-average in exact
 *   rational arithmetic, rounding once, half up:
 *
 *     composite(c, a) = c*a/255 + 255*(1 - a/255) = (c*a + 255*(255 - a)) / 255   (not rounded)
 *     out = round( (1/4) * sum over the 4 block pixels of composite(c_k, a_k) )
 *         = floor( (N + 510) / 1020 ),  N = sum over k of (c_k*a_k + 255*(255 - a_k))
 *
 *   N <= 4*255*255, so everything fits in an int; out is in 0..255.
 *   With the optional 4th argument 64 (the full-size set, not committed; see build.sh --size 64) the
 *   block is the single pixel (x, y): out = floor((2N + 255) / 510) = round half up of N / 255.
 *   Fully transparent pixels therefore become white (255, 255, 255) whatever their stored colour.
 *
 * Output
 *   32x32 (or 64x64) 8-bit RGB PNG (colour type 2, no alpha channel) written by the JDK's ImageIO PNG writer
 *   from a TYPE_3BYTE_BGR image with default settings and no metadata (no timestamps), so the same
 *   pixels give the same bytes for the same JDK. Codes are processed in sorted order.
 *
 * Any input PNG that cannot be decoded, is not 64x64, or has an unsupported sample layout fails
 * the whole run with a message naming the file.
 */

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

public final class BuildEmoji32 {

    static final int IN = 64;
    /** Output side: 32 (the committed set, 2x2 box filter) or 64 (composite only), from the optional 4th argument. */
    static int OUT = 32;
    static final Set<String> SKIN_TONES = Set.of("1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff");

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && !(args.length == 4 && (args[3].equals("32") || args[3].equals("64")))) {
            System.err.println("usage: java -Djava.awt.headless=true BuildEmoji32.java"
                    + " <google-dir> <twitter-dir> <out-dir> [32|64]");
            System.exit(2);
        }
        if (args.length == 4) {
            OUT = Integer.parseInt(args[3]);
        }
        try {
            run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
        } catch (ConversionException e) {
            System.err.println("BuildEmoji32: ERROR: " + e.getMessage());
            System.exit(1);
        }
    }

    static final class ConversionException extends Exception {
        ConversionException(String message) { super(message); }
        ConversionException(String message, Throwable cause) { super(message, cause); }
    }

    static void run(Path googleDir, Path twitterDir, Path outDir) throws Exception {
        ImageIO.setUseCache(false);
        TreeSet<String> skinG = new TreeSet<>();
        TreeSet<String> skinT = new TreeSet<>();
        TreeSet<String> google = listCodes(googleDir, skinG);
        TreeSet<String> twitter = listCodes(twitterDir, skinT);

        TreeSet<String> both = new TreeSet<>(google);
        both.retainAll(twitter);
        TreeSet<String> googleOnly = new TreeSet<>(google);
        googleOnly.removeAll(twitter);
        TreeSet<String> twitterOnly = new TreeSet<>(twitter);
        twitterOnly.removeAll(google);
        if (both.isEmpty()) {
            throw new ConversionException("no emoji present in both " + googleDir + " and " + twitterDir);
        }

        if (Files.exists(outDir)) {
            try (Stream<Path> s = Files.list(outDir)) {
                if (s.findAny().isPresent()) {
                    throw new ConversionException("output directory is not empty: " + outDir);
                }
            }
        }
        Files.createDirectories(outDir);

        for (String code : both) {
            Path dir = outDir.resolve(code);
            Files.createDirectory(dir);
            convert(googleDir.resolve(code + ".png"), dir.resolve("google.png"));
            convert(twitterDir.resolve(code + ".png"), dir.resolve("twitter.png"));
        }

        System.out.println("BuildEmoji32: google files (non skin-tone): " + google.size()
                + ", twitter files (non skin-tone): " + twitter.size());
        System.out.println("BuildEmoji32: skin-tone files dropped: google " + skinG.size()
                + ", twitter " + skinT.size());
        System.out.println("BuildEmoji32: dropped, google only: " + googleOnly.size() + " " + googleOnly);
        System.out.println("BuildEmoji32: dropped, twitter only: " + twitterOnly.size() + " " + twitterOnly);
        System.out.println("BuildEmoji32: classes written: " + both.size() + " (x 2 images) to " + outDir);
    }

    /** Codes of the *.png files in dir (skin-tone codes go to skinOut instead). */
    static TreeSet<String> listCodes(Path dir, TreeSet<String> skinOut) throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new ConversionException("not a directory: " + dir);
        }
        TreeSet<String> codes = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = new ArrayList<>(s.toList());
        }
        for (Path p : files) {
            String name = p.getFileName().toString();
            if (!name.endsWith(".png") || !Files.isRegularFile(p)) {
                continue;
            }
            String code = name.substring(0, name.length() - ".png".length());
            if (!code.matches("[0-9a-f]{4,6}(-[0-9a-f]{4,6})*")) {
                throw new ConversionException("unexpected emoji file name (want lower-case hex code"
                        + " points joined by '-'): " + p);
            }
            if (isSkinTone(code)) {
                skinOut.add(code);
            } else {
                codes.add(code);
            }
        }
        return codes;
    }

    static boolean isSkinTone(String code) {
        for (String cp : code.split("-")) {
            if (SKIN_TONES.contains(cp)) {
                return true;
            }
        }
        return false;
    }

    static void convert(Path in, Path out) throws ConversionException {
        BufferedImage img;
        try {
            img = ImageIO.read(in.toFile());
        } catch (IOException | RuntimeException e) {
            throw new ConversionException("cannot read PNG " + in + ": " + e, e);
        }
        if (img == null) {
            throw new ConversionException("cannot read PNG " + in + ": no ImageIO reader accepted it");
        }
        if (img.getWidth() != IN || img.getHeight() != IN) {
            throw new ConversionException("PNG " + in + " is " + img.getWidth() + "x" + img.getHeight()
                    + ", expected " + IN + "x" + IN);
        }
        int[][] rgba = readRgba(img, in); // [y*IN + x] -> {r, g, b, a}

        BufferedImage dst = new BufferedImage(OUT, OUT, BufferedImage.TYPE_3BYTE_BGR);
        var wr = dst.getRaster();
        int[] px = new int[3];
        for (int y = 0; y < OUT; y++) {
            for (int x = 0; x < OUT; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int f = IN / OUT; // box side: 2 for 32x32, 1 for 64x64
                    int den = 255 * f * f;
                    int n = 0;
                    for (int j = 0; j < f; j++) {
                        for (int i = 0; i < f; i++) {
                            int[] p = rgba[(f * y + j) * IN + (f * x + i)];
                            int a = p[3];
                            n += p[ch] * a + 255 * (255 - a);
                        }
                    }
                    px[ch] = (2 * n + den) / (2 * den); // round half up of n / den (for 32x32: (n + 510) / 1020)
                }
                // TYPE_3BYTE_BGR raster bands are R, G, B in that order (the BGR is the byte layout).
                wr.setPixel(x, y, px);
            }
        }
        try {
            if (!ImageIO.write(dst, "png", out.toFile())) {
                throw new ConversionException("no ImageIO PNG writer available for " + out);
            }
        } catch (IOException e) {
            throw new ConversionException("cannot write " + out + ": " + e, e);
        }
    }

    /** Straight (non-premultiplied) 8-bit RGBA of every pixel, read from the raster. */
    static int[][] readRgba(BufferedImage img, Path file) throws ConversionException {
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int w = img.getWidth();
        int h = img.getHeight();
        int[][] out = new int[w * h][];
        if (cm instanceof IndexColorModel icm) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int idx = r.getSample(x, y, 0);
                    out[y * w + x] = new int[] {icm.getRed(idx), icm.getGreen(idx), icm.getBlue(idx),
                            icm.getAlpha(idx)};
                }
            }
            return out;
        }
        if (!(cm instanceof ComponentColorModel) || cm.isAlphaPremultiplied()
                || r.getTransferType() != DataBuffer.TYPE_BYTE) {
            throw new ConversionException("unsupported PNG sample layout in " + file + ": " + cm
                    + " (expected palette, or 8-bit gray/gray+alpha/RGB/RGBA)");
        }
        for (int b = 0; b < r.getNumBands(); b++) {
            if (cm.getComponentSize(b) != 8) {
                throw new ConversionException("unsupported PNG bit depth in " + file + ": band " + b
                        + " has " + cm.getComponentSize(b) + " bits (expected 8)");
            }
        }
        int bands = r.getNumBands();
        int csType = cm.getColorSpace().getType();
        boolean gray = (bands == 1 || bands == 2) && csType == java.awt.color.ColorSpace.TYPE_GRAY;
        boolean rgb = (bands == 3 || bands == 4) && csType == java.awt.color.ColorSpace.TYPE_RGB;
        if ((!gray && !rgb) || cm.hasAlpha() != (bands == 2 || bands == 4)) {
            throw new ConversionException("unsupported PNG sample layout in " + file + ": " + bands
                    + " bands, colour space type " + csType + " (expected gray, gray+alpha, RGB or RGBA)");
        }
        int[] s = new int[bands];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.getPixel(x, y, s);
                out[y * w + x] = switch (bands) {
                    case 1 -> new int[] {s[0], s[0], s[0], 255};
                    case 2 -> new int[] {s[0], s[0], s[0], s[1]};
                    case 3 -> new int[] {s[0], s[1], s[2], 255};
                    case 4 -> new int[] {s[0], s[1], s[2], s[3]};
                    default -> throw new IllegalStateException("unreachable: " + bands + " bands");
                };
            }
        }
        return out;
    }
}
