package org.rll4j.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.Reverse;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.data.ExampleSource;
import org.rll4j.data.ImagePipeline;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.loss.PairwiseLossLayer;
import org.rll4j.loss.RankedListLossImplementation;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.sampler.LabelIds;

/**
 * Runs images through a trained embedding network and returns L2-normalised embeddings, without
 * evaluating the loss. The heads are found from the network itself (every output that is a loss layer of
 * ours, {@link RankedListLossLayer}, {@link org.rll4j.loss.SameDiffRankedListLossLayer} or a baseline's
 * {@link org.rll4j.loss.MetricLossLayer}; its input is the head's raw embedding), so a network restored with {@code ModelSerializer} works too. With several heads (RLL-(L,M,H)) the raw head outputs are
 * concatenated in output order and the concatenation is L2-normalised, as in the paper.
 *
 * <p>Flip averaging ({@link #withFlipAveraging}, off by default): the raw embedding of each image and
 * of its horizontal mirror image are summed before the normalisation, {@code e = f(x) + f(flip(x))},
 * {@code e / |e|}, the test-time flip used in person re-identification baselines (e.g. Luo et al.,
 * "Bag of Tricks and A Strong Baseline for Deep Person Re-identification", CVPRW 2019). It costs a
 * second forward pass and only makes sense for a network trained with flip augmentation.
 */
public final class EmbeddingExtractor {

    private final ComputationGraph network;
    private final List<String> rawEmbeddings;
    private final boolean flipAveraging;

    /**
     * @param network a graph whose outputs are Ranked List Loss layers
     */
    public EmbeddingExtractor(ComputationGraph network) {
        this.network = network;
        this.flipAveraging = false;
        this.rawEmbeddings = new ArrayList<>();
        Map<String, GraphVertex> vertices = network.getConfiguration().getVertices();
        Map<String, List<String>> inputs = network.getConfiguration().getVertexInputs();
        for (String out : network.getConfiguration().getNetworkOutputs()) {
            GraphVertex v = vertices.get(out);
            org.deeplearning4j.nn.conf.layers.Layer layer = v instanceof LayerVertex lv ? lv.getLayerConf().getLayer() : null;
            if (layer instanceof PairwiseLossLayer || RankedListLossImplementation.of(layer).isPresent()) {
                rawEmbeddings.add(inputs.get(out).get(0));
            }
        }
        if (rawEmbeddings.isEmpty()) {
            throw new IllegalArgumentException("the network has no metric-learning loss layer output (outputs: "
                    + network.getConfiguration().getNetworkOutputs() + ")");
        }
    }

    private EmbeddingExtractor(EmbeddingExtractor other, boolean flipAveraging) {
        this.network = other.network;
        this.rawEmbeddings = other.rawEmbeddings;
        this.flipAveraging = flipAveraging;
    }

    /**
     * @param on whether to sum each image's raw embedding with its horizontal mirror image's before
     *           normalising (see the class comment); inputs must be {@code [B, C, H, W]}
     * @return an extractor of the same network with that setting
     */
    public EmbeddingExtractor withFlipAveraging(boolean on) {
        return on == flipAveraging ? this : new EmbeddingExtractor(this, on);
    }

    /** @return whether embeddings are flip-averaged */
    public boolean flipAveraging() {
        return flipAveraging;
    }

    /** Names of the raw embedding vertices used, in concatenation order. */
    public List<String> embeddingVertices() {
        return List.copyOf(rawEmbeddings);
    }

    /** Total embedding width (sum over heads). */
    public long dimension() {
        long d = 0;
        for (String name : rawEmbeddings) {
            d += network.getLayer(name).getParam("W").size(1);
        }
        return d;
    }

