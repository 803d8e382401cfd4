package org.rll4j.app.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * A training checkpoint in a run directory: {@code checkpoint/model.zip} (weights and updater state,
 * with DL4J's iteration and epoch counters, so the learning-rate schedule continues) and
 * {@code checkpoint/state.json} (the sampler position and the best model so far). Both are written
 * atomically, the model first, so a run killed at any moment leaves the previous complete checkpoint
 * or the new one.
 *
 * @param iteration training iterations done
 * @param epoch the sampler's epoch of the next batch
 * @param batchInEpoch index of the next batch within that epoch
 * @param seconds training wall time so far
 * @param bestValue best value of the config's best metric so far (NaN before the first evaluation)
 * @param bestIteration iteration of the best model (-1 before the first evaluation)
 * @param statsSession the DL4J stats session id (the UI continues it)
 */
public record Checkpoint(long iteration, long epoch, int batchInEpoch, double seconds, double bestValue, long bestIteration,
                         String statsSession) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The checkpoint folder of a run directory. */
    public static Path folder(Path runDir) {
        return runDir.resolve("checkpoint");
    }

    /** Writes the model (with updater) and then this state, each atomically. */
    public void write(Path runDir, ComputationGraph net) throws IOException {
        Path dir = folder(runDir);
        AtomicFiles.write(dir.resolve("model.zip"), tmp -> ModelSerializer.writeModel(net, tmp.toFile(), true));
        AtomicFiles.writeBytes(dir.resolve("state.json"), JSON.writeValueAsBytes(this));
    }

    /** Whether the run directory holds a checkpoint. */
    public static boolean exists(Path runDir) {
        return Files.isRegularFile(folder(runDir).resolve("state.json")) && Files.isRegularFile(folder(runDir).resolve("model.zip"));
    }

    /** Reads the state. */
    public static Checkpoint read(Path runDir) throws IOException {
        return JSON.readValue(folder(runDir).resolve("state.json").toFile(), Checkpoint.class);
    }

    /** Restores the network with its updater state. */
    public static ComputationGraph model(Path runDir) throws IOException {
        return ModelSerializer.restoreComputationGraph(folder(runDir).resolve("model.zip").toFile(), true);
    }
}
