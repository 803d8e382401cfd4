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

    private Gallery(ExampleSource source, ImagePipeline pipeline) {
        this.source = source;
        this.pipeline = pipeline;
    }

    /** A folder of class folders, or (when null) the test classes of the config's dataset (In-Shop: its gallery). */
    static Gallery of(RunConfig config, Path folder) throws IOException {
        if (folder != null) {
            return new Gallery(ImageListSource.of(ImageFolderReader.read(folder).images()), RunData.testPipeline(config.dataset()));
        }
        RunData data = RunData.open(config.dataset());
        return new Gallery(data.gallery() != null ? data.gallery() : data.query(), data.testPipeline());
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
        return new Gallery(ImageListSource.of(ImageList.of(records, "queries")), RunData.testPipeline(config.dataset()));
    }

    private static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    INDArray embed(EmbeddingExtractor extractor, int batchSize) {
        return extractor.embed(source, pipeline, batchSize).vectors();
    }

    String describe(int i) {
        return source.describe(i);
    }

    String className(int i) {
        return source.labels().className(source.labels().label(i));
    }
}
