package org.rll4j.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.data.ImageDecoder;
import org.rll4j.data.ImageFolderReader;
import org.rll4j.data.ImageList;
import org.rll4j.data.ImageListSource;
import org.rll4j.data.ImagePipeline;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.sampler.ClassBalancedBatchSampler;

/**
 * Images per second of the full training pipeline (decode JPEG + random resized crop to 227 +
 * horizontal flip + ImageNet normalisation into C x K = 20 x 3 batches) with 1 and 2 worker
 * threads, next to decoding alone on one thread, over a generated folder of 256x256-ish JPEGs
 * (smooth colour fields plus noise, quality 90: about the size of product photos at that scale).
 */
final class DataBenchmark {

    private DataBenchmark() {
    }

    static void run(int images, int epochs) {
        Path dir;
        try {
            dir = Files.createTempDirectory("rll4j-data-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            int classes = images / 6;
            long bytes = generate(dir, classes, 6);
            ImageList list = ImageFolderReader.read(dir).images();
            System.out.printf(Locale.ROOT, "%d JPEGs (%d classes x 6, 240-280 px per side, %.1f KB mean) in %s%n",
                    list.size(), classes, bytes / 1024.0 / list.size(), dir);
            double decode = decodeRate(list, epochs);
            System.out.printf(Locale.ROOT, "%-44s %8.0f images/s%n", "decode only, 1 thread", decode);
            double[] rates = new double[3];
            for (int workers = 1; workers <= 2; workers++) {
                rates[workers] = pipelineRate(list, workers, epochs);
                System.out.printf(Locale.ROOT, "%-44s %8.0f images/s  (%.2f x decode-only)%n",
                        "train pipeline (227 crop+flip+norm), " + workers + " worker" + (workers > 1 ? "s" : ""),
                        rates[workers], rates[workers] / decode);
            }
            System.out.printf(Locale.ROOT, "2 workers / 1 worker: %.2f; target: >= 250 images/s with 2 workers on 2 cores%n",
                    rates[2] / rates[1]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            delete(dir);
        }
    }

    private static double decodeRate(ImageList list, int epochs) throws IOException {
        ImageDecoder decoder = ImageDecoder.onWhite();
        for (int i = 0; i < Math.min(50, list.size()); i++) {
            decoder.decode(list.get(i).path()).close();
        }
        long t0 = System.nanoTime();
        int n = 0;
        for (int e = 0; e < epochs; e++) {
            for (int i = 0; i < list.size(); i++) {
                try (Mat m = decoder.decode(list.get(i).path())) {
                    n += m.rows() > 0 ? 1 : 0;
                }
            }
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private static double pipelineRate(ImageList list, int workers, int epochs) {
        ImageListSource source = ImageListSource.of(list);
        ClassBalancedBatchSampler sampler = ClassBalancedBatchSampler.builder().labels(source.labels())
                .classesPerBatch(20).samplesPerClass(3).seed(1).build();
        try (SampledDataSetIterator it = SampledDataSetIterator.builder().source(source).sampler(sampler)
                .pipeline(ImagePipeline.train(227)).workers(workers).prefetch(2 * workers).seed(1).build()) {
            while (it.hasNext()) { // warm-up epoch
                it.next();
            }
            long t0 = System.nanoTime();
            long n = 0;
            for (int e = 0; e < epochs; e++) {
                it.reset();
                while (it.hasNext()) {
                    n += it.next().numExamples();
                }
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static long generate(Path dir, int classes, int perClass) throws IOException {
        SplittableRandom r = new SplittableRandom(42);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        long bytes = 0;
        for (int c = 0; c < classes; c++) {
            Path cls = Files.createDirectories(dir.resolve(String.format(Locale.ROOT, "class%04d", c)));
            for (int i = 0; i < perClass; i++) {
                int w = 240 + r.nextInt(41);
                int h = 240 + r.nextInt(41);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                int r0 = r.nextInt(256);
                int g0 = r.nextInt(256);
                int b0 = r.nextInt(256);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int n = r.nextInt(24);
                        int red = clamp(r0 + x * 96 / w + n);
                        int green = clamp(g0 + y * 96 / h + n);
                        int blue = clamp(b0 + (x + y) * 48 / (w + h) + n);
                        img.setRGB(x, y, (red << 16) | (green << 8) | blue);
                    }
                }
                Path file = cls.resolve("img" + i + ".jpg");
                try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
                    writer.setOutput(out);
                    writer.write(null, new IIOImage(img, null, null), param);
                }
                bytes += Files.size(file);
            }
        }
        writer.dispose();
        return bytes;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v % 512 > 255 ? 511 - v % 512 : v % 512));
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
