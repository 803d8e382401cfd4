package org.rll4j.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.Activation;

/**
 * BN-Inception (GoogLeNet V2), the backbone of the Ranked List Loss paper, built from plain DL4J
 * layers under the layer names of the widely shared BN-Inception Caffe prototxt and its PyTorch port.
 *
 * <p>Paper: S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by
 * Reducing Internal Covariate Shift", ICML 2015 (arXiv:1502.03167), appendix figure 5; the layer
 * sizes follow the released Caffe model (Xiong's {@code bn_inception} prototxt, ported to PyTorch as
 * {@code pretrainedmodels.bninception}), whose pretrained ImageNet weights the RLL paper fine-tunes.
 * Use it for paper-faithful RLL runs; it is about 2 GFLOP per 224x224 image, so on a CPU prefer
 * small inputs for smoke tests.
 *
 * <h2>Architecture (channels out, spatial size at the default 227x227 input)</h2>
 * <pre>
 *   conv1/7x7_s2      7x7/2 pad 3, 64            114x114
 *   pool1/3x3_s2      max 3x3/2 (ceil mode)       57x57
 *   conv2/3x3_reduce  1x1, 64                     57x57
 *   conv2/3x3         3x3 pad 1, 192              57x57
 *   pool2/3x3_s2      max 3x3/2 (ceil mode)       28x28
 *   block   in    1x1  3x3red 3x3  d3x3red d3x3  pool         out
 *   3a      192   64   64     64   64      96    avg + 32     256   28x28
 *   3b      256   64   64     96   64      96    avg + 64     320   28x28
 *   3c      320   -    128    160* 64      96*   max/2 pass   576   14x14
 *   4a      576   224  64     96   96      128   avg + 128    576   14x14
 *   4b      576   192  96     128  96      128   avg + 128    576   14x14
 *   4c      576   160  128    160  128     160   avg + 128    608   14x14
 *   4d      608   96   128    192  160     192   avg + 128    608   14x14
 *   4e      608   -    128    192* 192     256*  max/2 pass  1056    7x7
 *   5a     1056   352  192    320  160     224   avg + 128   1024    7x7
 *   5b     1024   352  192    320  192     224   max + 128   1024    7x7
 *   (* stride 2; "d3x3" is the double_3x3_1 / double_3x3_2 pair; "pass" = pooled input, no projection)
 * </pre>
 * Each block concatenates, in this order, {@code 1x1}, {@code 3x3}, {@code double_3x3_2} and
 * {@code pool_proj} (or the pooled input in the reduction blocks 3c and 4e) into the MergeVertex
 * {@code inception_XX/output}. Note that 4c/4d output 608 channels and 4e 1056 (not 576/1024 as some
 * summaries state). Global pooling and the 1000-way classifier of the published model are
 * <em>not</em> part of the backbone: heads attach to {@link #addTo}'s {@link Stages} (low =
 * {@code inception_3c/output}, mid = {@code inception_4e/output}, high = {@code inception_5b/output}).
 *
 * <h2>Layer names</h2>
 * Every convolution {@code C} (e.g. {@code conv1/7x7_s2}, {@code inception_3a/double_3x3_1}) is a
 * {@link ConvolutionLayer} with bias named {@code C}, followed by a {@link BatchNormalization} named
 * {@code C_bn} and an {@link ActivationLayer} (ReLU) named {@code C_relu}. ReLU is a separate layer
 * because DL4J's BatchNormalization layer ignores its activation function (M2.1 applies none); the
 * Caffe model names these {@code conv1/relu_7x7}, {@code inception_3a/relu_1x1}, ... and they carry no
 * parameters. In inference DL4J's ActivationLayer applies the ReLU in place on its input, so
 * {@code feedForward(x, false)} reports a {@code C_bn} vertex's output after the ReLU (harmless here:
 * each {@code C_bn} feeds only its {@code C_relu}). Pooling layers: {@code pool1/3x3_s2}, {@code pool2/3x3_s2}, {@code inception_XX/pool} (with
 * {@code inception_XX/pool_pad} before the average ones).
 * See {@link #vertexNames()} and {@link #parameterLayerNames()}; weights exported from the PyTorch
 * port load with {@link NpzWeightImporter}.
 *
 * <h2>Numerics that match the published model</h2>
 * <ul>
 *   <li>Stride-2 max pooling uses Caffe's ceil mode ({@code out = ceil((in - 3) / 2) + 1}). When the
 *       last window overhangs the bottom/right edge, DL4J's {@code Same} mode is used (its padding puts
 *       the extra pixel at the bottom/right); when only one of height/width overhangs, a
 *       {@link ZeroPaddingLayer} named {@code <pool>_pad} pads that side by one. Pooled inputs are ReLU
 *       outputs or concatenations of them (&gt;= 0), so a zero never changes a maximum.</li>
 *   <li>Average pooling (3x3, stride 1, pad 1) divides by 9 including padding, as Caffe and the port
 *       ({@code count_include_pad=True}) do: a {@link ZeroPaddingLayer} {@code inception_XX/pool_pad}
 *       pads by one, then {@code inception_XX/pool} averages without padding. (A padded average
 *       pooling layer with {@code avgPoolIncludePadInDivisor(true)} computes the same forward, but DL4J
 *       1.0.0-M2.1's oneDNN pooling helper back-propagates it as if the padding were excluded from the
 *       divisor: wrong gradients near the borders when the fast paths are on.)</li>
 *   <li>BatchNormalization: eps 1e-5 (default), decay 0.9 (default), and the global variance is stored
 *       directly as parameter {@code var} ({@code useLogStd(false)}), so PyTorch's
 *       {@code running_var} maps one to one.</li>
 * </ul>
 *
 * <h2>Input size</h2>
 * Default {@code 227x227x3} (the paper's crop). Other sizes are accepted when the published network is
 * defined for them: the 3c and 4e reduction blocks concatenate a stride-2 convolution
 * ({@code floor((n - 1) / 2) + 1}) with a ceil-mode max pool ({@code ceil((n - 3) / 2) + 1}); the two
 * agree only when {@code n} is even, and the pool needs {@code n >= 3}. Hence the map entering 3c must
 * be a multiple of 4 and at least 8, which holds for heights/widths {@code 32m - 1 .. 32m + 6},
 * {@code m >= 2}: 63..70, 95..102, 127..134, ..., 223..230 (224 and 227 included). The smallest is 63
 * (final map 2x2). Invalid sizes fail in {@link Builder#build()} with the nearest valid sizes.
 *
 * <h2>Global settings</h2>
 * The backbone fixes kernel, stride, padding, convolution mode, activations, nIn/nOut and the BN
 * settings above. Updater, weight init, regularisation, data type and dropout come from the graph's
 * global configuration; do not set a global dropout (it would apply to every convolution input).
 * Call {@code graph.setInputTypes(backbone.inputType())} so that DL4J validates shapes and heads
 * infer their input size.
 *
 * <p>Parameters: 10,290,272 DL4J parameters (69 convolutions with bias: 10,250,208; 69 BN layers:
 * 10,016 channels x gamma, beta, mean, var = 40,064), independent of the input size. Counted as
 * PyTorch counts trainable parameters (BN running statistics excluded) that is 10,270,240, and with
 * the published 1024x1000 classifier 11,295,240, the "11.3M" of the published model.
 *
 * <pre>
 * BnInception backbone = BnInception.builder().inputSize(227, 227).build();
 * ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
 *         .updater(new Adam(1e-4)).graphBuilder().addInputs("input");
 * Backbone.Stages stages = backbone.addTo(g, "input");
 * g.addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), stages.high());
 * </pre>
 */
