package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Reads the DL4J model zips of a run ({@code model.zip}, {@code best.zip}) with a message that says what to give
 * instead; they are written with rll-listeners' {@code AtomicFiles.writeModel}.
 */
public final class ModelFiles {

    private ModelFiles() {
    }

    /**
     * Reads a ComputationGraph zip written by DL4J's {@code ModelSerializer}.
     *
     * @param file the zip
     * @param withUpdater whether to restore the updater state too
     * @throws NoSuchFileException when there is no such file
     * @throws IOException naming the file when it is not a readable DL4J ComputationGraph zip (another
     *                     file, a truncated download, a MultiLayerNetwork)
     */
    public static ComputationGraph read(Path file, boolean withUpdater) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, Files.isDirectory(file) ? "a folder, not a model file"
                    : "model file not found");
        }
        try {
            return ModelSerializer.restoreComputationGraph(file.toFile(), withUpdater);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw new IOException("cannot read " + file + " as a DL4J ComputationGraph model zip (" + why
                    + "); give a model.zip or best.zip written by ./rll train", e);
        }
    }
}
