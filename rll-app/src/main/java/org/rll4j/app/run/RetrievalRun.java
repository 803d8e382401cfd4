package org.rll4j.app.run;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.app.config.RunConfig;
import org.rll4j.data.ExampleSource;
import org.rll4j.data.LabelIndex;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalReport;
import org.rll4j.models.EmbeddingExtractor;

/**
 * Retrieval evaluation of a run's test classes with the evaluator the config describes: the trained
 * (or untrained) network's embeddings, or raw pixels as a baseline. Query/gallery protocols
 * (In-Shop) share class ids through the class names.
 */
public final class RetrievalRun {

    private final RunData data;
    private final RunConfig.Evaluation settings;
    private final RetrievalEvaluator evaluator;
    private final int[] queryLabels;
    private final int[] galleryLabels;

    /**
     * @param data the run's examples
     * @param settings the evaluation section
     * @param seed seed of k-means
     */
    public RetrievalRun(RunData data, RunConfig.Evaluation settings, long seed) {
        this.data = data;
        this.settings = settings;
        this.evaluator = RetrievalEvaluator.builder().recallAt(settings.recallAt()).nmi(settings.nmi()).seed(seed).build();
        LabelIndex q = data.query().labels();
        if (data.gallery() == null) {
            this.queryLabels = q.labels();
            this.galleryLabels = null;
        } else {
            Map<String, Integer> ids = new HashMap<>();
            this.queryLabels = remap(q, ids);
            this.galleryLabels = remap(data.gallery().labels(), ids);
        }
    }

    private static int[] remap(LabelIndex index, Map<String, Integer> ids) {
        int[] out = new int[index.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.computeIfAbsent(index.className(index.label(i)), k -> ids.size());
        }
        return out;
    }

    /**
     * The extractor the evaluation settings ask for: the network's normalised embeddings, flip-averaged
     * when {@code evaluation.flipAverage} is on. Training, {@code evaluate}, {@code embed} and
     * {@code search} all embed through it, so their vectors agree.
     */
    public static EmbeddingExtractor extractor(ComputationGraph network, RunConfig.Evaluation settings) {
        return new EmbeddingExtractor(network).withFlipAveraging(settings.flipAverage());
    }

    /** Evaluates the network's normalised embeddings (flip-averaged when the settings say so). */
    public Result network(ComputationGraph network) {
        EmbeddingExtractor extractor = extractor(network, settings);
        INDArray q = extractor.embed(data.query(), data.testPipeline(), settings.batchSize()).vectors();
        INDArray g = data.gallery() == null ? null
                : extractor.embed(data.gallery(), data.testPipeline(), settings.batchSize()).vectors();
        return evaluate(q, g);
    }

    /** Evaluates raw pixels of the test pipeline's output (flattened; the evaluator L2-normalises them). */
    public Result rawPixels() {
        INDArray q = pixels(data.query());
        INDArray g = data.gallery() == null ? null : pixels(data.gallery());
        return evaluate(q, g);
    }

    private Result evaluate(INDArray q, INDArray g) {
        RetrievalReport report = g == null ? evaluator.evaluate(q, queryLabels)
                : evaluator.evaluate(q, queryLabels, g, galleryLabels);
        return new Result(report, q, g);
    }

    private INDArray pixels(ExampleSource source) {
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source, data.testPipeline(), settings.batchSize(), 2)) {
            List<INDArray> rows = new java.util.ArrayList<>();
            while (it.hasNext()) {
                DataSet ds = it.next();
                INDArray f = ds.getFeatures();
                rows.add(f.reshape('c', f.size(0), f.length() / f.size(0)).castTo(DataType.FLOAT));
            }
            return Nd4j.vstack(rows); // the evaluator L2-normalises (and rejects an all-zero row, naming it)
        }
    }

    /** Class ids of the queries (as the evaluator saw them). */
    public int[] queryLabels() {
        return queryLabels.clone();
    }

    /** Class ids of the gallery, or null when the queries are the gallery. */
    public int[] galleryLabels() {
        return galleryLabels == null ? null : galleryLabels.clone();
    }

    /**
     * @param report the metrics
     * @param queries the query vectors as given to the evaluator (a network's are unit rows; raw pixels
     *                are not normalised here, the evaluator does that)
     * @param gallery the gallery vectors, or null when the queries are the gallery
     */
    public record Result(RetrievalReport report, INDArray queries, INDArray gallery) {
        /** Metric name to value. */
        public Map<String, Double> values() {
            return report.values();
        }
    }
}