    /**
     * @param features a batch of inputs
     * @return the L2-normalised (concatenated) embeddings {@code [B, D]}
     */
    public INDArray embed(INDArray features) {
        if (flipAveraging && features.rank() != 4) {
            throw new IllegalArgumentException("flip averaging needs image inputs [B, C, H, W], found shape "
                    + java.util.Arrays.toString(features.shape()) + "; turn it off for other inputs");
        }
        INDArray raw = raw(features);
        if (flipAveraging) {
            raw.addi(raw(Nd4j.exec(new Reverse(features, 3))[0]));
        }
        INDArray norms = raw.norm2(true, 1);
        return raw.diviColumnVector(org.nd4j.linalg.ops.transforms.Transforms.max(norms, 1e-12, false));
    }

    /** The raw (concatenated) head outputs, a new FLOAT array. */
    private INDArray raw(INDArray features) {
        Map<String, INDArray> acts = network.feedForward(features, false);
        INDArray[] parts = new INDArray[rawEmbeddings.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = acts.get(rawEmbeddings.get(i)).castTo(DataType.FLOAT);
        }
        return parts.length == 1 ? parts[0].dup() : Nd4j.hstack(parts);
    }

    /**
     * Embeds everything an iterator yields (one pass from its current position, after a reset if supported).
     * Empty batches are passed over. When the batches carry integer example metadata (as
     * {@code SampledDataSetIterator}'s do: the source index of each row), {@link Embeddings#examples()}
     * holds it; otherwise rows are numbered in order.
     *
     * @param data batches of images with class-id ({@code [B, 1]}) or one-hot labels
     * @return the embeddings and the class id of each row
     */
    public Embeddings embed(DataSetIterator data) {
        if (data.resetSupported()) {
            data.reset();
        }
        List<INDArray> vectors = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        List<Integer> examples = new ArrayList<>();
        int n = 0;
        while (data.hasNext()) {
            DataSet ds = data.next();
            int rows = (int) ds.getFeatures().size(0);
            if (rows == 0) {
                continue;
            }
            vectors.add(embed(ds.getFeatures()));
            long[] ids = LabelIds.classIds(ds.getLabels(), "EmbeddingExtractor");
            labels.add(ids);
            List<?> meta = ds.getExampleMetaData();
            for (int i = 0; i < rows; i++) {
                examples.add(meta != null && meta.size() == rows && meta.get(i) instanceof Integer e ? e : n + i);
            }
            n += ids.length;
        }
        int[] all = new int[n];
        int at = 0;
        for (long[] ids : labels) {
            for (long id : ids) {
                all[at++] = Math.toIntExact(id);
            }
        }
        INDArray matrix = vectors.isEmpty() ? Nd4j.create(DataType.FLOAT, 0, dimension()) : Nd4j.vstack(vectors);
        return new Embeddings(matrix, all, examples.stream().mapToInt(Integer::intValue).toArray(), List.of());
    }

    /**
     * Embeds every example of a source once, in order (e.g. a folder read with
     * {@code ImageFolderReader}), with a deterministic pipeline such as {@code ImagePipeline.test(256, 227)}.
     * An image that cannot be decoded (corrupt, truncated) is left out with a warning naming it:
     * {@link Embeddings#examples()} says which example each row is, {@link Embeddings#skipped()} lists
     * the ones left out.
     *
     * @param source the images
     * @param pipeline how images become inputs; its size must match the network's input
     * @param batchSize images per forward pass
     * @return the embeddings and class ids, row i = example {@code examples()[i]} (= i when nothing was skipped)
     */
    public Embeddings embed(ExampleSource source, ImagePipeline pipeline, int batchSize) {
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source, pipeline, batchSize, 2)) {
            Embeddings e = embed(it);
            return new Embeddings(e.vectors(), e.labels(), e.examples(), it.undecodable());
        }
    }

    /**
     * @param vectors L2-normalised embeddings {@code [N, D]}
     * @param labels class id of each row
     * @param examples the example (source index) of each row
     * @param skipped examples left out because they could not be decoded (their descriptions, sorted)
     */
    public record Embeddings(INDArray vectors, int[] labels, int[] examples, List<String> skipped) {
        /** Copies the list. */
        public Embeddings {
            skipped = List.copyOf(skipped);
        }
    }
}
