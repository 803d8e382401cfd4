package org.rll4j.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.RunData;
import org.rll4j.data.ExampleSource;
import org.rll4j.data.ImageFolderReader;
import org.rll4j.data.ImageList;
import org.rll4j.data.ImageListSource;
import org.rll4j.data.ImagePipeline;
import org.rll4j.data.ImageRecord;
import org.rll4j.models.EmbeddingExtractor;

/** Images to embed for {@code embed} and {@code search}: a folder of class folders, loose query files, or a run's test classes. */
final class Gallery {

    private final ExampleSource source;
    private final ImagePipeline pipeline;
    private final String what;

    /** @param what the images, as messages name them ("images", "query images") */
    private Gallery(ExampleSource source, ImagePipeline pipeline, String what) {
        this.source = source;
        this.pipeline = pipeline;
        this.what = what;
    }

    /** A folder of class folders, or (when null) the test classes of the config's dataset (In-Shop: its gallery). */
    static Gallery of(RunConfig config, Path folder) throws IOException {
        if (folder != null) {
            return new Gallery(ImageListSource.of(ImageFolderReader.read(folder).images()), RunData.testPipeline(config.dataset()),
                    "images");
        }
        RunData data = RunData.open(config.dataset());
        return new Gallery(data.gallery() != null ? data.gallery() : data.query(), data.testPipeline(), "images");
    }

    /** Query images: files, or folders whose image files (recursively, sorted) are queries. */
    static Gallery queries(RunConfig config, List<Path> paths) throws IOException {
        List<ImageRecord> records = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.walk(p)) {
                    files.filter(Files::isRegularFile).filter(Gallery::isImageName).sorted()
                            .forEach(f -> records.add(new ImageRecord(f, "query")));
                }
            } else if (Files.isRegularFile(p)) {
                records.add(new ImageRecord(p, "query"));
            } else {
                throw new NoSuchFileException(p.toString(), null, "query image or folder not found");
            }
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no query images (JPEG or PNG) in " + paths);
        }
        return new Gallery(ImageListSource.of(ImageList.of(records, "queries")), RunData.testPipeline(config.dataset()),
                "query images");
    }

    private static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * Embeds every image; those that cannot be decoded are left out, with a warning on {@code err} that
     * names them.
     *
     * @throws IOException when no image at all could be decoded
     */
    Embedded embed(EmbeddingExtractor extractor, int batchSize, java.io.PrintWriter err) throws IOException {
        EmbeddingExtractor.Embeddings e = extractor.embed(source, pipeline, batchSize);
        List<String> skipped = e.skipped();
        if (e.examples().length == 0) {
            throw new IOException(String.format(java.util.Locale.ROOT, "none of the %d %s could be decoded as a JPEG or PNG "
                    + "image: %s", source.size(), what, String.join(", ", skipped.subList(0, Math.min(5, skipped.size())))
                    + (skipped.size() > 5 ? ", ..." : "")));
        }
        if (!skipped.isEmpty()) {
            err.printf(java.util.Locale.ROOT, "warning: %d of the %d %s could not be decoded and are left out: %s%n",
                    skipped.size(), source.size(), what, String.join(", ", skipped));
        }
        return new Embedded(e.vectors(), e.examples(), skipped);
    }

    /**
     * @param vectors the normalised embeddings, one row per decodable image
     * @param examples the image of each row
     * @param skipped images that could not be decoded
     */
    record Embedded(INDArray vectors, int[] examples, List<String> skipped) {
    }

    /** The image (path) of an embedded row. */
    String describe(Embedded e, int row) {
        return source.describe(e.examples()[row]);
    }

    /** The class name of an embedded row. */
    String className(Embedded e, int row) {
        int i = e.examples()[row];
        return source.labels().className(source.labels().label(i));
    }
}
