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
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
 * when both are present the slash form is used and the other is reported as unmatched. An optional
 * {@link Builder#tensorPrefix(String) tensor prefix} (e.g. {@code "module."} from DataParallel) is
 * removed first; tensors without it are unmatched.
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
 * Tensors named {@code *.num_batches_tracked} (a PyTorch BN counter) are ignored. Layers of other
 * types that hold parameters (and layers of these types with extra parameters, such as a dense
 * layer-norm gain) are skipped and listed in {@link Report#skippedLayers()}. Every tensor's
 * shape must equal the expected PyTorch shape exactly (vectors as 1-D {@code [C]}); values are cast
 * to the parameter's data type. A negative or NaN {@code running_var} is corrupt data and always
 * fails.
 *
 * <h2>Modes</h2>
 * {@link Mode#STRICT} (default) fails with an {@link IllegalArgumentException} listing every missing
 * and mis-shaped tensor and changes <em>nothing</em> in the network; {@link Mode#LENIENT} imports what
 * matches and returns the {@link Report}. Unmatched tensors (e.g. the published classifier
 * {@code fc.weight}) never fail. Restrict the import to the backbone when the graph has heads of its
 * own:
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
        /** Import what matches and report the rest. */
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
     * @return what was imported, unmatched, ignored, missing and mis-shaped
     * @throws java.io.FileNotFoundException if the file does not exist (the message says what to put where)
     * @throws IOException                   if the file cannot be read as an {@code .npz}
     * @throws IllegalArgumentException      in strict mode when a tensor is missing or mis-shaped (nothing
     *                                       is imported), or when a named layer does not exist
     * @throws IllegalStateException         if {@code net} is not initialised
     */
    public Report importInto(ComputationGraph net, Path npzFile) throws IOException {
        Objects.requireNonNull(npzFile, "npzFile");
        return importInto(net, readNpz(npzFile), npzFile.toAbsolutePath().toString());
    }

    /** As {@link #importInto(ComputationGraph, Path)}, from tensors already in memory. */
    public Report importInto(ComputationGraph net, Map<String, INDArray> tensors) {
        return importInto(net, tensors, "<in-memory tensors>");
    }

    private Report importInto(ComputationGraph net, Map<String, INDArray> tensors, String source) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(tensors, "tensors");
        if (net.params() == null || net.getLayers() == null) {
            throw new IllegalStateException("net must be initialised before importing weights, found a graph"
                    + " without parameters; call net.init() first");
        }

        List<String> unmatched = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        Map<String, INDArray> byName = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(tensorPrefix)) {
                unmatched.add(k);
            } else if (k.endsWith(IGNORED_SUFFIX)) {
                ignored.add(k);
            } else {
                byName.put(k.substring(tensorPrefix.length()), e.getValue());
            }
        }

        List<Imported> imported = new ArrayList<>();
        List<Missing> missing = new ArrayList<>();
        List<MisShaped> misShaped = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<Runnable> assignments = new ArrayList<>();
        Map<String, String> claimedBy = new HashMap<>();

        for (Layer layer : targets(net)) {
            String name = layer.conf().getLayer().getLayerName();
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            Kind kind = Kind.of(conf);
            if (kind == null) {
                skipped.add(name + " (" + conf.getClass().getSimpleName() + ")");
                continue;
            }
            String unknown = layer.paramTable().keySet().stream().filter(k -> kind.suffix(k) == null)
                    .findFirst().orElse(null);
            if (unknown != null) {
                skipped.add(name + " (" + conf.getClass().getSimpleName() + " with parameter '" + unknown + "')");
                continue;
            }
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                String key = p.getKey();
                INDArray param = p.getValue();
                String suffix = kind.suffix(key);
                List<String> candidates = name.indexOf('/') >= 0
                        ? List.of(name + suffix, name.replace('/', '_') + suffix)
                        : List.of(name + suffix);
                String found = null;
                for (String c : candidates) {
                    if (byName.containsKey(c)) {
                        found = c;
                        break;
                    }
                }
                if (found == null) {
                    missing.add(new Missing(name, key, candidates.stream().map(c -> tensorPrefix + c).toList()));
                    continue;
                }
                String previous = claimedBy.putIfAbsent(found, name + " " + key);
                if (previous != null) {
                    throw new IllegalArgumentException("tensor '" + tensorPrefix + found + "' must match one parameter,"
                            + " found two: " + previous + " and " + name + " " + key
                            + " (their layer names coincide once '/' becomes '_'); rename one layer");
                }
                INDArray tensor = byName.get(found);
                long[] expected = kind.tensorShape(key, param);
                if (!Arrays.equals(expected, tensor.shape())) {
                    misShaped.add(new MisShaped(tensorPrefix + found, name, key, boxed(expected), boxed(tensor.shape())));
                    continue;
                }
                UnaryOperator<INDArray> transform = kind.transform(key);
                if (suffix.equals(".running_var")) {
                    checkVariance(tensorPrefix + found, tensor);
                }
                imported.add(new Imported(name, key, tensorPrefix + found));
                assignments.add(() -> param.assign(transform.apply(tensor.castTo(param.dataType()))));
            }
        }
        for (String k : byName.keySet()) {
            if (!claimedBy.containsKey(k)) {
                unmatched.add(tensorPrefix + k);
            }
        }

        Report report = new Report(source, imported, unmatched, ignored, missing, misShaped, skipped);
        if (mode == Mode.STRICT && !report.complete()) {
            throw new IllegalArgumentException(strictMessage(report));
        }
        assignments.forEach(Runnable::run);
        return report;
    }

    private List<Layer> targets(ComputationGraph net) {
        if (layers == null) {
            List<Layer> all = new ArrayList<>();
            for (Layer l : net.getLayers()) {
                if (l.numParams() > 0) {
                    all.add(l);
                }
            }
            return all;
        }
        List<Layer> out = new ArrayList<>();
        for (String n : layers) {
            org.deeplearning4j.nn.graph.vertex.GraphVertex v = net.getVertex(n);
            if (v == null || !v.hasLayer()) {
                throw new IllegalArgumentException("layers must name layers of the graph, found '" + n
                        + "' which the graph does not have");
            }
            Layer l = v.getLayer();
            if (Kind.of(l.conf().getLayer()) == null) {
                throw new IllegalArgumentException("layers must name convolution, batch-norm, dense or output layers,"
                        + " found '" + n + "' of type " + l.conf().getLayer().getClass().getSimpleName());
            }
            out.add(l);
        }
        return out;
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

    private static String strictMessage(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("weights in ").append(r.source())
                .append(" must provide every parameter of the selected layers with the expected shape (strict mode),"
                        + " found ")
                .append(r.missing().size()).append(" missing and ").append(r.misShaped().size())
                .append(" mis-shaped; nothing was imported.");
        if (!r.missing().isEmpty()) {
            sb.append(" Missing: ").append(limited(r.missing())).append('.');
        }
        if (!r.misShaped().isEmpty()) {
            sb.append(" Mis-shaped: ").append(limited(r.misShaped())).append('.');
        }
        if (!r.unmatched().isEmpty()) {
            sb.append(" Unmatched tensors: ").append(limited(r.unmatched())).append('.');
        }
        sb.append(" Use NpzWeightImporter.lenient() to import what matches, or builder().layers(...) to"
                + " restrict the import.");
        return sb.toString();
    }

    private static String limited(List<?> items) {
        String shown = items.stream().limit(MESSAGE_ITEMS).map(Object::toString).collect(Collectors.joining("; "));
        return items.size() > MESSAGE_ITEMS ? shown + "; ... and " + (items.size() - MESSAGE_ITEMS) + " more" : shown;
    }

    /** Supported layer kinds and their mapping to PyTorch tensors. */
    private enum Kind {
        CONV, BATCH_NORM, DENSE;

        static Kind of(org.deeplearning4j.nn.conf.layers.Layer conf) {
            if (conf.getClass() == ConvolutionLayer.class) {
                return CONV;
            }
            if (conf.getClass() == BatchNormalization.class) {
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

    // ---------------------------------------------------------------------------------------------
    // report

    /**
     * One imported tensor.
     *
     * @param layer  the DL4J layer name
     * @param param  the DL4J parameter key ({@code W}, {@code b}, {@code gamma}, ...)
     * @param tensor the tensor name in the file
     */
    public record Imported(String layer, String param, String tensor) {
        @Override
        public String toString() {
            return "'" + tensor + "' -> " + layer + " " + param;
        }
    }

    /**
     * A parameter with no tensor.
     *
     * @param layer     the DL4J layer name
     * @param param     the DL4J parameter key
     * @param triedNames the tensor names looked for, in order
     */
    public record Missing(String layer, String param, List<String> triedNames) {
        public Missing {
            triedNames = List.copyOf(triedNames);
        }

        @Override
        public String toString() {
            return layer + " " + param + " (looked for " + triedNames.stream().map(n -> "'" + n + "'")
                    .collect(Collectors.joining(" or ")) + ")";
        }
    }

    /**
     * A tensor whose shape differs from what the parameter needs (PyTorch layout).
     *
     * @param tensor   the tensor name in the file
     * @param layer    the DL4J layer name
     * @param param    the DL4J parameter key
     * @param expected the shape the tensor must have
     * @param found    the tensor's shape
     */
    public record MisShaped(String tensor, String layer, String param, List<Long> expected, List<Long> found) {
        public MisShaped {
            expected = List.copyOf(expected);
            found = List.copyOf(found);
        }

        @Override
        public String toString() {
            return "'" + tensor + "' for " + layer + " " + param + ": expected " + expected + ", found " + found;
        }
    }

    /**
     * Outcome of an import.
     *
     * @param source        the absolute file path, or {@code <in-memory tensors>}
     * @param imported      tensors copied into the network
     * @param unmatched     tensors no selected parameter asked for (e.g. a classifier), with their full names
     * @param ignored       tensors deliberately not used ({@code *.num_batches_tracked})
     * @param missing       parameters of the selected layers with no tensor
     * @param misShaped     tensors found with the wrong shape (not imported)
     * @param skippedLayers layers with parameters of an unsupported type, as {@code "name (Type)"}
     */
    public record Report(String source, List<Imported> imported, List<String> unmatched, List<String> ignored,
                         List<Missing> missing, List<MisShaped> misShaped, List<String> skippedLayers) {
        public Report {
            imported = List.copyOf(imported);
            unmatched = List.copyOf(unmatched);
            ignored = List.copyOf(ignored);
            missing = List.copyOf(missing);
            misShaped = List.copyOf(misShaped);
            skippedLayers = List.copyOf(skippedLayers);
        }

        /** True when no parameter is missing or mis-shaped (unmatched and ignored tensors are fine). */
        public boolean complete() {
            return missing.isEmpty() && misShaped.isEmpty();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT,
                    "NpzWeightImporter.Report{source=%s, imported=%d, unmatched=%s, ignored=%d, missing=%s,"
                            + " misShaped=%s, skippedLayers=%s}",
                    source, imported.size(), unmatched, ignored.size(), missing, misShaped, skippedLayers);
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
