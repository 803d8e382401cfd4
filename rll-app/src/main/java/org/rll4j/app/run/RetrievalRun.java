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
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.eval.RetrievalEvaluator;
import org.rll4j.eval.RetrievalReport;
import org.rll4j.models.EmbeddingExtractor;
import org.rll4j.sampler.LabelIndex;

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

    /**
     * Evaluates the network's normalised embeddings (flip-averaged when the settings say so). Test
     * images that cannot be decoded are left out (with a warning naming each) and listed in
     * {@link Result#skipped()}.
     */
    public Result network(ComputationGraph network) {
        EmbeddingExtractor extractor = extractor(network, settings);
        return evaluate(extractor.embed(data.query(), data.testPipeline(), settings.batchSize()), data.gallery() == null ? null
                : extractor.embed(data.gallery(), data.testPipeline(), settings.batchSize()));
    }

    /** Evaluates raw pixels of the test pipeline's output (flattened; the evaluator L2-normalises them). */
    public Result rawPixels() {
        return evaluate(pixels(data.query()), data.gallery() == null ? null : pixels(data.gallery()));
    }

    /** Evaluates the rows that were embedded (or read); {@code g} null when the queries are the gallery. */
    private Result evaluate(EmbeddingExtractor.Embeddings q, EmbeddingExtractor.Embeddings g) {
        int[] ql = select(queryLabels, q.examples());
        int[] gl = g == null ? null : select(galleryLabels, g.examples());
        RetrievalReport report = g == null ? evaluator.evaluate(q.vectors(), ql) : evaluator.evaluate(q.vectors(), ql, g.vectors(), gl);
        List<String> skipped = new java.util.ArrayList<>(q.skipped());
        if (g != null) {
            skipped.addAll(g.skipped());
        }
        return new Result(report, q.vectors(), g == null ? null : g.vectors(), q.examples(), ql,
                g == null ? null : g.examples(), gl, List.copyOf(skipped));
    }

    private static int[] select(int[] labels, int[] examples) {
        int[] out = new int[examples.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = labels[examples[i]];
        }
        return out;
    }

    /** The flattened test-pipeline pixels of every decodable image, as the extractor gives embeddings. */
    private EmbeddingExtractor.Embeddings pixels(ExampleSource source) {
        try (SampledDataSetIterator it = SampledDataSetIterator.sequential(source, data.testPipeline(), settings.batchSize(), 2)) {
            List<INDArray> rows = new java.util.ArrayList<>();
            List<Integer> examples = new java.util.ArrayList<>();
            while (it.hasNext()) {
                DataSet ds = it.next();
                INDArray f = ds.getFeatures();
                if (f.size(0) == 0) {
                    continue;
                }
                rows.add(f.reshape('c', f.size(0), f.length() / f.size(0)).castTo(DataType.FLOAT));
                ds.getExampleMetaData().forEach(e -> examples.add((Integer) e));
            }
            if (rows.isEmpty()) {
                throw new java.io.UncheckedIOException(new java.io.IOException("no test image of " + source.labels().size()
                        + " could be decoded (" + it.undecodable().size() + " undecodable, e.g. " + it.undecodable().get(0) + ")"));
            }
            // the evaluator L2-normalises (and rejects an all-zero row, naming it)
            int[] ex = examples.stream().mapToInt(Integer::intValue).toArray();
            return new EmbeddingExtractor.Embeddings(Nd4j.vstack(rows), select(source.labels().labels(), ex), ex, it.undecodable());
        }
    }

    /**
     * The Euclidean distance between row {@code i} of {@code a} and row {@code j} of {@code b}, in double
     * from the coordinates. Neighbours are ranked by float cosine similarity, whose distance
     * {@code sqrt(2 - 2s)} is off by up to about 5e-4 near 0 (s just below 1, depending on the CPU's BLAS
     * kernel); recomputed, an image found in its own gallery is at distance 0 (or at the rounding of its
     * embedding, about 1e-7) on every machine. Shown by {@code search} and the report.
     */
    public static double distance(INDArray a, int i, INDArray b, int j) {
        return a.getRow(i).castTo(DataType.DOUBLE).subi(b.getRow(j).castTo(DataType.DOUBLE)).norm2Number().doubleValue();
    }

    /**
     * @param report the metrics
     * @param queries the query vectors as given to the evaluator (a network's are unit rows; raw pixels
     *                are not normalised here, the evaluator does that)
     * @param gallery the gallery vectors, or null when the queries are the gallery
     * @param queryExamples the query source's example of each row of {@code queries}
     * @param queryLabels the class id of each row of {@code queries}
     * @param galleryExamples the gallery source's example of each row of {@code gallery}, or null
     * @param galleryLabels the class id of each row of {@code gallery}, or null
     * @param skipped test images left out because they could not be decoded (their paths)
     */
    public record Result(RetrievalReport report, INDArray queries, INDArray gallery, int[] queryExamples, int[] queryLabels,
                         int[] galleryExamples, int[] galleryLabels, List<String> skipped) {
        /** Metric name to value. */
        public Map<String, Double> values() {
            return report.values();
        }
    }
}
