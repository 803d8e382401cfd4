package org.rll4j.loss;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The cross-batch memories of a network's {@link RankedListLossLayer}s as training state: what a checkpoint must
 * hold besides the weights and the updater so that a resumed run continues exactly as the uninterrupted one (each
 * layer's {@link CrossBatchMemory} and its pending batch, the last step's embeddings not yet stored). DL4J's model
 * files do not hold them; {@code ResumableCheckpointListener} stores this state inside its checkpoint files.
 */
public final class CrossBatchMemories {

    private static final int FORMAT = 1;

    private CrossBatchMemories() {
    }

    /** Whether any loss layer of the network has a cross-batch memory configured. */
    public static boolean configured(Model net) {
        return !memoryLayers(net).isEmpty();
    }

    /**
     * @return the state of every memory layer, by layer name
     * @throws IllegalArgumentException when {@code net} is neither a ComputationGraph nor a MultiLayerNetwork
     */
    public static byte[] save(Model net) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            List<PairwiseLossLayerImpl> layers = memoryLayers(net);
            out.writeInt(FORMAT);
            out.writeInt(layers.size());
            for (PairwiseLossLayerImpl l : layers) {
                out.writeUTF(l.conf().getLayer().getLayerName());
                CrossBatchMemory m = l.memory();
                out.writeBoolean(m != null);
                if (m != null) {
                    byte[] b = m.toBytes();
                    out.writeInt(b.length);
                    out.write(b);
                }
                PairwiseLossLayerImpl.Pending p = l.pending();
                out.writeBoolean(p != null);
                if (p != null) {
                    out.writeInt(p.n());
                    out.writeInt(p.dim());
                    out.writeUTF(p.type().name());
                    out.writeLong(p.iteration());
                    CrossBatchMemory.writeRows(out, p.ids(), p.rows());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Puts saved memories back into the layers of the same names. A layer the state does not name, or whose
     * configured memory size differs from the saved one, starts with an empty memory; a saved layer the network
     * lacks is ignored. A memory of another embedding width is emptied at the layer's next step.
     *
     * @param net the restored network
     * @param state what {@link #save} wrote
     * @return the names of the layers whose memory was restored
     * @throws IOException when the state is corrupt
     */
    public static List<String> restore(Model net, byte[] state) throws IOException {
        List<String> restored = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IOException("not a cross-batch memory state of format " + FORMAT + " (found " + format + ")");
            }
            int count = in.readInt();
            List<PairwiseLossLayerImpl> layers = memoryLayers(net);
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                CrossBatchMemory memory = null;
                if (in.readBoolean()) {
                    byte[] b = new byte[in.readInt()];
                    in.readFully(b);
                    memory = CrossBatchMemory.fromBytes(b);
                }
                PairwiseLossLayerImpl.Pending pending = null;
                if (in.readBoolean()) {
                    int n = in.readInt();
                    int dim = in.readInt();
                    DataType type = DataType.valueOf(in.readUTF());
                    long iteration = in.readLong();
                    long[] ids = CrossBatchMemory.readIds(in, n);
                    pending = new PairwiseLossLayerImpl.Pending(CrossBatchMemory.readValues(in, n * dim), ids, n, dim, type,
                            iteration);
                }
                for (PairwiseLossLayerImpl l : layers) {
                    CrossBatchMemoryConfig cfg = ((PairwiseLossLayer) l.layerConf()).memoryConfig();
                    if (name.equals(l.conf().getLayer().getLayerName())
                            && (memory == null || memory.capacity() == cfg.size())) {
                        l.restoreMemory(memory, pending);
                        restored.add(name);
                    }
                }
            }
        } catch (IllegalArgumentException | java.io.EOFException e) {
            throw new IOException("corrupt cross-batch memory state (" + e.getMessage() + ")", e);
        }
        return restored;
    }

    private static List<PairwiseLossLayerImpl> memoryLayers(Model net) {
        Layer[] layers;
        if (net instanceof ComputationGraph g) {
            layers = g.getLayers();
        } else if (net instanceof MultiLayerNetwork n) {
            layers = n.getLayers();
        } else {
            throw new IllegalArgumentException("a ComputationGraph or a MultiLayerNetwork, found "
                    + (net == null ? "null" : net.getClass().getName()));
        }
        List<PairwiseLossLayerImpl> out = new ArrayList<>();
        for (Layer l : layers) {
            if (l instanceof PairwiseLossLayerImpl p && ((PairwiseLossLayer) p.layerConf()).memoryConfig() != null) {
                out.add(p);
            }
        }
        return out;
    }
}