public final class BnInception implements Backbone {

    /** Default input height and width (the paper's crop). */
    public static final int DEFAULT_INPUT_SIZE = 227;
    /** Smallest input height/width for which the network is defined (final map 2x2). */
    public static final int MIN_INPUT_SIZE = 63;
    /** Default BatchNormalization epsilon (DL4J and PyTorch default; the published model's value). */
    public static final double DEFAULT_BN_EPS = 1e-5;
    /** Default BatchNormalization decay of the global statistics (DL4J default). */
    public static final double DEFAULT_BN_DECAY = 0.9;

    /** Vertex holding the low-level stage output (576 channels, input / 16). */
    public static final String LOW = "inception_3c/output";
    /** Vertex holding the mid-level stage output (1056 channels, input / 32). */
    public static final String MID = "inception_4e/output";
    /** Vertex holding the high-level stage output (1024 channels, input / 32). */
    public static final String HIGH = "inception_5b/output";

    private static final String STEM_OUT = "pool2/3x3_s2";

    /** Channel counts of one Inception block; 0 marks an absent branch. */
    private record Block(String name, int n1x1, int n3x3Reduce, int n3x3, int nDoubleReduce, int nDouble,
                         int poolProj, PoolingType poolType, boolean reduction) {
        int outChannels(int in) {
            return n1x1 + n3x3 + nDouble + (reduction ? in : poolProj);
        }
    }

