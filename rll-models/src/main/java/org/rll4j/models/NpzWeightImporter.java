package org.rll4j.models;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Imports weights exported from PyTorch as a NumPy {@code .npz} (name to array) into a
 * {@link ComputationGraph} whose layers carry the same names, such as {@link BnInception}, whose
 * published ImageNet weights (Ioffe &amp; Szegedy, ICML 2015, as released in Caffe and ported to
 * PyTorch) the Ranked List Loss paper (Wang et al., CVPR 2019) fine-tunes.
 *
 * <h2>Exporting</h2>
 * <pre>
 *   import numpy as np, torch
 *   sd = torch.load("bn_inception-52deb4733.pth", map_location="cpu")   # or model.state_dict()
 *   np.savez("bn_inception.npz", **{k: v.float().numpy() for k, v in sd.items()})
 * </pre>
 * {@code savez} and {@code savez_compressed} both work; float32, float64, integer and bool arrays are
 * read (see the package-private {@code Npz} reader: ND4J's own {@code createFromNpzFile} rejects
 * compressed archives). The file is opened read-only; it is never modified, moved or deleted.
 *
 * <h2>Name mapping</h2>
 * For a layer named {@code L} and each of its DL4J parameters, the importer looks for the tensor
 * {@code L.<suffix>} (the slash form, e.g. {@code conv1/7x7_s2.weight}) and then
 * {@code L'.<suffix>} where {@code L'} is {@code L} with every {@code /} replaced by {@code _} (the
 * PyTorch port's form, e.g. {@code conv1_7x7_s2.weight}, {@code inception_3a_1x1_bn.running_mean});
 * when both are present the slash form is used and the other is reported as unused. An optional
 * {@link Builder#tensorPrefix(String) tensor prefix} (e.g. {@code "module."} from DataParallel) is
 * removed first; tensors without it are unused.
 * <pre>
 *   DL4J layer          DL4J param            tensor suffix     transformation
 *   ConvolutionLayer    W [out,in,kh,kw]      .weight           none (same layout, 'c' order)
 *                       b [out]               .bias             none
 *   BatchNormalization  gamma [C]             .weight           none
 *                       beta [C]              .bias             none
 *                       mean [C]              .running_mean     none
 *                       var [C]               .running_var      none (useLogStd(false), as BnInception)
 *                       log10stdev [C]        .running_var      0.5 * log10(running_var) (DL4J's default useLogStd(true))
 *   DenseLayer,         W [in,out]            .weight [out,in]  transposed (torch.nn.Linear layout)
 *   OutputLayer         b [out]               .bias             none
 * </pre>
 * Batch norms frozen by {@link EmbeddingModel.Builder#frozenBatchNorm(boolean)} and layers frozen by
 * {@link EmbeddingModel.Builder#frozenBackbone(boolean)} count as the layers they wrap. Tensors named
 * {@code *.num_batches_tracked} (a PyTorch BN counter) are ignored (a note says how many). Layers of
 * other types that hold parameters (and layers of these types with extra parameters, such as a dense
 * layer-norm gain) are listed in {@link WeightImportReport#skipped()}. Every tensor's shape must
 * equal the expected PyTorch shape exactly (vectors as 1-D {@code [C]}); values are cast to the
 * parameter's data type. A negative or NaN {@code running_var} is corrupt data and always fails.
 *
 * <h2>Report</h2>
 * An import returns a {@link WeightImportReport}, the report of {@link PretrainedWeights#copyByName}
 * too: layers imported (all their parameters, or none), layers with no tensor at all (missing in the
 * source, with the names looked for), parameters whose tensor is absent or mis-shaped (with both
 * shapes), skipped layers and unused tensors. Check it with
 * {@link WeightImportReport#requireBackboneLoaded(EmbeddingModel)}: a lenient import of weights made
 * for another network succeeds and fills nothing.
 *
 * <h2>Modes</h2>
 * {@link Mode#STRICT} (default) fails with an {@link IllegalArgumentException} listing every missing
 * and mis-shaped tensor of the selected layers and changes <em>nothing</em> in the network;
 * {@link Mode#LENIENT} imports every layer whose tensors all match and reports the rest. Unused
 * tensors (e.g. the published classifier {@code fc.weight}) and skipped layers never fail. Restrict the
 * import to the backbone when the graph has heads of its own (the other layers are then reported as
 * skipped):
 * <pre>
 *   NpzWeightImporter.builder().layers(backbone.parameterLayerNames()).build().importInto(net, path);
 * </pre>
 * The BN-Inception weights expect Caffe preprocessing (BGR, 0..255 minus the mean, see
 * {@code org.rll4j.data.Normalization.CAFFE_BGR}).
 */
public final class NpzWeightImporter {

    /** What to do when a tensor is missing or mis-shaped. */
    public enum Mode {
        /** Fail, listing every problem, and import nothing (the default). */
        STRICT,
        /** Import every layer whose tensors all match, and report the rest. */
        LENIENT
    }

    /** Maximum number of items each list shows in an exception message. */
    private static final int MESSAGE_ITEMS = 10;
    private static final String IGNORED_SUFFIX = ".num_batches_tracked";

    private final Mode mode;
    private final List<String> layers;
    private final String tensorPrefix;

    private NpzWeightImporter(Builder b) {
        this.mode = b.mode;
        this.layers = b.layers == null ? null : List.copyOf(b.layers);
        this.tensorPrefix = b.tensorPrefix;
    }

    /** Strict import into every layer with parameters, no tensor prefix. */
    public static NpzWeightImporter strict() {
        return builder().build();
    }

    /** Lenient import into every layer with parameters, no tensor prefix. */
    public static NpzWeightImporter lenient() {
        return builder().mode(Mode.LENIENT).build();
    }

    /** A builder with the defaults of {@link #strict()}; every setter is optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** The failure mode. */
    public Mode mode() {
        return mode;
    }

    /** The layers to fill, or an empty list for "every layer with parameters". */
    public List<String> layers() {
        return layers == null ? List.of() : layers;
    }

    /** The prefix removed from tensor names before matching ({@code ""} for none). */
    public String tensorPrefix() {
        return tensorPrefix;
    }

    /**
     * Reads a NumPy {@code .npz} into a map from array name (entry name without {@code .npy}) to array,
     * in file order; float data keeps FLOAT/DOUBLE, integer and bool data become INT64.
     *
     * @throws java.io.FileNotFoundException if the file does not exist (the message says what to put there)
     * @throws IOException                   if it is not an {@code .npz} of supported arrays
     */
    public static Map<String, INDArray> readNpz(Path file) throws IOException {
        return Npz.read(Objects.requireNonNull(file, "file"));
    }

    /**
     * Imports the tensors of {@code npzFile} into {@code net} (initialised).
     *
     * @return what was imported, missing, mis-shaped, skipped and unused; check it, e.g. with
     *     {@link WeightImportReport#requireBackboneLoaded(EmbeddingModel)}
     * @throws java.io.FileNotFoundException if the file does not exist (the message says what to put where)
     * @throws IOException                   if the file cannot be read as an {@code .npz}
     * @throws IllegalArgumentException      in strict mode when a tensor is missing or mis-shaped (nothing
     *                                       is imported), or when a named layer does not exist
     * @throws IllegalStateException         if {@code net} is not initialised
     */
    public WeightImportReport importInto(ComputationGraph net, Path npzFile) throws IOException {
        Objects.requireNonNull(npzFile, "npzFile");
        return importInto(net, readNpz(npzFile), npzFile.toAbsolutePath().toString());
    }

    /** As {@link #importInto(ComputationGraph, Path)}, from tensors already in memory. */
    public WeightImportReport importInto(ComputationGraph net, Map<String, INDArray> tensors) {
        return importInto(net, tensors, "<in-memory tensors>");
    }

    private WeightImportReport importInto(ComputationGraph net, Map<String, INDArray> tensors, String source) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(tensors, "tensors");
        if (net.params() == null || net.getLayers() == null) {
            throw new IllegalStateException("net must be initialised before importing weights, found a graph"
                    + " without parameters; call net.init() first");
        }
        Set<String> selected = selectedLayers(net);

        List<String> unused = new ArrayList<>();
        int ignored = 0;
        Map<String, INDArray> byName = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(tensorPrefix)) {
                unused.add(k);
            } else if (k.endsWith(IGNORED_SUFFIX)) {
                ignored++;
            } else {
                byName.put(k.substring(tensorPrefix.length()), e.getValue());
            }
        }

        List<String> copied = new ArrayList<>();
        long copiedValues = 0;
        List<WeightImportReport.Missing> missing = new ArrayList<>();
        List<WeightImportReport.ShapeMismatch> mismatches = new ArrayList<>();
        List<WeightImportReport.Skipped> skipped = new ArrayList<>();
        List<Runnable> assignments = new ArrayList<>();
        Map<String, String> claimedBy = new HashMap<>();

        for (GraphVertex vertex : PretrainedWeights.inTopologicalOrder(net)) {
            Layer layer = vertex.getLayer();
            if (layer.numParams() == 0) {
                continue;
            }
            String name = vertex.getVertexName();
            org.deeplearning4j.nn.conf.layers.Layer conf = PretrainedWeights.unwrap(layer.conf().getLayer());
            Kind kind = Kind.of(conf);
            if (selected != null && !selected.contains(name)) {
                skipped.add(new WeightImportReport.Skipped(name, "not in the importer's layers(...)"));
                continue;
            }
            if (kind == null) {
                skipped.add(new WeightImportReport.Skipped(name, conf.getClass().getSimpleName()
                        + " has no PyTorch mapping"));
                continue;
            }
            String unknown = layer.paramTable().keySet().stream().filter(k -> kind.suffix(k) == null)
                    .findFirst().orElse(null);
            if (unknown != null) {
                skipped.add(new WeightImportReport.Skipped(name, conf.getClass().getSimpleName() + " parameter '"
                        + unknown + "' has no PyTorch counterpart"));
                continue;
            }
            List<String> forms = name.indexOf('/') >= 0 ? List.of(name, name.replace('/', '_')) : List.of(name);
            List<WeightImportReport.ShapeMismatch> problems = new ArrayList<>();
            List<Runnable> plan = new ArrayList<>();
            int found = 0;
            long values = 0;
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                String key = p.getKey();
                INDArray param = p.getValue();
                String suffix = kind.suffix(key);
                List<Long> expected = boxed(kind.tensorShape(key, param));
                String tensorName = forms.stream().map(f -> f + suffix).filter(byName::containsKey).findFirst()
                        .orElse(null);
                if (tensorName == null) {
                    problems.add(new WeightImportReport.ShapeMismatch(name, key,
                            forms.stream().map(f -> tensorPrefix + f + suffix).toList(), expected, List.of()));
                    continue;
                }
                found++;
                String previous = claimedBy.putIfAbsent(tensorName, name + " " + key);
                if (previous != null) {
                    throw new IllegalArgumentException("tensor '" + tensorPrefix + tensorName + "' must match one"
                            + " parameter, found two: " + previous + " and " + name + " " + key
                            + " (their layer names coincide once '/' becomes '_'); rename one layer");
                }
                INDArray tensor = byName.get(tensorName);
                if (!expected.equals(boxed(tensor.shape()))) {
                    problems.add(new WeightImportReport.ShapeMismatch(name, key, List.of(tensorPrefix + tensorName),
                            expected, boxed(tensor.shape())));
                    continue;
                }
                if (suffix.equals(".running_var")) {
                    checkVariance(tensorPrefix + tensorName, tensor);
                }
                UnaryOperator<INDArray> transform = kind.transform(key);
                plan.add(() -> param.assign(transform.apply(tensor.castTo(param.dataType()))));
                values += param.length();
            }
            if (found == 0) {
                missing.add(new WeightImportReport.Missing(name, forms.stream().map(f -> tensorPrefix + f + ".*").toList()));
            } else if (!problems.isEmpty()) {
                mismatches.addAll(problems);
            } else {
                copied.add(name);
                copiedValues += values;
                assignments.addAll(plan);
            }
        }
        for (String k : byName.keySet()) {
            if (!claimedBy.containsKey(k)) {
                unused.add(tensorPrefix + k);
            }
        }
        List<String> notes = ignored == 0 ? List.of() : List.of("ignored *" + IGNORED_SUFFIX
                + " (PyTorch's batch-norm counters): " + WeightImportReport.count(ignored, "tensor"));

        WeightImportReport report = new WeightImportReport(copied, copiedValues, missing, mismatches, skipped, unused,
                notes);
        if (mode == Mode.STRICT && !(missing.isEmpty() && mismatches.isEmpty())) {
            throw new IllegalArgumentException(strictMessage(source, report));
        }
        assignments.forEach(Runnable::run);
        return report;
    }

    /** The names given to {@link Builder#layers}, checked against the graph; null for every layer. */
    private Set<String> selectedLayers(ComputationGraph net) {
        if (layers == null) {
            return null;
        }
        for (String n : layers) {
            GraphVertex v = net.getVertex(n);
            if (v == null || !v.hasLayer()) {
                throw new IllegalArgumentException("layers must name layers of the graph, found '" + n
                        + "' which the graph does not have");
            }
            org.deeplearning4j.nn.conf.layers.Layer conf = PretrainedWeights.unwrap(v.getLayer().conf().getLayer());
            if (Kind.of(conf) == null) {
                throw new IllegalArgumentException("layers must name convolution, batch-norm, dense or output layers,"
                        + " found '" + n + "' of type " + conf.getClass().getSimpleName());
            }
        }
        return Set.copyOf(layers);
    }

    private static void checkVariance(String tensorName, INDArray var) {
        double[] v = var.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0) || Double.isInfinite(v[i])) {
                throw new IllegalArgumentException("running_var must be finite and >= 0, found " + v[i]
                        + " at index " + i + " of tensor '" + tensorName + "'");
            }
        }
    }

    private static List<Long> boxed(long[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    private static String strictMessage(String source, WeightImportReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("weights in ").append(source)
                .append(" must provide every parameter of the selected layers with the expected shape (strict mode),"
                        + " found ")
                .append(WeightImportReport.count(r.missingInSource().size(), "layer")).append(" missing and ")
                .append(WeightImportReport.count(r.shapeMismatches().size(), "parameter"))
                .append(" mis-shaped or absent; nothing was imported.");
        if (!r.missingInSource().isEmpty()) {
            sb.append(" Missing: ").append(limited(r.missingInSource())).append('.');
        }
        if (!r.shapeMismatches().isEmpty()) {
            sb.append(" Mis-shaped or absent: ").append(limited(r.shapeMismatches())).append('.');
        }
        if (!r.unusedSource().isEmpty()) {
            sb.append(" Unused tensors: ").append(limited(r.unusedSource())).append('.');
        }
        sb.append(" Use NpzWeightImporter.lenient() to import what matches, or builder().layers(...) to"
                + " restrict the import.");
        return sb.toString();
    }

    private static String limited(List<?> items) {
        return WeightImportReport.limited(items, MESSAGE_ITEMS, "; ");
    }

    /** Supported layer kinds and their mapping to PyTorch tensors. */
    private enum Kind {
        CONV, BATCH_NORM, DENSE;

        static Kind of(org.deeplearning4j.nn.conf.layers.Layer conf) {
            if (conf.getClass() == ConvolutionLayer.class) {
                return CONV;
            }
            if (conf instanceof BatchNormalization) { // FrozenBatchNormalization too: the same parameters
                return BATCH_NORM;
            }
            if (conf.getClass() == DenseLayer.class || conf.getClass() == OutputLayer.class) {
                return DENSE;
            }
            return null;
        }

        /** The PyTorch tensor suffix of a DL4J parameter, or null when there is none. */
        String suffix(String param) {
            return switch (param) {
                case "W", BatchNormalizationParamInitializer.GAMMA -> ".weight";
                case "b", BatchNormalizationParamInitializer.BETA -> ".bias";
                case BatchNormalizationParamInitializer.GLOBAL_MEAN -> ".running_mean";
                case BatchNormalizationParamInitializer.GLOBAL_VAR,
                        BatchNormalizationParamInitializer.GLOBAL_LOG_STD -> ".running_var";
                default -> null; // e.g. a dense layer's layer-norm gain "g": no PyTorch counterpart
            };
        }

        /** The shape the PyTorch tensor must have. */
        long[] tensorShape(String param, INDArray value) {
            if (!"W".equals(param)) {
                return new long[] {value.length()};
            }
            if (this == DENSE) {
                return new long[] {value.size(1), value.size(0)};
            }
            return value.shape();
        }

        UnaryOperator<INDArray> transform(String param) {
            if (this == DENSE && "W".equals(param)) {
                return INDArray::transpose;
            }
            if (BatchNormalizationParamInitializer.GLOBAL_LOG_STD.equals(param)) {
                return BatchNormVariance::toLog10Std;
            }
            return UnaryOperator.identity();
        }
    }

    /** Builder for {@link NpzWeightImporter}; {@link #build()} validates. */
    public static final class Builder {
        private Mode mode = Mode.STRICT;
        private Collection<String> layers;
        private String tensorPrefix = "";

        private Builder() {
        }

        /** {@link Mode#STRICT} (default) or {@link Mode#LENIENT}. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * Restricts the import to these layers (default: every layer with parameters), e.g.
         * {@link BnInception#parameterLayerNames()}. Names are checked against the graph at import.
         */
        public Builder layers(Collection<String> layers) {
            this.layers = layers == null ? null : new ArrayList<>(layers);
            return this;
        }

        /** A prefix every tensor name carries, removed before matching (default {@code ""}), e.g. {@code "module."}. */
        public Builder tensorPrefix(String tensorPrefix) {
            this.tensorPrefix = tensorPrefix;
            return this;
        }

        /** Validates and builds. */
        public NpzWeightImporter build() {
            if (mode == null) {
                throw new IllegalArgumentException("mode must be STRICT or LENIENT, found null");
            }
            if (tensorPrefix == null) {
                throw new IllegalArgumentException("tensorPrefix must be non-null (use \"\" for none), found null");
            }
            if (layers != null) {
                if (layers.isEmpty()) {
                    throw new IllegalArgumentException("layers must name at least one layer (omit it for all layers),"
                            + " found an empty list");
                }
                Set<String> seen = new LinkedHashSet<>();
                for (String l : layers) {
                    if (l == null || l.isBlank()) {
                        throw new IllegalArgumentException("layers must be non-blank names, found '" + l + "'");
                    }
                    if (!seen.add(l)) {
                        throw new IllegalArgumentException("layers must be distinct, found '" + l + "' twice");
                    }
                }
            }
            return new NpzWeightImporter(this);
        }
    }
}
