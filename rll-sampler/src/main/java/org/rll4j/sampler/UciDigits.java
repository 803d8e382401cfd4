package org.rll4j.sampler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The UCI handwritten digits (1,797 images of 8x8 pixels, 10 classes of about 180), embedded in this
 * jar as scikit-learn's {@code digits.csv.gz} (CC BY 4.0; see the NOTICE beside the file). Small
 * enough for tests and quick demonstrations of metric learning on real data.
 *
 * <p>Pixels are the original counts 0..16 divided by 16, so features lie in [0, 1].
 */
public final class UciDigits {

    /** Classpath location of the embedded file. */
    public static final String RESOURCE = "/org/rll4j/sampler/uci-digits/digits.csv.gz";
    /** Pixels per image (8 x 8). */
    public static final int PIXELS = 64;

    /** Images and their digit labels. */
    public record Data(float[][] pixels, int[] labels) {

        /** Number of images. */
        public int size() {
            return labels.length;
        }

        /** Features {@code [N, 64]} as FLOAT. */
        public INDArray features() {
            return Nd4j.createFromArray(pixels).castTo(DataType.FLOAT);
        }

        /** The images whose label is in {@code classes}, in their original order. */
        public Data ofClasses(int... classes) {
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                final int label = labels[i];
                if (Arrays.stream(classes).anyMatch(c -> c == label)) {
                    keep.add(i);
                }
            }
            float[][] p = new float[keep.size()][];
            int[] l = new int[keep.size()];
            for (int k = 0; k < keep.size(); k++) {
                p[k] = pixels[keep.get(k)];
                l[k] = labels[keep.get(k)];
            }
            return new Data(p, l);
        }
    }

    private UciDigits() {
    }

    /** Loads the embedded dataset. */
    public static Data load() {
        try (InputStream in = UciDigits.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("classpath resource " + RESOURCE + " is missing from the rll-sampler jar");
            }
            return read(new GZIPInputStream(in), RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /**
     * Parses the uncompressed CSV: 64 integer pixels in 0..16, then the label 0..9, per line.
     *
     * @param in the CSV text
     * @param source name for error messages
     * @return the images
     * @throws IOException on read failure
     * @throws IllegalArgumentException naming source and line for a malformed line
     */
    public static Data read(InputStream in, String source) throws IOException {
        List<float[]> pixels = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(",");
            if (parts.length != PIXELS + 1) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s line %d: expected %d comma-separated values (64 pixels and a label), found %d",
                        source, lineNo, PIXELS + 1, parts.length));
            }
            float[] row = new float[PIXELS];
            for (int k = 0; k <= PIXELS; k++) {
                int v;
                try {
                    v = Integer.parseInt(parts[k].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s line %d, column %d: expected an integer, found '%s'", source, lineNo, k + 1, parts[k]), e);
                }
                int max = k < PIXELS ? 16 : 9;
                if (v < 0 || v > max) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s line %d, column %d: value must be in [0, %d], found %d", source, lineNo, k + 1, max, v));
                }
                if (k < PIXELS) {
                    row[k] = v / 16f;
                } else {
                    labels.add(v);
                }
            }
            pixels.add(row);
        }
        return new Data(pixels.toArray(new float[0][]), labels.stream().mapToInt(Integer::intValue).toArray());
    }
}