    private static final List<Block> BLOCKS = List.of(
            new Block("inception_3a", 64, 64, 64, 64, 96, 32, PoolingType.AVG, false),
            new Block("inception_3b", 64, 64, 96, 64, 96, 64, PoolingType.AVG, false),
            new Block("inception_3c", 0, 128, 160, 64, 96, 0, PoolingType.MAX, true),
            new Block("inception_4a", 224, 64, 96, 96, 128, 128, PoolingType.AVG, false),
            new Block("inception_4b", 192, 96, 128, 96, 128, 128, PoolingType.AVG, false),
            new Block("inception_4c", 160, 128, 160, 128, 160, 128, PoolingType.AVG, false),
            new Block("inception_4d", 96, 128, 192, 160, 192, 128, PoolingType.AVG, false),
            new Block("inception_4e", 0, 128, 192, 192, 256, 0, PoolingType.MAX, true),
            new Block("inception_5a", 352, 192, 320, 160, 224, 128, PoolingType.AVG, false),
            new Block("inception_5b", 352, 192, 320, 192, 224, 128, PoolingType.MAX, false));

    /**
     * Shape of one feature map (per example, NCHW).
     *
     * @param channels number of channels
     * @param height   map height
     * @param width    map width
     */
    public record FeatureMap(int channels, int height, int width) {
    }

    private final int inputHeight;
    private final int inputWidth;
    private final int channels;
    private final double bnEps;
    private final double bnDecay;

    private BnInception(Builder b) {
        this.inputHeight = b.inputHeight;
        this.inputWidth = b.inputWidth;
        this.channels = b.channels;
        this.bnEps = b.bnEps;
        this.bnDecay = b.bnDecay;
    }

    /** The default backbone: 227x227 RGB input, BN eps 1e-5, decay 0.9. */
    public static BnInception create() {
        return builder().build();
    }

    /** A builder initialised with the defaults of {@link #create()}; every setter is optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised with this backbone's settings. */
    public Builder toBuilder() {
        return new Builder().inputSize(inputHeight, inputWidth).channels(channels).bnEps(bnEps).bnDecay(bnDecay);
    }

    @Override
    public String name() {
        return "bn-inception";
    }

    @Override
    public InputType inputType() {
        return InputType.convolutional(inputHeight, inputWidth, channels);
    }

    /** Input height in pixels. */
    public int inputHeight() {
        return inputHeight;
    }

    /** Input width in pixels. */
    public int inputWidth() {
        return inputWidth;
    }

    /** Number of input channels (3 for the published weights). */
    public int channels() {
        return channels;
    }

    /** BatchNormalization epsilon. */
    public double bnEps() {
        return bnEps;
    }

    /** BatchNormalization decay of the global mean/variance estimates. */
    public double bnDecay() {
        return bnDecay;
    }

