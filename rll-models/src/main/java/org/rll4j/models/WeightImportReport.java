package org.rll4j.models;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * What an import of pretrained weights into a {@code ComputationGraph} did, layer by layer: the one
 * report of both import paths, {@link PretrainedWeights#copyByName} (DL4J zoo zips and other DL4J
 * graphs) and {@link NpzWeightImporter} (PyTorch weights saved as a NumPy {@code .npz}).
 *
 * <p><b>Categories.</b> Every target layer that holds parameters is in exactly one of
 * {@link #copied()}, {@link #missingInSource()}, the layers of {@link #shapeMismatches()} and
 * {@link #skipped()}. A layer is copied whole or not at all: when one of its parameters is absent
 * from the source or shaped differently, none of its values are copied (a batch norm with the source's
 * mean but its own variance would compute neither network's function). Source entries that no target
 * layer asked for (a classifier, differently named layers) are in {@link #unusedSource()}.
 *
 * <p><b>Why a check.</b> An import succeeds in part without an error: weights for another backbone,
 * or for other input channels, fill nothing or some layers and leave the rest at their random
 * initialisation, and training then fine-tunes a half-random network. {@link #requireBackboneLoaded}
 * fails in that case, naming the layers. For an {@link EmbeddingModel} the backbone is the set of
 * layers its {@link Backbone} added ({@link EmbeddingModel#backboneParameterLayers()}): pretrained
 * files hold exactly those. The embedding heads (pooling convolutions, dense layers, batch norms, the
 * embedding layer) and the loss layers are new for metric learning, so no file holds them; they are
 * expected in {@link #missingInSource()} and start from their initialisation.
 *
 * <pre>{@code
 * WeightImportReport report = PretrainedWeights.copyByName(imagenet, model.network());
 * log.info("ImageNet weights:\n{}", report.summary());
 * report.requireBackboneLoaded(model);   // IllegalStateException naming every backbone layer not loaded
 * }</pre>
 *
 * @param copied target layers whose parameters were all copied, in graph order
 * @param copiedValues number of parameter values copied
 * @param missingInSource target layers with parameters for which the source has nothing
 * @param shapeMismatches parameters that are absent or shaped differently on one side; their layers
 *     were not copied
 * @param skipped target layers with parameters that the import did not try, with the reason
 * @param unusedSource source layers (graphs) or tensors ({@code .npz}) that no target parameter asked for
 * @param notes conversions and setting differences worth knowing (batch-norm variance format,
 *     epsilon, layer type, renamed source layers, ignored tensors)
 */
public record WeightImportReport(List<String> copied, long copiedValues, List<Missing> missingInSource,
                                 List<ShapeMismatch> shapeMismatches, List<Skipped> skipped,
                                 List<String> unusedSource, List<String> notes) {

    /** Most items of one list that {@link #summary()} and the exception messages show. */
    static final int SHOWN_ITEMS = 20;
    /** Most names of a one-line name list (copied layers, unused entries) in {@link #summary()}. */
    private static final int SHOWN_NAMES = 12;

    /** Copies the lists; {@code copiedValues} must be {@code >= 0}. */
    public WeightImportReport {
        copied = List.copyOf(copied);
        missingInSource = List.copyOf(missingInSource);
        shapeMismatches = List.copyOf(shapeMismatches);
        skipped = List.copyOf(skipped);
        unusedSource = List.copyOf(unusedSource);
        notes = List.copyOf(notes);
        if (copiedValues < 0) {
            throw new IllegalArgumentException("copiedValues must be >= 0, found " + copiedValues);
        }
    }

    /** True when every target layer with parameters was copied (unused source entries are fine). */
    public boolean complete() {
        return missingInSource.isEmpty() && shapeMismatches.isEmpty() && skipped.isEmpty();
    }

    /** The distinct layers of {@link #shapeMismatches()}, in order. */
    public List<String> mismatchedLayers() {
        Set<String> layers = new LinkedHashSet<>();
        shapeMismatches.forEach(m -> layers.add(m.layer()));
        return List.copyOf(layers);
    }

    /** Target layers with parameters that were not copied: missing, mis-shaped, then skipped ones. */
    public List<String> notCopied() {
        List<String> out = new ArrayList<>();
        missingInSource.forEach(m -> out.add(m.layer()));
        out.addAll(mismatchedLayers());
        skipped.forEach(s -> out.add(s.layer()));
        return List.copyOf(out);
    }

    /**
     * Returns this report if every layer of {@code model}'s backbone that holds parameters was
     * copied ({@link EmbeddingModel#backboneParameterLayers()}); head and loss layers are not
     * checked, whether they were copied, missing or mis-shaped.
     *
     * @throws IllegalStateException naming the backbone, each backbone layer not loaded with why, and
     *     what would fix it
     */
    public WeightImportReport requireBackboneLoaded(EmbeddingModel model) {
        Objects.requireNonNull(model, "model");
        return require(model.backboneParameterLayers(),
                "every layer with parameters of the backbone " + describe(model.backbone()));
    }

    /**
     * Returns this report if every layer in {@code layers} was copied.
     *
     * @throws IllegalStateException naming each of them that was not, with why, and what would fix it
     */
    public WeightImportReport requireCopied(Collection<String> layers) {
        Objects.requireNonNull(layers, "layers");
        return require(List.copyOf(layers), "the layers " + limited(List.copyOf(layers), SHOWN_ITEMS, ", "));
    }

    private WeightImportReport require(List<String> layers, String what) {
        List<String> notLoaded = new ArrayList<>();
        Set<String> reasons = new LinkedHashSet<>();
        for (String layer : layers) {
            if (!copied.contains(layer)) {
                notLoaded.add(layer + " (" + reason(layer, reasons) + ")");
            }
        }
        if (notLoaded.isEmpty()) {
            return this;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(what).append(" must be loaded from the weights, found ").append(notLoaded.size()).append(" of ")
                .append(layers.size()).append(" not loaded: ").append(limited(notLoaded, SHOWN_ITEMS, "; ")).append('.');
        if (reasons.contains("missing")) {
            sb.append(" Layers missing in the source mean weights of another network (another backbone, other stages)"
                    + " or other layer names: use weights made for this backbone, or map the names"
                    + " (copyByName's sourceNames, NpzWeightImporter's tensorPrefix).");
        }
        if (reasons.contains("mis-shaped")) {
            sb.append(" Mis-shaped layers mean the same layers with other sizes: other input channels (grayscale"
                    + " against RGB), other widths, or a dense layer whose input depends on the image size; build the"
                    + " backbone with the channels, widths and input size the weights were trained with.");
        }
        if (reasons.contains("skipped")) {
            sb.append(" Skipped layers were not tried: their type has no mapping on this import path, or the"
                    + " import's layer selection left them out.");
        }
        throw new IllegalStateException(sb.toString());
    }

    private String reason(String layer, Set<String> reasons) {
        for (Missing m : missingInSource) {
            if (m.layer().equals(layer)) {
                reasons.add("missing");
                return "missing in the source, " + m.lookedForText();
            }
        }
        List<String> shapes = shapeMismatches.stream().filter(s -> s.layer().equals(layer))
                .map(ShapeMismatch::detail).toList();
        if (!shapes.isEmpty()) {
            reasons.add("mis-shaped");
            return "mis-shaped: " + String.join("; ", shapes);
        }
        for (Skipped s : skipped) {
            if (s.layer().equals(layer)) {
                reasons.add("skipped");
                return "skipped: " + s.reason();
            }
        }
        return "not a layer with parameters of the target network";
    }

    /** {@code name} and, for an image input, {@code " at HxWxC"}. */
    private static String describe(Backbone backbone) {
        InputType type = backbone.inputType();
        if (type instanceof InputType.InputTypeConvolutional c) {
            return String.format(Locale.ROOT, "%s at %dx%dx%d", backbone.name(), c.getHeight(), c.getWidth(),
                    c.getChannels());
        }
        return backbone.name() + " (input " + type + ")";
    }

    /**
     * A multi-line account for logs: one line with the copied layers and values, then each layer
     * missing in the source, each mis-shaped or absent parameter and each skipped layer on its own
     * line, the unused source entries, and the notes; empty categories are left out, and long lists
     * end with {@code "... and N more"} (the record's lists hold everything).
     */
    public String summary() {
        return summary(Set.of());
    }

    /**
     * {@link #summary()} for weights loaded into {@code model}: the layers missing in the source that
     * are not the backbone's (the heads, which no weights file holds) are named on one line of their
     * own, so that the lines about missing layers speak of the backbone only.
     */
    public String summary(EmbeddingModel model) {
        Objects.requireNonNull(model, "model");
        Set<String> backbone = Set.copyOf(model.backboneParameterLayers());
        Set<String> heads = new LinkedHashSet<>();
        missingInSource.stream().map(Missing::layer).filter(l -> !backbone.contains(l)).forEach(heads::add);
        return summary(heads);
    }

    private String summary(Set<String> expectedMissing) {
        int total = copied.size() + missingInSource.size() + mismatchedLayers().size() + skipped.size();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "copied %d of %d layers with parameters (%,d values)", copied.size(), total, copiedValues));
        if (!copied.isEmpty()) {
            sb.append(": ").append(limited(copied, SHOWN_NAMES, ", "));
        }
        if (!expectedMissing.isEmpty()) {
            sb.append("\nnot in the source, as expected: the heads' ").append(count(expectedMissing.size(), "layer"))
                    .append(": ").append(limited(List.copyOf(expectedMissing), SHOWN_NAMES, ", "));
        }
        List<Missing> missing = missingInSource.stream().filter(m -> !expectedMissing.contains(m.layer())).toList();
        lines(sb, "missing in the source (" + count(missing.size(), "layer") + ")", missing);
        lines(sb, "mis-shaped or absent (" + count(mismatchedLayers().size(), "layer") + ", "
                + count(shapeMismatches.size(), "parameter") + ")", shapeMismatches);
        lines(sb, "skipped (" + count(skipped.size(), "layer") + ")", skipped);
        if (!unusedSource.isEmpty()) {
            sb.append("\nunused in the source (").append(unusedSource.size()).append("): ")
                    .append(limited(unusedSource, SHOWN_NAMES, ", "));
        }
        lines(sb, "notes (" + notes.size() + ")", notes);
        return sb.toString();
    }

    private static void lines(StringBuilder sb, String title, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append('\n').append(title).append(':');
        items.stream().limit(SHOWN_ITEMS).forEach(i -> sb.append("\n  ").append(i));
        if (items.size() > SHOWN_ITEMS) {
            sb.append("\n  ... and ").append(items.size() - SHOWN_ITEMS).append(" more");
        }
    }

    /** {@code "1 layer"}, {@code "2 layers"}. */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** The first {@code max} items joined with {@code separator}, then {@code "... and N more"}. */
    static String limited(List<?> items, int max, String separator) {
        String shown = items.stream().limit(max).map(Object::toString).collect(Collectors.joining(separator));
        return items.size() > max ? shown + separator + "... and " + (items.size() - max) + " more" : shown;
    }

    /** One line of counts. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "WeightImportReport{copied %d layers (%d values), missing in source %s,"
                        + " mis-shaped %s, skipped %s, unused source %d, notes %d}", copied.size(), copiedValues,
                missingInSource.stream().map(Missing::layer).toList(), mismatchedLayers(),
                skipped.stream().map(Skipped::layer).toList(), unusedSource.size(), notes.size());
    }

    /**
     * A target layer with parameters for which the source has nothing.
     *
     * @param layer the target layer name
     * @param lookedFor what was looked for in the source: a source layer name, or tensor name patterns
     *     such as {@code conv1_7x7_s2.*}
     */
    public record Missing(String layer, List<String> lookedFor) {
        /** Copies the list. */
        public Missing {
            Objects.requireNonNull(layer, "layer");
            lookedFor = List.copyOf(lookedFor);
        }

        String lookedForText() {
            return "looked for " + quotedAlternatives(lookedFor);
        }

        @Override
        public String toString() {
            return layer + " (" + lookedForText() + ")";
        }
    }

    /**
     * A parameter that kept its layer from being copied: shaped differently in the source, or present
     * on one side only.
     *
     * @param layer the target layer name
     * @param parameter the parameter key, e.g. {@code "W"} (the target's key; the source's when only the
     *     source has it)
     * @param sourceNames the source entry compared, e.g. {@code "conv_1/W"} (source layer and key) or
     *     {@code "conv1_7x7_s2.weight"} (a tensor); when the source has none, every name looked for
     * @param expected the shape the source entry must have (in the source's layout: PyTorch's for a
     *     tensor, so a dense weight is {@code [out, in]}); empty if the target has no such parameter
     * @param found the source entry's shape; empty if the source has none
     */
    public record ShapeMismatch(String layer, String parameter, List<String> sourceNames, List<Long> expected,
                                List<Long> found) {
        /** Copies the lists. */
        public ShapeMismatch {
            Objects.requireNonNull(layer, "layer");
            Objects.requireNonNull(parameter, "parameter");
            sourceNames = List.copyOf(sourceNames);
            expected = List.copyOf(expected);
            found = List.copyOf(found);
        }

        /** The mismatch without the layer name, e.g. {@code W: source 'conv_1/W' is [2, 1, 3, 3], expected [2, 3, 3, 3]}. */
        String detail() {
            if (found.isEmpty()) {
                return parameter + ": no " + quotedAlternatives(sourceNames) + " in the source, expected " + expected;
            }
            if (expected.isEmpty()) {
                return parameter + ": source " + quotedAlternatives(sourceNames) + " is " + found
                        + ", the target layer has no such parameter";
            }
            return parameter + ": source " + quotedAlternatives(sourceNames) + " is " + found + ", expected " + expected;
        }

        @Override
        public String toString() {
            return layer + " " + detail();
        }
    }

    /**
     * A target layer with parameters that the import did not try.
     *
     * @param layer the target layer name
     * @param reason why, e.g. {@code "PReLULayer has no PyTorch mapping"}
     */
    public record Skipped(String layer, String reason) {
        /** Checks the fields. */
        public Skipped {
            Objects.requireNonNull(layer, "layer");
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String toString() {
            return layer + " (" + reason + ")";
        }
    }

    private static String quotedAlternatives(List<String> names) {
        return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(" or "));
    }
}
