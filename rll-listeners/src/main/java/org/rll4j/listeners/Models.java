package org.rll4j.listeners;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.rll4j.loss.CrossBatchMemories;

/**
 * The training counters of the two DL4J network types, and writing a network as it stands after a step. A network
 * written with its updater (a checkpoint) also carries the cross-batch memories of its loss layers, if any
 * ({@link CrossBatchMemories}), in an entry of the model file that DL4J's readers ignore.
 */
final class Models {

    private Models() {
    }

    /** The network's iteration counter (steps done, once DL4J has counted the current one). */
    static long iterations(Model model) {
        return either(model, ComputationGraph::getIterationCount, MultiLayerNetwork::getIterationCount);
    }

    /** The network's epoch counter. */
    static int epochs(Model model) {
        return either(model, ComputationGraph::getEpochCount, MultiLayerNetwork::getEpochCount);
    }

    static void setIterations(Model model, long iterations) {
        int n = Math.toIntExact(iterations);
        either(model, g -> {
            g.getConfiguration().setIterationCount(n);
            return null;
        }, m -> {
            m.getLayerWiseConfigurations().setIterationCount(n);
            return null;
        });
    }

    /** The model file's entry holding the cross-batch memories. */
    static final String MEMORY_ENTRY = "rll4j-cross-batch-memory.bin";

    /** Writes the model, with the memories when it has them and {@code withUpdater} (a training checkpoint). */
    private static void writeModel(Path file, Model model, boolean withUpdater) throws IOException {
        if (!withUpdater || !CrossBatchMemories.configured(model)) {
            AtomicFiles.writeModel(file, model, withUpdater);
            return;
        }
        byte[] memories = CrossBatchMemories.save(model);
        AtomicFiles.write(file, tmp -> {
            ModelSerializer.writeModel(model, tmp.toFile(), true);
            try (FileSystem zip = FileSystems.newFileSystem(tmp)) {
                Files.write(zip.getPath(MEMORY_ENTRY), memories);
            }
        });
    }

    /**
     * Puts the memories a checkpoint's model file holds back into the restored network; nothing when it holds none.
     *
     * @throws IOException naming the file when the entry is unreadable
     */
    static void restoreMemories(Path file, Model net) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry entry = zip.getEntry(MEMORY_ENTRY);
            if (entry == null) {
                return;
            }
            try (InputStream in = zip.getInputStream(entry)) {
                CrossBatchMemories.restore(net, in.readAllBytes());
            }
        } catch (IOException e) {
            throw new IOException("cannot read the cross-batch memories of the checkpoint " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static <T> T either(Model model, Function<ComputationGraph, T> graph, Function<MultiLayerNetwork, T> network) {
        if (model instanceof ComputationGraph g) {
            return graph.apply(g);
        }
        if (model instanceof MultiLayerNetwork n) {
            return network.apply(n);
        }
        throw new IllegalArgumentException("model must be a ComputationGraph or a MultiLayerNetwork, found "
                + (model == null ? "null" : model.getClass().getName()));
    }

    /**
     * Writes the network atomically with its iteration counter at {@code iterationsDone}. DL4J calls
     * {@code iterationDone} before it increments the counter, so a network written from there holds one iteration
     * less than it has trained: restored, its updater (Adam's bias correction) and schedules would run one step
     * behind. The counter is set for the write and put back, since DL4J increments it right after.
     */
    static void write(Path file, Model model, boolean withUpdater, long iterationsDone) throws IOException {
        long counter = iterations(model);
        if (counter == iterationsDone) {
            writeModel(file, model, withUpdater);
            return;
        }
        setIterations(model, iterationsDone);
        try {
            writeModel(file, model, withUpdater);
        } finally {
            setIterations(model, counter);
        }
    }

}