    /**
     * Adds the backbone's 229+ vertices (more when a ceil-mode pool needs a {@code _pad} vertex) to
     * {@code graph}, reading from {@code input}.
     *
     * @throws IllegalArgumentException if {@code input} is not a network input or vertex of the graph,
     *                                  or if one of the backbone's vertex names is already taken (a
     *                                  backbone can be added once per graph)
     */
    @Override
    public Stages addTo(ComputationGraphConfiguration.GraphBuilder graph, String input) {
        Objects.requireNonNull(graph, "graph");
        if (input == null || !(graph.getNetworkInputs().contains(input) || graph.getVertices().containsKey(input))) {
            throw new IllegalArgumentException("input must be a network input or vertex of the graph "
                    + graph.getNetworkInputs() + ", found " + input + "; call addInputs(\"" + input + "\") first");
        }
        for (String name : vertexNames()) {
            if (graph.getVertices().containsKey(name) || graph.getNetworkInputs().contains(name)) {
                throw new IllegalArgumentException("vertex names of bn-inception must be unused in the graph, found '"
                        + name + "' already present (the backbone can be added once per graph)");
            }
        }
        define(new Sink() {
            @Override
            public void layer(String name, Layer layer, String in) {
                graph.addLayer(name, layer, in);
            }

            @Override
            public void vertex(String name, GraphVertex vertex, String... in) {
                graph.addVertex(name, vertex, in);
            }
        }, input);
        return new Stages(LOW, MID, HIGH);
    }

    /** Names of all vertices {@link #addTo} adds, in the order it adds them. */
    public List<String> vertexNames() {
        List<String> names = new ArrayList<>();
        define(new Sink() {
            @Override
            public void layer(String name, Layer layer, String in) {
                names.add(name);
            }

            @Override
            public void vertex(String name, GraphVertex vertex, String... in) {
                names.add(name);
            }
        }, "input");
        return Collections.unmodifiableList(names);
    }

    /**
     * Names of the layers that hold parameters (the 69 convolutions and their 69 BatchNormalization
     * layers), in graph order: the scope to pass to {@link NpzWeightImporter.Builder#layers}.
     */
    public List<String> parameterLayerNames() {
        List<String> names = new ArrayList<>();
        define(new Sink() {
            @Override
            public void layer(String name, Layer layer, String in) {
                if (layer instanceof ConvolutionLayer || layer instanceof BatchNormalization) {
                    names.add(name);
                }
            }

            @Override
            public void vertex(String name, GraphVertex vertex, String... in) {
                // merge vertices hold no parameters
            }
        }, "input");
        return Collections.unmodifiableList(names);
    }

    /**
     * Shapes of the ten block outputs ({@code inception_3a/output} .. {@code inception_5b/output}) at
     * this backbone's input size, in graph order.
     */
    public Map<String, FeatureMap> blockOutputs() {
        Map<String, FeatureMap> out = new LinkedHashMap<>();
        int h = stemOutput(inputHeight);
        int w = stemOutput(inputWidth);
        int c = 192;
        for (Block b : BLOCKS) {
            c = b.outChannels(c);
            if (b.reduction()) {
                h /= 2;
                w /= 2;
            }
            out.put(b.name() + "/output", new FeatureMap(c, h, w));
        }
        return Collections.unmodifiableMap(out);
    }

    // ---------------------------------------------------------------------------------------------
    // graph definition

    private interface Sink {
        void layer(String name, Layer layer, String input);

        void vertex(String name, GraphVertex vertex, String... inputs);
    }

    private void define(Sink sink, String input) {
        int h = convOut(inputHeight, 7, 2, 3);
        int w = convOut(inputWidth, 7, 2, 3);
        String x = convBnRelu(sink, "conv1/7x7_s2", input, channels, 64, 7, 2, 3);
        x = ceilModeMaxPool(sink, "pool1/3x3_s2", x, h, w);
        h = ceilPoolOut(h);
        w = ceilPoolOut(w);
        x = convBnRelu(sink, "conv2/3x3_reduce", x, 64, 64, 1, 1, 0);
        x = convBnRelu(sink, "conv2/3x3", x, 64, 192, 3, 1, 1);
        x = ceilModeMaxPool(sink, STEM_OUT, x, h, w);
        h = ceilPoolOut(h);
        w = ceilPoolOut(w);
        int c = 192;
        for (Block b : BLOCKS) {
            x = block(sink, b, x, c, h, w);
            c = b.outChannels(c);
            if (b.reduction()) {
                h /= 2;
                w /= 2;
            }
        }
    }

