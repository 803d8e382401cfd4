package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.RunConfig;
import org.rll4j.data.ClassSplit;
import org.rll4j.data.ClassSubsetSource;
import org.rll4j.data.CsvListReader;
import org.rll4j.data.CubReader;
import org.rll4j.data.ExampleSource;
import org.rll4j.data.IdxReader;
import org.rll4j.data.IdxSource;
import org.rll4j.data.ImageFolderReader;
import org.rll4j.data.ImageListSource;
import org.rll4j.data.ImagePipeline;
import org.rll4j.data.InShopReader;
import org.rll4j.data.InShopSplit;
import org.rll4j.data.Normalization;
import org.rll4j.data.SopReader;

/**
 * The examples of a run, split by class as the design doc's protocol says: training classes, and
 * unseen test classes searched either within themselves ({@code gallery == null}: CUB, CARS, SOP,
 * a folder per class) or as separate query and gallery sets (In-Shop); plus the training and test
 * image pipelines.
 *
 * @param train training examples
 * @param query test queries (and the gallery when {@code gallery} is null)
 * @param gallery a separate gallery, or null
 * @param trainPipeline augmentation and normalisation for training
 * @param testPipeline resize, centre crop and normalisation for evaluation
 * @param description one line for the log
 */
public record RunData(ExampleSource train, ExampleSource query, ExampleSource gallery, ImagePipeline trainPipeline,
                      ImagePipeline testPipeline, String description) {

    /** Input channels: 1 for IDX (grey) datasets, 3 otherwise. */
    public static int channels(RunConfig.Dataset d) {
        return d.format().equals("idx") ? 1 : 3;
    }

    /**
     * Reads the dataset the config names.
     *
     * @throws NoSuchFileException naming the missing root or list file and the config key
     * @throws IOException when a list or image file cannot be read
     */
    public static RunData open(RunConfig.Dataset d) throws IOException {
        RunData data = openSplit(d);
        return d.validation() > 0 ? data.validationSplit(d.validation()) : data;
    }

    /**
     * This data with the last {@code round(fraction x n)} of the n sorted training classes held out as the
     * evaluation set (one-set protocol), the others to train on; the test classes are left out entirely. For
     * tuning (e.g. a learning rate) without ever looking at the test classes.
     *
     * @throws ConfigException naming the counts when either part would have fewer than 2 classes
     */
    RunData validationSplit(double fraction) {
        List<String> names = new ArrayList<>(train.labels().classNames());
        Collections.sort(names);
        int held = (int) Math.round(fraction * names.size());
        if (held < 2 || names.size() - held < 2) {
            throw new ConfigException(String.format(Locale.ROOT, "dataset.validation %s of %d training classes holds "
                    + "out %d; both parts need at least 2 classes: choose a fraction between %.3f and %.3f", fraction, names.size(),
                    held, 1.5 / names.size(), (names.size() - 1.5) / names.size()));
        }
        ClassSubsetSource kept = ClassSubsetSource.of(train, names.subList(0, names.size() - held));
        ClassSubsetSource validation = ClassSubsetSource.of(train, names.subList(names.size() - held, names.size()));
        return new RunData(kept, validation, null, trainPipeline, testPipeline, String.format(Locale.ROOT,
                "%s; validation: train %d images of %d classes, evaluate on %d images of the last %d training classes "
                        + "(test classes unused)", description, kept.size(), kept.labels().numClasses(), validation.size(), held));
    }

    private static RunData openSplit(RunConfig.Dataset d) throws IOException {
        Path root = d.root();
        if (!Files.exists(root)) {
            throw new NoSuchFileException(root.toString(), null, "dataset.root does not exist (format " + d.format()
                    + "); docs/datasets.md in the rll4j repository says how to get each dataset");
        }
        ImagePipeline trainPipeline = trainPipeline(d);
        ImagePipeline testPipeline = testPipeline(d);

        switch (d.format()) {
            case "inshop" -> {
                InShopSplit s = InShopReader.read(root);
                return new RunData(ImageListSource.of(s.train()), ImageListSource.of(s.query()), ImageListSource.of(s.gallery()),
                        trainPipeline, testPipeline, describe("In-Shop", s.train().size(), s.train().labels().numClasses(),
                        s.query().size() + s.gallery().size(), s.query().labels().numClasses()));
            }
            case "idx" -> {
                IdxSource trainAll = IdxReader.read(root, labelsBeside(root));
                IdxSource testAll = IdxReader.read(d.test(), labelsBeside(d.test()));
                // class-disjoint: train on the first half of the classes of the training file, test on
                // the second half of the classes of the test file
                ClassSubsetSource train = ClassSubsetSource.halves(trainAll)[0];
                ClassSubsetSource test2 = ClassSubsetSource.halves(testAll)[1];
                return new RunData(train, test2, null, trainPipeline, testPipeline, describe("IDX " + root.getFileName(),
                        train.size(), train.labels().numClasses(), test2.size(), test2.labels().numClasses()));
            }
            default -> {
                ClassSplit split = switch (d.format()) {
                    case "folder" -> ClassSplit.halves(ImageFolderReader.read(root).images());
                    case "csv" -> ClassSplit.halves(CsvListReader.read(root));
                    case "cub" -> d.split().equals("official") ? CubReader.standardSplit(root)
                            : ClassSplit.halves(CubReader.read(root));
                    case "sop" -> SopReader.read(root);
                    default -> throw new IllegalStateException("unhandled format " + d.format());
                };
                return new RunData(ImageListSource.of(split.train()), ImageListSource.of(split.test()), null, trainPipeline,
                        testPipeline, describe(d.format() + " " + root, split.train().size(), split.train().labels().numClasses(),
                        split.test().size(), split.test().labels().numClasses()));
            }
        }
    }

    /** Training pipeline: random resized crop (or resize) to imageSize, optional flip, the normalisation. */
    public static ImagePipeline trainPipeline(RunConfig.Dataset d) {
        ImagePipeline.Builder b = ImagePipeline.builder().channels(channels(d));
        if (d.cropScaleMin() < 1) {
            b.randomResizedCrop(d.imageSize(), d.imageSize(), d.cropScaleMin(), 1, 3.0 / 4, 4.0 / 3);
        } else {
            b.resize(d.imageSize(), d.imageSize());
        }
        if (d.flip() > 0) {
            b.horizontalFlip(d.flip());
        }
        return b.normalization(normalization(d)).build();
    }

    /** Test pipeline: resize to {@code resize}, centre crop to imageSize when smaller, the normalisation. */
    public static ImagePipeline testPipeline(RunConfig.Dataset d) {
        ImagePipeline.Builder b = ImagePipeline.builder().channels(channels(d)).resize(d.resize(), d.resize());
        if (d.resize() != d.imageSize()) {
            b.centerCrop(d.imageSize(), d.imageSize());
        }
        return b.normalization(normalization(d)).build();
    }

    private static Normalization normalization(RunConfig.Dataset d) {
        return Normalization.valueOf(d.normalization().toUpperCase(Locale.ROOT));
    }

    /** The labels file beside an IDX images file: {@code *-images-idx3-ubyte[.gz]} -> {@code *-labels-idx1-ubyte[.gz]}. */
    static Path labelsBeside(Path images) throws NoSuchFileException {
        String name = images.getFileName().toString();
        String labels = name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        Path p = images.resolveSibling(labels);
        if (labels.equals(name) || !Files.exists(p)) {
            throw new NoSuchFileException(p.toString(), null, "the IDX labels file beside " + images
                    + " (expected the name with 'images-idx3' replaced by 'labels-idx1')");
        }
        return p;
    }

    private static String describe(String name, int trainImages, int trainClasses, int testImages, int testClasses) {
        return String.format(Locale.ROOT, "%s: train %d images of %d classes, test %d images of %d unseen classes", name,
                trainImages, trainClasses, testImages, testClasses);
    }
}
