package org.rll4j.models;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.Adler32;
import java.util.zip.CheckedInputStream;

import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * ImageNet weights hosted by DL4J, read from the local DL4J model cache or a given file (never
 * downloaded), verified by their Adler32 checksum, and copied layer by layer, by name, into a graph
 * built with a {@link Backbone}.
 *
 * <p><b>Where the files are looked for.</b> {@link ZooWeights#cachedFile(Path)} is
 * {@code <base>/models/<model>/<file>}, the path the DL4J zoo's {@code ZooModel.initPretrained} uses;
 * the default base ({@link #defaultBaseDirectory()}) is DL4J's, {@code ~/.deeplearning4j} unless the
 * system property {@code org.deeplearning4j.resources.directory} or
 * {@code DL4JResources.setBaseDirectory} says otherwise. For example
 * {@code ~/.deeplearning4j/models/resnet50/resnet50_dl4j_inference.v3.zip}. A file downloaded by the
 * zoo earlier is found there as it is.
 *
 * <p><b>What is checked, and what is never done.</b> Nothing is downloaded: a missing file fails with
 * a {@link FileNotFoundException} naming the path to put it at and the URL the zoo would fetch it
 * from ({@link ZooWeights#url()}, from {@code DL4JResources}, so a configured mirror is honoured). A
 * file whose Adler32 checksum differs fails with an {@link IOException} and is <em>left as it is</em>:
 * unlike {@code ZooModel.initPretrained}, which deletes such a file, this class only ever opens files
 * for reading. File names and checksums are those of the zoo's {@code pretrainedUrl} and
 * {@code pretrainedChecksum} ({@code PretrainedWeightsTest} compares them).
 *
 * <p><b>Copying.</b> {@link #copyByName(ComputationGraph, ComputationGraph)} copies every parameter
 * of every target layer from the source layer of the same name, when all that layer's parameters
 * exist in the source with the same shapes, and returns a {@link WeightImportReport} (the report
 * {@link NpzWeightImporter} returns too). Batch-norm running
 * mean and variance are parameters in DL4J and are copied too; a variance stored as variance
 * ({@code "var"}, as in models saved by DL4J 1.0.0-beta3 and earlier) is converted to
 * the {@code "log10stdev"} that newer layers store, and back. The graphs need not have the same
 * input size: convolution weights do not depend on it.
 *
 * <p>Usage ({@code PretrainedWeightsTest} runs the copy step with the zoo's untrained ResNet50 as the
 * source, since the real file is not available to the tests):
 * <pre>{@code
 * EmbeddingModel model = ...;   // built with ResNet50Backbone
 * ComputationGraph imagenet = PretrainedWeights.restore(PretrainedWeights.ZooWeights.RESNET50_IMAGENET);
 * WeightImportReport report = PretrainedWeights.copyByName(imagenet, model.network());
 * // report: copied layers, target layers missing in the source (the heads), shape mismatches,
 * // source layers not used (the zoo's classifier), notes; report.summary() for a log
 * report.requireBackboneLoaded(model);   // fails naming every backbone layer that was not copied
 * }</pre>
 *
 * <p><b>Not verified here.</b> The hosted zips could not be opened while writing this class (no
 * network), so whether their layer names are the zoo's {@code graphBuilder()} names has not been
 * checked. Names that differ show up in the report as missing and unused layers, and
 * {@link #copyByName(ComputationGraph, ComputationGraph, Map)} takes an explicit name mapping for
 * them.
 */
public final class PretrainedWeights {

    private PretrainedWeights() {
    }

    /** Weight files hosted by DL4J for its zoo models, with the zoo's cache names and checksums. */
    public enum ZooWeights {
        /** {@code org.deeplearning4j.zoo.model.ResNet50}, ImageNet: for {@link ResNet50Backbone}. */
        RESNET50_IMAGENET("resnet50", "resnet50_dl4j_inference.v3.zip", 3914447815L),
        /** {@code org.deeplearning4j.zoo.model.SqueezeNet}, ImageNet: for {@link SqueezeNetBackbone}. */
        SQUEEZENET_IMAGENET("squeezenet", "squeezenet_dl4j_inference.v2.zip", 3711411239L);

        private final String modelName;
        private final String fileName;
        private final long adler32;

        ZooWeights(String modelName, String fileName, long adler32) {
            this.modelName = modelName;
            this.fileName = fileName;
            this.adler32 = adler32;
        }

        /** The zoo's {@code modelName()}: its cache sub-directory, e.g. {@code "resnet50"}. */
        public String modelName() {
            return modelName;
        }

        /** The file name, e.g. {@code "resnet50_dl4j_inference.v3.zip"}. */
        public String fileName() {
            return fileName;
        }

        /** The expected Adler32 checksum of the file (the zoo's {@code pretrainedChecksum}). */
        public long adler32() {
            return adler32;
        }

        /**
         * The URL the zoo downloads the file from: {@code DL4JResources.getURLString("models/<file>")},
         * by default {@code https://dl4jdata.blob.core.windows.net/models/<file>}. Informational only:
         * this class never downloads.
         */
        public String url() {
            return DL4JResources.getURLString(ResourceType.ZOO_MODEL.resourceName() + "/" + fileName);
        }

        /** {@code <baseDirectory>/models/<modelName>/<fileName>}, where the zoo caches the file. */
        public Path cachedFile(Path baseDirectory) {
            Objects.requireNonNull(baseDirectory, "baseDirectory");
            return baseDirectory.resolve(ResourceType.ZOO_MODEL.resourceName()).resolve(modelName).resolve(fileName);
        }

        /** {@link #cachedFile(Path)} under {@link PretrainedWeights#defaultBaseDirectory()}. */
        public Path cachedFile() {
            return cachedFile(defaultBaseDirectory());
        }
    }

    /**
     * DL4J's resource directory, {@code DL4JResources.getBaseDirectory()}: {@code ~/.deeplearning4j}
     * unless configured otherwise.
     */
    public static Path defaultBaseDirectory() {
        return DL4JResources.getBaseDirectory().toPath();
    }

    /**
     * Restores {@code weights} from the default DL4J cache ({@link ZooWeights#cachedFile()}).
     *
     * @throws FileNotFoundException if the file is not there (the message says where to put it)
     * @throws IOException on a checksum mismatch (the file is left unchanged) or a read error
     */
    public static ComputationGraph restore(ZooWeights weights) throws IOException {
        return restore(weights, defaultBaseDirectory());
    }

    /**
     * Restores {@code weights} from {@code <baseDirectory>/models/<model>/<file>}.
     *
     * @param baseDirectory a DL4J resource directory (the level that holds {@code models/})
     * @throws FileNotFoundException if the file is not there (the message says where to put it)
     * @throws IOException on a checksum mismatch (the file is left unchanged) or a read error
     */
    public static ComputationGraph restore(ZooWeights weights, Path baseDirectory) throws IOException {
        Objects.requireNonNull(weights, "weights");
        Path file = weights.cachedFile(baseDirectory);
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException(String.format(Locale.ROOT,
                    "%s must be a file holding the DL4J zoo's %s weights, found %s. Nothing is downloaded here: "
                            + "fetch %s and save it at that path (Adler32 %d), or pass its location to "
                            + "PretrainedWeights.restoreFile(file, ZooWeights.%s.adler32()).",
                    file, weights, Files.exists(file) ? "a directory or special file" : "nothing",
                    weights.url(), weights.adler32(), weights.name()));
        }
        return restoreVerified(file, weights.adler32(), weights.url());
    }

    /**
     * Restores a user-given model file after checking its Adler32 checksum, e.g.
     * {@code restoreFile(path, ZooWeights.RESNET50_IMAGENET.adler32())}. The updater state is not loaded.
     *
     * @throws FileNotFoundException if {@code file} is not a regular file
     * @throws IOException on a checksum mismatch (the file is left unchanged) or a read error
     */
    public static ComputationGraph restoreFile(Path file, long expectedAdler32) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException(file + " must be a model file, found "
                    + (Files.exists(file) ? "a directory or special file" : "nothing"));
        }
        return restoreVerified(file, expectedAdler32, null);
    }

    private static ComputationGraph restoreVerified(Path file, long expected, String url) throws IOException {
        long actual = adler32(file);
        if (actual != expected) {
            throw new IOException(String.format(Locale.ROOT,
                    "Adler32 checksum of %s must be %d, found %d (%d bytes). The file was left unchanged "
                            + "(not deleted)%s.",
                    file, expected, actual, Files.size(file),
                    url == null ? "" : "; replace it with a complete copy of " + url));
        }
        return ModelSerializer.restoreComputationGraph(file.toFile(), false);
    }

    /** The Adler32 checksum of {@code file}'s bytes (the zoo's checksum), reading it only. */
    public static long adler32(Path file) throws IOException {
        Adler32 adler = new Adler32();
        try (InputStream in = new CheckedInputStream(Files.newInputStream(file), adler)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return adler.getValue();
    }

    /** {@link #copyByName(ComputationGraph, ComputationGraph, Map)} with every layer under its own name. */
    public static WeightImportReport copyByName(ComputationGraph source, ComputationGraph target) {
        return copyByName(source, target, Map.of());
    }

    /**
     * Copies parameters from {@code source} into {@code target}, layer by layer.
     *
     * <p>For every target layer that has parameters, the source layer is the one named
     * {@code sourceNames.get(targetName)}, or {@code targetName} when the map has no entry. The layer is
     * copied only if the source layer exists, has parameters, and every parameter of either layer has a
     * counterpart of the same shape in the other (batch-norm {@code var} and {@code log10stdev} count as
     * counterparts and are converted). Otherwise nothing of that layer is copied and the report says
     * why. Values are assigned into the target's parameter views (converted to its data type); the
     * source is not modified. Layer settings (e.g. batch-norm epsilon) are not copied; differences
     * that change what copied values mean are listed in {@link WeightImportReport#notes()}. The
     * report's {@link WeightImportReport#skipped() skipped} list is always empty here: every layer type
     * can be copied.
     *
     * @param sourceNames target layer name to source layer name, for layers named differently
     * @return what was copied and what was not; check it, e.g. with
     *     {@link WeightImportReport#requireBackboneLoaded(EmbeddingModel)}
     */
    public static WeightImportReport copyByName(ComputationGraph source, ComputationGraph target,
                                                Map<String, String> sourceNames) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(sourceNames, "sourceNames");
        for (Map.Entry<String, String> e : sourceNames.entrySet()) {
            if (target.getVertex(e.getKey()) == null) {
                throw new IllegalArgumentException("sourceNames keys must be target layer names, found "
                        + e.getKey());
            }
        }
        List<String> copied = new ArrayList<>();
        List<WeightImportReport.Missing> missing = new ArrayList<>();
        List<WeightImportReport.ShapeMismatch> mismatches = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<String> usedSource = new HashSet<>();
        long copiedValues = 0;

        for (GraphVertex vertex : inTopologicalOrder(target)) {
            Layer targetLayer = vertex.getLayer();
            Map<String, INDArray> targetParams = targetLayer.paramTable();
            if (targetParams.isEmpty()) {
                continue;
            }
            String name = vertex.getVertexName();
            String sourceName = sourceNames.getOrDefault(name, name);
            GraphVertex sourceVertex = source.getVertex(sourceName);
            if (sourceVertex == null || !sourceVertex.hasLayer() || sourceVertex.getLayer().paramTable().isEmpty()) {
                missing.add(new WeightImportReport.Missing(name, List.of(sourceName)));
                continue;
            }
            usedSource.add(sourceName);
            Layer sourceLayer = sourceVertex.getLayer();
            Map<String, INDArray> sourceParams = sourceLayer.paramTable();
            Map<String, INDArray> plan = new LinkedHashMap<>();
            List<String> layerNotes = new ArrayList<>();
            int before = mismatches.size();
            for (Map.Entry<String, INDArray> p : targetParams.entrySet()) {
                String key = p.getKey();
                String other = counterpart(key, sourceParams);
                String entry = sourceName + "/" + (sourceParams.containsKey(key) || other == null ? key : other);
                INDArray value = sourceValue(sourceParams, key, layerNotes, name);
                if (value == null) {
                    mismatches.add(new WeightImportReport.ShapeMismatch(name, key, List.of(entry),
                            shapeOf(p.getValue()), List.of()));
                } else if (!Arrays.equals(value.shape(), p.getValue().shape())) {
                    mismatches.add(new WeightImportReport.ShapeMismatch(name, key, List.of(entry),
                            shapeOf(p.getValue()), shapeOf(value)));
                } else {
                    plan.put(key, value);
                }
            }
            for (Map.Entry<String, INDArray> p : sourceParams.entrySet()) {
                if (!targetParams.containsKey(p.getKey()) && counterpart(p.getKey(), targetParams) == null) {
                    mismatches.add(new WeightImportReport.ShapeMismatch(name, p.getKey(),
                            List.of(sourceName + "/" + p.getKey()), List.of(), shapeOf(p.getValue())));
                }
            }
            if (mismatches.size() > before) {
                continue;
            }
            for (Map.Entry<String, INDArray> p : plan.entrySet()) {
                targetParams.get(p.getKey()).assign(p.getValue());
                copiedValues += p.getValue().length();
            }
            copied.add(name);
            notes.addAll(layerNotes);
            notes.addAll(settingNotes(name, sourceName, sourceLayer, targetLayer));
        }

        List<String> unused = new ArrayList<>();
        for (GraphVertex vertex : inTopologicalOrder(source)) {
            if (!vertex.getLayer().paramTable().isEmpty() && !usedSource.contains(vertex.getVertexName())) {
                unused.add(vertex.getVertexName());
            }
        }
        return new WeightImportReport(copied, copiedValues, missing, mismatches, List.of(), unused, notes);
    }

    /** The vertices that hold layers, in topological order. */
    static List<GraphVertex> inTopologicalOrder(ComputationGraph graph) {
        GraphVertex[] vertices = graph.getVertices();
        List<GraphVertex> out = new ArrayList<>();
        for (int i : graph.topologicalSortOrder()) {
            if (vertices[i].hasLayer()) {
                out.add(vertices[i]);
            }
        }
        return out;
    }

    /**
     * The source value for target parameter {@code key}: the same key, or the converted batch-norm
     * variance counterpart; null if neither exists.
     */
    private static INDArray sourceValue(Map<String, INDArray> sourceParams, String key, List<String> notes,
                                        String layer) {
        INDArray same = sourceParams.get(key);
        if (same != null) {
            return same;
        }
        String other = counterpart(key, sourceParams);
        if (other == null) {
            return null;
        }
        INDArray value = sourceParams.get(other);
        notes.add(layer + ": source " + other + " converted to " + key);
        return key.equals(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)
                ? BatchNormVariance.toLog10Std(value) : BatchNormVariance.toVariance(value);
    }

    /** The batch-norm variance key in {@code params} that stands for {@code key}, or null. */
    private static String counterpart(String key, Map<String, INDArray> params) {
        String other;
        if (key.equals(BatchNormalizationParamInitializer.GLOBAL_VAR)) {
            other = BatchNormalizationParamInitializer.GLOBAL_LOG_STD;
        } else if (key.equals(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
            other = BatchNormalizationParamInitializer.GLOBAL_VAR;
        } else {
            return null;
        }
        return params.containsKey(other) ? other : null;
    }

    /** Notes on layer settings that change the meaning of copied values. */
    private static List<String> settingNotes(String name, String sourceName, Layer sourceLayer, Layer targetLayer) {
        List<String> notes = new ArrayList<>();
        if (!sourceName.equals(name)) {
            notes.add(name + ": copied from source layer " + sourceName);
        }
        org.deeplearning4j.nn.conf.layers.Layer s = unwrap(sourceLayer.conf().getLayer());
        org.deeplearning4j.nn.conf.layers.Layer t = unwrap(targetLayer.conf().getLayer());
        if (kindOf(s) != kindOf(t)) {
            notes.add(name + ": layer type differs: source " + s.getClass().getSimpleName() + ", target "
                    + t.getClass().getSimpleName());
        }
        if (s instanceof BatchNormalization && t instanceof BatchNormalization
                && ((BatchNormalization) s).getEps() != ((BatchNormalization) t).getEps()) {
            notes.add(name + ": batch-norm eps differs: source " + ((BatchNormalization) s).getEps()
                    + ", target " + ((BatchNormalization) t).getEps());
        }
        return notes;
    }

    /** A layer's class, with a frozen batch norm counted as a batch norm (its parameters mean the same). */
    private static Class<?> kindOf(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof FrozenBatchNormalization ? BatchNormalization.class : layer.getClass();
    }

    /** The layer configuration inside frozen and other wrapper layers. */
    static org.deeplearning4j.nn.conf.layers.Layer unwrap(org.deeplearning4j.nn.conf.layers.Layer layer) {
        org.deeplearning4j.nn.conf.layers.Layer l = layer;
        while (true) {
            if (l instanceof FrozenLayer) {
                l = ((FrozenLayer) l).getLayer();
            } else if (l instanceof BaseWrapperLayer) {
                l = ((BaseWrapperLayer) l).getUnderlying();
            } else {
                return l;
            }
        }
    }

    static List<Long> shapeOf(INDArray array) {
        List<Long> shape = new ArrayList<>();
        for (long d : array.shape()) {
            shape.add(d);
        }
        return List.copyOf(shape);
    }
}
