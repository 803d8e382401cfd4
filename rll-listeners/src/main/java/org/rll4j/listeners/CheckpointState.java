package org.rll4j.listeners;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.rll4j.sampler.ResumableIterator;

/**
 * A training checkpoint in a checkpoint folder, as {@link ResumableCheckpointListener} writes it: a model file
 * {@code model-<iteration>.zip} (weights and updater state, with DL4J's iteration and epoch counters, so that the
 * updater and learning-rate schedules continue) and {@code state.json}, this record: the iterator's position, the
 * best model so far, and the name and SHA-256 of that model file. The model file also holds the cross-batch memories of
 * the network's loss layers, when it has any, so that a resumed run ranks against the same memory.
 *
 * <p>Written so that a kill or a power loss at any moment leaves one complete, consistent checkpoint: the new
 * model goes to a file of its own (atomically, fsynced), then whatever the caller writes with it (e.g. a metrics
 * log), then {@code state.json} is replaced atomically (fsynced): that rename is the commit. Only then is the
 * previous model file deleted. {@link #restore(Path)} checks that the model file is the one the state names (its
 * SHA-256) and that its iteration counter matches. The rll4j runner keeps its checkpoints in this format in a run
 * directory's {@code checkpoint/} folder.
 *
 * @param iteration training iterations done
 * @param epoch the epoch of the next batch: the iterator's, or DL4J's epoch counter when the position is unknown
 * @param batchInEpoch index of the next batch within that epoch; -1 when the iterator did not say
 *                     (not a {@link ResumableIterator})
 * @param seconds training wall time so far
 * @param bestValue best value of the best-model metric so far (NaN before the first evaluation)
 * @param bestIteration iteration of the best model (-1 before the first evaluation)
 * @param statsSession the DL4J stats session id (the UI continues it), or null
 * @param loss mean training loss of the iterations since the previous checkpoint (NaN when none)
 * @param model the model file's name in the checkpoint folder
 * @param modelSha256 the model file's SHA-256 (hex)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CheckpointState(long iteration, long epoch, int batchInEpoch, double seconds, double bestValue,
                              long bestIteration, String statsSession, double loss, String model, String modelSha256) {

    /** The file of the state in a checkpoint folder. */
    public static final String STATE_FILE = "state.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Something written with a checkpoint, before it is committed (e.g. the metrics log of the run). */
    @FunctionalInterface
    public interface Companion {
        /**
         * Writes it.
         *
         * @throws IOException when it fails (the checkpoint is then not committed)
         */
        void write() throws IOException;
    }

    /**
     * @return the position of the next batch, or null when it is unknown ({@code batchInEpoch} -1)
     */
    public ResumableIterator.Position position() {
        return batchInEpoch < 0 ? null : new ResumableIterator.Position(epoch, batchInEpoch);
    }

    /**
     * Writes the model (with updater) to a new file, then {@code alongside}, then this state naming the model (the
     * commit), then deletes older model files.
     *
     * @param folder the checkpoint folder (created when missing)
     * @param net the network; written with its iteration counter at {@link #iteration()}
     * @param alongside written before the commit
     * @return the state as written (with the model's name and hash)
     * @throws IOException naming the file when a write fails; the previous checkpoint is then still the committed one
     */
    public CheckpointState write(Path folder, Model net, Companion alongside) throws IOException {
        String name = String.format(Locale.ROOT, "model-%08d.zip", iteration);
        Path file = folder.resolve(name);
        Models.write(file, net, true, iteration);
        CheckpointState written = new CheckpointState(iteration, epoch, batchInEpoch, seconds, bestValue, bestIteration,
                statsSession, loss, name, sha256(file));
        alongside.write();
        AtomicFiles.writeBytes(folder.resolve(STATE_FILE), JSON.writeValueAsBytes(written));
        removeModelsBut(folder, name);
        return written;
    }

    /**
     * @param folder a checkpoint folder
     * @return whether it holds a committed checkpoint state
     */
    public static boolean exists(Path folder) {
        return Files.isRegularFile(folder.resolve(STATE_FILE));
    }

    /**
     * Reads the committed state.
     *
     * @param folder the checkpoint folder
     * @return the state
     * @throws NoSuchFileException when there is none
     * @throws IOException naming the file when it is unreadable
     */
    public static CheckpointState read(Path folder) throws IOException {
        Path file = folder.resolve(STATE_FILE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "no checkpoint to resume from (the run stopped before its first checkpoint; start it again)");
        }
        try {
            CheckpointState c = JSON.readValue(file.toFile(), CheckpointState.class);
            return c.model() == null ? c.withModel("model.zip", null) : c; // rll4j runs written before model files had names
        } catch (IOException e) {
            throw new IOException("cannot read the checkpoint state " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private CheckpointState withModel(String name, String sha) {
        return new CheckpointState(iteration, epoch, batchInEpoch, seconds, bestValue, bestIteration, statsSession, loss, name,
                sha);
    }

    /**
     * @param folder the checkpoint folder
     * @return the model file this state names
     */
    public Path modelFile(Path folder) {
        return folder.resolve(model);
    }

    /**
     * Restores the checkpoint's network with its updater state, after checking that the model file is the one this
     * state names and holds this state's iteration.
     *
     * @param folder the checkpoint folder
     * @return the network, its counters as saved
     * @throws IOException when the model file is missing, altered, unreadable or from another iteration
     */
    public ComputationGraph restore(Path folder) throws IOException {
        Path file = modelFile(folder);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the checkpoint's model file is missing");
        }
        if (modelSha256 != null && !modelSha256.equals(sha256(file))) {
            throw new IOException("the checkpoint is inconsistent: " + file + " is not the model that "
                    + folder.resolve(STATE_FILE) + " names (its SHA-256 differs); the file was altered or replaced");
        }
        ComputationGraph net;
        try {
            net = ModelSerializer.restoreComputationGraph(file.toFile(), true);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
            throw new IOException("cannot read the checkpoint model " + file + " as a DL4J ComputationGraph (" + why + ")", e);
        }
        long stored = net.getConfiguration().getIterationCount();
        if (stored != iteration) {
            throw new IOException(String.format(Locale.ROOT, "the checkpoint is inconsistent: %s holds the weights of "
                    + "iteration %d, its state says iteration %d", file, stored, iteration));
        }
        Models.restoreMemories(file, net);
        return net;
    }

    /**
     * Deletes checkpoint model files other than the one the committed state names (left by a kill between a model
     * write and its commit), none when there is no state.
     *
     * @param folder the checkpoint folder
     * @return the files deleted
     * @throws IOException when listing or deleting fails
     */
    static List<Path> removeUnreferencedModels(Path folder) throws IOException {
        return exists(folder) ? removeModelsBut(folder, read(folder).model()) : List.of();
    }

    private static List<Path> removeModelsBut(Path folder, String keep) throws IOException {
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.endsWith(".zip") && n.startsWith("model") && !n.equals(keep)) {
                    Files.deleteIfExists(p);
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