    private String block(Sink sink, Block b, String in, int inChannels, int h, int w) {
        String p = b.name() + "/";
        int stride = b.reduction() ? 2 : 1;
        List<String> branches = new ArrayList<>(4);
        if (b.n1x1() > 0) {
            branches.add(convBnRelu(sink, p + "1x1", in, inChannels, b.n1x1(), 1, 1, 0));
        }
        String t = convBnRelu(sink, p + "3x3_reduce", in, inChannels, b.n3x3Reduce(), 1, 1, 0);
        branches.add(convBnRelu(sink, p + "3x3", t, b.n3x3Reduce(), b.n3x3(), 3, stride, 1));
        String d = convBnRelu(sink, p + "double_3x3_reduce", in, inChannels, b.nDoubleReduce(), 1, 1, 0);
        d = convBnRelu(sink, p + "double_3x3_1", d, b.nDoubleReduce(), b.nDouble(), 3, 1, 1);
        branches.add(convBnRelu(sink, p + "double_3x3_2", d, b.nDouble(), b.nDouble(), 3, stride, 1));
        if (b.reduction()) {
            branches.add(ceilModeMaxPool(sink, p + "pool", in, h, w));
        } else {
            if (b.poolType() == PoolingType.AVG) {
                // Caffe's include-pad average as zero padding + an unpadded average (divisor 9 everywhere):
                // the same numbers, and a backward pass DL4J M2.1's oneDNN pooling helper gets right (with
                // padding it back-propagates as if the padding were excluded; see the class comment)
                sink.layer(p + "pool_pad", new ZeroPaddingLayer.Builder(1, 1, 1, 1).build(), in);
                sink.layer(p + "pool", new SubsamplingLayer.Builder(PoolingType.AVG, new int[] {3, 3}, new int[] {1, 1},
                        new int[] {0, 0}).convolutionMode(ConvolutionMode.Truncate).build(), p + "pool_pad");
            } else {
                sink.layer(p + "pool", new SubsamplingLayer.Builder(b.poolType(), new int[] {3, 3}, new int[] {1, 1},
                        new int[] {1, 1}).convolutionMode(ConvolutionMode.Truncate).build(), in);
            }
            branches.add(convBnRelu(sink, p + "pool_proj", p + "pool", inChannels, b.poolProj(), 1, 1, 0));
        }
        sink.vertex(p + "output", new MergeVertex(), branches.toArray(new String[0]));
        return p + "output";
    }

    private String convBnRelu(Sink sink, String name, String in, int nIn, int nOut, int kernel, int stride, int pad) {
        sink.layer(name, new ConvolutionLayer.Builder(new int[] {kernel, kernel}, new int[] {stride, stride},
                new int[] {pad, pad})
                .convolutionMode(ConvolutionMode.Truncate)
                .nIn(nIn).nOut(nOut)
                .hasBias(true)
                .activation(Activation.IDENTITY)
                .build(), in);
        sink.layer(name + "_bn", new BatchNormalization.Builder()
                .nIn(nOut).nOut(nOut)
                .eps(bnEps).decay(bnDecay)
                .useLogStd(false)
                .activation(Activation.IDENTITY)
                .build(), name);
        sink.layer(name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name + "_bn");
        return name + "_relu";
    }

    /**
     * Caffe ceil-mode 3x3 stride-2 max pool of an {@code h x w} map. Overhang 1 on a side means the
     * last window covers one pixel past the edge.
     */
    private static String ceilModeMaxPool(Sink sink, String name, String in, int h, int w) {
        boolean overhangH = (h - 3) % 2 != 0;
        boolean overhangW = (w - 3) % 2 != 0;
        ConvolutionMode mode;
        String poolIn = in;
        if (overhangH == overhangW) {
            mode = overhangH ? ConvolutionMode.Same : ConvolutionMode.Truncate;
        } else {
            poolIn = name + "_pad";
            sink.layer(poolIn, new ZeroPaddingLayer.Builder(0, overhangH ? 1 : 0, 0, overhangW ? 1 : 0).build(), in);
            mode = ConvolutionMode.Truncate;
        }
        sink.layer(name, new SubsamplingLayer.Builder(PoolingType.MAX, new int[] {3, 3}, new int[] {2, 2}, new int[] {0, 0})
                .convolutionMode(mode)
                .build(), poolIn);
        return name;
    }

    // ---------------------------------------------------------------------------------------------
    // size arithmetic (Caffe semantics)

    private static int convOut(int in, int kernel, int stride, int pad) {
        return Math.floorDiv(in + 2 * pad - kernel, stride) + 1;
    }

