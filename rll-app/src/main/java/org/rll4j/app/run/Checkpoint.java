package org.rll4j.app.run;

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

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.shade.jackson.annotation.JsonIgnoreProperties;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;
import org.rll4j.listeners.AtomicFiles;

/**
 * A training checkpoint in a run directory's {@code checkpoint/} folder: a model file
 * {@code model-<iteration>.zip} (weights and updater state, with DL4J's iteration and epoch counters,
 * so the learning-rate schedule continues) and {@code state.json} (the sampler position, the best
 * model so far, and the name and SHA-256 of that model file).
 *
 * <p>Written so that a kill or a power loss at any moment leaves one complete, consistent
 * checkpoint: the new model goes to a file of its own (fsynced), then whatever the caller writes
 * with it (the metrics log), then {@code state.json} is replaced atomically (fsynced): that rename is
 * the commit. Only then is the previous model file deleted. {@link #model(Path, Checkpoint)} checks
 * that the model file is the one the state names (its SHA-256) and that its iteration counter matches.
 *
 * @param iteration training iterations done
 * @param epoch the sampler's epoch of the next batch
 * @param batchInEpoch index of the next batch within that epoch
 * @param seconds training wall time so far
 * @param bestValue best value of the config's best metric so far (NaN before the first evaluation)
 * @param bestIteration iteration of the best model (-1 before the first evaluation)
 * @param statsSession the DL4J stats session id (the UI continues it)
 * @param loss mean training loss of the iterations since the previous checkpoint
 * @param model the model file's name in the checkpoint folder
 * @param modelSha256 the model file's SHA-256 (hex)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Checkpoint(long iteration, long epoch, int batchInEpoch, double seconds, double bestValue, long bestIteration,
                         String statsSession, double loss, String model, String modelSha256) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String STATE = "state.json";

    /** The checkpoint folder of a run directory. */
    public static Path folder(Path runDir) {
        return runDir.resolve("checkpoint");
    }

    /** Something written with a checkpoint, before it is committed (e.g. the metrics log). */
    @FunctionalInterface
    public interface Companion {
        /** Writes it. */
        void write() throws IOException;
    }

    /**
     * Writes the model (with updater) to a new file, then {@code alongside}, then this state naming
     * the model (the commit), then deletes older model files.
     *
     * @return the state as written (with the model's name and hash)
     */
    public Checkpoint write(Path runDir, ComputationGraph net, Companion alongside) throws IOException {
        Path dir = folder(runDir);
        String name = String.format(Locale.ROOT, "model-%08d.zip", iteration);
        Path file = dir.resolve(name);
        ModelFiles.write(file, net, true);
        Checkpoint written = new Checkpoint(iteration, epoch, batchInEpoch, seconds, bestValue, bestIteration, statsSession, loss,
                name, sha256(file));
        alongside.write();
        AtomicFiles.writeBytes(dir.resolve(STATE), JSON.writeValueAsBytes(written));
        removeModelsBut(runDir, name);
        return written;
    }

    /** Whether the run directory holds a checkpoint state. */
    public static boolean exists(Path runDir) {
        return Files.isRegularFile(folder(runDir).resolve(STATE));
    }

    /**
     * Reads the state.
     *
     * @throws IOException naming the file when it is missing or unreadable
     */
    public static Checkpoint read(Path runDir) throws IOException {
        Path file = folder(runDir).resolve(STATE);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "no checkpoint to resume from (the run stopped before its first checkpoint; start it again)");
        }
        try {
            Checkpoint c = JSON.readValue(file.toFile(), Checkpoint.class);
            return c.model() == null ? c.withModel("model.zip", null) : c; // written before model files had names
        } catch (IOException e) {
            throw new IOException("cannot read the checkpoint state " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private Checkpoint withModel(String name, String sha) {
        return new Checkpoint(iteration, epoch, batchInEpoch, seconds, bestValue, bestIteration, statsSession, loss, name, sha);
    }

    /** The model file this state names. */
    public Path modelFile(Path runDir) {
        return folder(runDir).resolve(model);
    }

    /**
     * Restores the checkpoint's network with its updater state, after checking that the model file is
     * the one the state names and holds the state's iteration.
     *
     * @throws IOException when the model file is missing, altered or from another iteration
     */
    public static ComputationGraph model(Path runDir, Checkpoint state) throws IOException {
        Path file = state.modelFile(runDir);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the checkpoint's model file is missing");
        }
        if (state.modelSha256() != null && !state.modelSha256().equals(sha256(file))) {
            throw new IOException("the checkpoint is inconsistent: " + file + " is not the model that " + folder(runDir)
                    .resolve(STATE) + " names (its SHA-256 differs); the file was altered or replaced");
        }
        ComputationGraph net = ModelFiles.read(file, true);
        long stored = net.getConfiguration().getIterationCount();
        if (stored != state.iteration()) {
            throw new IOException(String.format(Locale.ROOT, "the checkpoint is inconsistent: %s holds the weights of iteration "
                    + "%d, its state says iteration %d", file, stored, state.iteration()));
        }
        return net;
    }

    /** Deletes checkpoint model files other than the one the current state names; returns them. */
    static List<Path> removeUnreferencedModels(Path runDir) throws IOException {
        return exists(runDir) ? removeModelsBut(runDir, read(runDir).model()) : List.of();
    }

    /** Deletes checkpoint model files other than {@code keep}; returns them. */
    private static List<Path> removeModelsBut(Path runDir, String keep) throws IOException {
        List<Path> removed = new ArrayList<>();
        Path dir = folder(runDir);
        try (Stream<Path> s = Files.list(dir)) {
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
