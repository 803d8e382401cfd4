package org.rll4j.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The result of one {@link RetrievalEvaluator#evaluate} call: every metric computed, named with its
 * definition, the settings used and the counts. Immutable.
 *
 * <p>Metric names (also the JSON keys): {@code Recall@K}, {@code Precision@1}, {@code R-Precision},
 * {@code MAP@R} (definitions in {@link RetrievalMetrics}), {@code NMI (arithmetic)} (or geometric,
 * min, max; {@link ClusteringMetrics#nmi}) and {@code Clustering F1 (pairwise)}
 * ({@link ClusteringMetrics#pairwiseF1}). Neighbour metrics are means over the evaluated queries:
 * the queries minus the lone ones (no other item of their class in the gallery), which are counted
 * in {@link #loneQueries()}.
 */
public final class RetrievalReport {

    /** How queries and gallery relate. */
    public enum Protocol {
        /** One set is both queries and gallery; each query's own item is excluded (CUB, CARS196, SOP). */
        SAME_SET("same set as query and gallery, query itself excluded"),
        /** Separate query and gallery sets (In-Shop). */
        SEPARATE_SETS("separate query and gallery sets");

        private final String description;

        Protocol(String description) {
            this.description = description;
        }

        /** @return a one-line description */
        public String description() {
            return description;
        }
    }

    /** The k-means run behind the clustering metrics. */
    public static final class Clustering {
        private final KMeans settings;
        private final int iterations;
        private final boolean converged;
        private final double inertia;
        private final int emptyClustersReseeded;
        private final double seedingMillis;
        private final double iterationMillis;

        Clustering(KMeans settings, KMeans.Result r) {
            this.seedingMillis = r.seedingMillis();
            this.iterationMillis = r.iterationMillis();
            this.settings = settings;
            this.iterations = r.iterations();
            this.converged = r.converged();
            this.inertia = r.inertia();
            this.emptyClustersReseeded = r.emptyClustersReseeded();
        }

        /** @return the k-means settings (clusters = classes of the clustered set) */
        public KMeans settings() {
            return settings;
        }

        /** @return Lloyd iterations of the kept restart */
        public int iterations() {
            return iterations;
        }

        /** @return whether it converged before the iteration limit */
        public boolean converged() {
            return converged;
        }

        /** @return final inertia of the kept restart */
        public double inertia() {
            return inertia;
        }

        /** @return empty clusters re-seeded */
        public int emptyClustersReseeded() {
            return emptyClustersReseeded;
        }

        /** @return wall time of the k-means++ seeding, milliseconds */
        public double seedingMillis() {
            return seedingMillis;
        }

        /** @return wall time of the Lloyd iterations, milliseconds */
        public double iterationMillis() {
            return iterationMillis;
        }
    }

    private final Protocol protocol;
    private final Set<RetrievalMetric> metrics;
    private final int[] ks;
    private final double[] recall;
    private final double precisionAt1;
    private final double rPrecision;
    private final double mapAtR;
    private final double nmi;
    private final NmiNormalization nmiNormalization;
    private final double clusteringF1;
    private final int queries;
    private final int loneQueries;
    private final int gallerySize;
    private final int galleryClasses;
    private final int queryClasses;
    private final int neighboursPerQuery;
    private final int blockSize;
    private final boolean l2Normalize;
    private final Clustering clustering;
    private final double neighbourMillis;
    private final double clusteringMillis;

    RetrievalReport(Protocol protocol, Set<RetrievalMetric> metrics, int[] ks, double[] recall, double precisionAt1,
                    double rPrecision, double mapAtR, double nmi, NmiNormalization nmiNormalization, double clusteringF1,
                    int queries, int loneQueries, int gallerySize, int galleryClasses, int queryClasses,
                    int neighboursPerQuery, int blockSize, boolean l2Normalize, Clustering clustering,
                    double neighbourMillis, double clusteringMillis) {
        this.protocol = protocol;
        this.metrics = Collections.unmodifiableSet(EnumSet.copyOf(metrics));
        this.ks = ks.clone();
        this.recall = recall.clone();
        this.precisionAt1 = precisionAt1;
        this.rPrecision = rPrecision;
        this.mapAtR = mapAtR;
        this.nmi = nmi;
        this.nmiNormalization = nmiNormalization;
        this.clusteringF1 = clusteringF1;
        this.queries = queries;
        this.loneQueries = loneQueries;
        this.gallerySize = gallerySize;
        this.galleryClasses = galleryClasses;
        this.queryClasses = queryClasses;
        this.neighboursPerQuery = neighboursPerQuery;
        this.blockSize = blockSize;
        this.l2Normalize = l2Normalize;
        this.clustering = clustering;
        this.neighbourMillis = neighbourMillis;
        this.clusteringMillis = clusteringMillis;
    }

    /**
     * @param k one of the evaluator's K values
     * @return Recall@K: the fraction of evaluated queries with a same-class item among their K nearest
     */
    public double recallAt(int k) {
        require(RetrievalMetric.RECALL_AT_K);
        for (int i = 0; i < ks.length; i++) {
            if (ks[i] == k) {
                return recall[i];
            }
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "Recall@%d was not evaluated; K must be one of %s (set them with recallAt(...))", k, Arrays.toString(ks)));
    }

    /** @return Precision@1: the fraction of evaluated queries whose nearest neighbour has their class */
    public double precisionAt1() {
        require(RetrievalMetric.PRECISION_AT_1);
        return precisionAt1;
    }

    /** @return mean R-Precision over the evaluated queries */
    public double rPrecision() {
        require(RetrievalMetric.R_PRECISION);
        return rPrecision;
    }

    /** @return mean MAP@R over the evaluated queries */
    public double mapAtR() {
        require(RetrievalMetric.MAP_AT_R);
        return mapAtR;
    }

    /** @return NMI of the k-means clustering, normalised by {@link #nmiNormalization()} */
    public double nmi() {
        require(RetrievalMetric.NMI);
        return nmi;
    }

    /** @return the pairwise clustering F1 (Oh Song et al. 2016) of the k-means clustering */
    public double clusteringF1() {
        require(RetrievalMetric.CLUSTERING_F1);
        return clusteringF1;
    }

    /** @return whether {@code m} was computed */
    public boolean has(RetrievalMetric m) {
        return metrics.contains(m);
    }

    /** @return the metrics computed */
    public Set<RetrievalMetric> metrics() {
        return metrics;
    }

    /** @return the K values of Recall@K, increasing (a copy) */
    public int[] ks() {
        return ks.clone();
    }

    /** @return the normalisation NMI was computed with */
    public NmiNormalization nmiNormalization() {
        return nmiNormalization;
    }

    /** @return the protocol */
    public Protocol protocol() {
        return protocol;
    }

    /** @return number of queries given */
    public int queries() {
        return queries;
    }

    /** @return queries with no other item of their class in the gallery, left out of the neighbour metrics */
    public int loneQueries() {
        return loneQueries;
    }

    /** @return queries the neighbour metrics average over: {@code queries() - loneQueries()} */
    public int evaluatedQueries() {
        return queries - loneQueries;
    }

    /** @return gallery items */
    public int gallerySize() {
        return gallerySize;
    }

    /** @return distinct classes in the gallery */
    public int galleryClasses() {
        return galleryClasses;
    }

    /** @return distinct classes among the queries (the number of k-means clusters) */
    public int queryClasses() {
        return queryClasses;
    }

    /**
     * @return length of the top list per query: max R when R-Precision or MAP@R is requested, else 0
     *         (Recall@K needs no list: it comes from the rank of the first same-class item)
     */
    public int neighboursPerQuery() {
        return neighboursPerQuery;
    }

    /** @return the k-means run, or null when no clustering metric was requested */
    public Clustering clustering() {
        return clustering;
    }

    /** @return wall time of the neighbour search and metrics, milliseconds */
    public double neighbourMillis() {
        return neighbourMillis;
    }

    /** @return wall time of k-means and the clustering metrics, milliseconds */
    public double clusteringMillis() {
        return clusteringMillis;
    }

    /** @return metric name to value, in a fixed order, names as in the class comment */
    public Map<String, Double> values() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Value v : valueList()) {
            m.put(v.name(), v.value());
        }
        return m;
    }

    /**
     * One computed value, with the metric it is a value of.
     *
     * @param name as in {@link #values()}
     * @param metric the metric
     * @param k K for {@link RetrievalMetric#RECALL_AT_K}, else 0
     * @param value the value
     */
    record Value(String name, RetrievalMetric metric, int k, double value) {
    }

    /** @return the computed values in the order of {@link #values()} */
    List<Value> valueList() {
        List<Value> list = new ArrayList<>();
        if (has(RetrievalMetric.RECALL_AT_K)) {
            for (int i = 0; i < ks.length; i++) {
                list.add(new Value("Recall@" + ks[i], RetrievalMetric.RECALL_AT_K, ks[i], recall[i]));
            }
        }
        if (has(RetrievalMetric.PRECISION_AT_1)) {
            list.add(new Value("Precision@1", RetrievalMetric.PRECISION_AT_1, 0, precisionAt1));
        }
        if (has(RetrievalMetric.R_PRECISION)) {
            list.add(new Value("R-Precision", RetrievalMetric.R_PRECISION, 0, rPrecision));
        }
        if (has(RetrievalMetric.MAP_AT_R)) {
            list.add(new Value("MAP@R", RetrievalMetric.MAP_AT_R, 0, mapAtR));
        }
        if (has(RetrievalMetric.NMI)) {
            list.add(new Value(nmiName(nmiNormalization), RetrievalMetric.NMI, 0, nmi));
        }
        if (has(RetrievalMetric.CLUSTERING_F1)) {
            list.add(new Value("Clustering F1 (pairwise)", RetrievalMetric.CLUSTERING_F1, 0, clusteringF1));
        }
        return list;
    }

    /** @return e.g. "NMI (arithmetic)" */
    static String nmiName(NmiNormalization n) {
        return "NMI (" + n.label() + ")";
    }

    /** @return the report as an aligned text table */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Retrieval report: %s%n", protocol.description()));
        sb.append(String.format(Locale.ROOT, "  queries %d (evaluated %d, lone and excluded %d), gallery %d items in %d classes%n",
                queries, evaluatedQueries(), loneQueries, gallerySize, galleryClasses));
        Map<String, Double> v = values();
        int width = 6;
        for (String name : v.keySet()) {
            width = Math.max(width, name.length());
        }
        sb.append(String.format(Locale.ROOT, "  %-" + width + "s  %8s%n", "metric", "value"));
        for (Map.Entry<String, Double> e : v.entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-" + width + "s  %8.4f%n", e.getKey(), e.getValue()));
        }
        if (neighbourMillis > 0) {
            sb.append(String.format(Locale.ROOT, "  neighbour search: top %d per query, block size %d, %s; %.0f ms%n",
                    neighboursPerQuery, blockSize, l2Normalize ? "rows L2-normalised" : "rows checked to be unit", neighbourMillis));
        }
        if (clustering != null) {
            KMeans s = clustering.settings;
            sb.append(String.format(Locale.ROOT, "  k-means: %d clusters, %d iterations (%s), inertia %.4f, %d restart(s), seed %d; %.0f ms%n",
                    s.clusters(), clustering.iterations, clustering.converged ? "converged" : "iteration limit",
                    clustering.inertia, s.restarts(), s.seed(), clusteringMillis));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toTable();
    }

    /** @return the report as JSON (pretty-printed): metrics, counts, settings, clustering, timings */
    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("protocol", protocol.name());
        root.put("metrics", values());
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("queries", queries);
        counts.put("evaluatedQueries", evaluatedQueries());
        counts.put("loneQueriesExcluded", loneQueries);
        counts.put("gallerySize", gallerySize);
        counts.put("galleryClasses", galleryClasses);
        counts.put("queryClasses", queryClasses);
        counts.put("neighboursPerQuery", neighboursPerQuery);
        root.put("counts", counts);
        Map<String, Object> settings = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (RetrievalMetric m : metrics) {
            names.add(m.name());
        }
        settings.put("metrics", names);
        settings.put("recallAt", ks);
        settings.put("blockSize", blockSize);
        settings.put("l2Normalize", l2Normalize);
        settings.put("nmiNormalization", nmiNormalization.label());
        root.put("settings", settings);
        if (clustering != null) {
            Map<String, Object> km = new LinkedHashMap<>();
            KMeans s = clustering.settings;
            km.put("clusters", s.clusters());
            km.put("maxIterations", s.maxIterations());
            km.put("tolerance", s.tolerance());
            km.put("restarts", s.restarts());
            km.put("seed", s.seed());
            km.put("iterations", clustering.iterations);
            km.put("converged", clustering.converged);
            km.put("inertia", clustering.inertia);
            km.put("emptyClustersReseeded", clustering.emptyClustersReseeded);
            km.put("seedingMillis", clustering.seedingMillis);
            km.put("iterationMillis", clustering.iterationMillis);
            root.put("kMeans", km);
        }
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("neighbourMillis", neighbourMillis);
        timings.put("clusteringMillis", clusteringMillis);
        root.put("timings", timings);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the report as JSON", e);
        }
    }

    /**
     * Writes {@link #toJson()} to {@code file} atomically: to a temporary file in the same folder,
     * then renamed over {@code file}, so a reader never sees a half-written report.
     *
     * @param file target file; its folder must exist
     */
    public void writeJson(Path file) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        try {
            Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, toJson().getBytes(StandardCharsets.UTF_8));
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the retrieval report to " + abs, e);
        }
    }

    private void require(RetrievalMetric m) {
        if (!metrics.contains(m)) {
            throw new IllegalStateException(m + " was not computed; request it with RetrievalEvaluator.builder()"
                    + (m == RetrievalMetric.NMI ? ".nmi(true)" : m == RetrievalMetric.CLUSTERING_F1
                    ? ".clusteringF1(true)" : ".metrics(...)"));
        }
    }
}