    /** Caffe ceil-mode 3x3 stride-2 pooling output; 0 when the input is smaller than the kernel. */
    private static int ceilPoolOut(int in) {
        return in < 3 ? 0 : (in - 3 + 1) / 2 + 1;
    }

    /** Size of the map entering inception_3a ({@code pool2/3x3_s2}), or 0 if undefined. */
    private static int stemOutput(int in) {
        return in < 1 ? 0 : ceilPoolOut(ceilPoolOut(convOut(in, 7, 2, 3)));
    }

    /**
     * Whether the published network is defined for an input height or width of {@code size}: the map
     * entering inception_3c must be a multiple of 4 and at least 8 (see the class javadoc).
     */
    public static boolean isValidInputSize(int size) {
        int s = stemOutput(size);
        return s >= 8 && s % 4 == 0;
    }

    private static void validateSize(String what, int size) {
        if (isValidInputSize(size)) {
            return;
        }
        StringBuilder msg = new StringBuilder(String.format(Locale.ROOT,
                "%s must be in 32m-1..32m+6 for some m >= 2 (63..70, 95..102, ..., 223..230; the map entering"
                        + " inception_3c must be a multiple of 4 and >= 8 so that the stride-2 convolutions and"
                        + " ceil-mode pools of 3c/4e agree), found %d", what, size));
        int below = size - 1;
        while (below >= MIN_INPUT_SIZE && !isValidInputSize(below)) {
            below--;
        }
        int above = Math.max(size + 1, MIN_INPUT_SIZE);
        while (!isValidInputSize(above)) {
            above++;
        }
        msg.append("; nearest valid: ");
        if (below >= MIN_INPUT_SIZE) {
            msg.append(below).append(" or ");
        }
        msg.append(above);
        throw new IllegalArgumentException(msg.toString());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof BnInception)) {
            return false;
        }
        BnInception b = (BnInception) o;
        return inputHeight == b.inputHeight && inputWidth == b.inputWidth && channels == b.channels
                && Double.compare(bnEps, b.bnEps) == 0 && Double.compare(bnDecay, b.bnDecay) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputHeight, inputWidth, channels, bnEps, bnDecay);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "BnInception{input=%dx%dx%d, bnEps=%s, bnDecay=%s}",
                inputHeight, inputWidth, channels, bnEps, bnDecay);
    }

    /**
     * Builder for {@link BnInception}; all settings are optional and {@link #build()} validates them.
     */
    public static final class Builder {
        private int inputHeight = DEFAULT_INPUT_SIZE;
        private int inputWidth = DEFAULT_INPUT_SIZE;
        private int channels = 3;
        private double bnEps = DEFAULT_BN_EPS;
        private double bnDecay = DEFAULT_BN_DECAY;

        private Builder() {
        }

        /** Input height and width (default 227x227); see the class javadoc for the valid sizes. */
        public Builder inputSize(int height, int width) {
            this.inputHeight = height;
            this.inputWidth = width;
            return this;
        }

        /** Number of input channels (default 3; the published weights need 3). */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** BatchNormalization epsilon (default 1e-5). */
        public Builder bnEps(double bnEps) {
            this.bnEps = bnEps;
            return this;
        }

        /** BatchNormalization decay of the global statistics (default 0.9). */
        public Builder bnDecay(double bnDecay) {
            this.bnDecay = bnDecay;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException e.g. {@code "inputHeight must be in 32m-1..32m+6 ..., found 80;
         *                                  nearest valid: 70 or 95"}
         */
        public BnInception build() {
            validateSize("inputHeight", inputHeight);
            validateSize("inputWidth", inputWidth);
            if (channels < 1) {
                throw new IllegalArgumentException("channels must be >= 1, found " + channels);
            }
            if (!(bnEps > 0) || !Double.isFinite(bnEps)) {
                throw new IllegalArgumentException("bnEps must be finite and > 0, found " + bnEps);
            }
            if (!(bnDecay >= 0 && bnDecay < 1)) {
                throw new IllegalArgumentException("bnDecay must be in [0, 1), found " + bnDecay);
            }
            return new BnInception(this);
        }
    }
}
