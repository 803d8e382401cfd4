package org.rll4j.natives;

import java.util.Locale;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches on DL4J's fast paths, which DL4J 1.0.0-M2.1 leaves off: the oneDNN implementations of the
 * convolution, batch-norm, pooling and LRN layers on the CPU backend (3.3-3.7x faster training of
 * our small CNN; docs/performance.md).
 *
 * <p>Two things keep them off in M2.1, and {@link #enable()} undoes both:
 * <ol>
 *   <li>DL4J creates no layer helper at all unless the system property
 *       {@value #DL4J_HELPERS_DISABLE} is {@code false} (its default is {@code true});</li>
 *   <li>its oneDNN check looks up an ND4J class that M2.1 renamed; the stand-in
 *       {@code org.nd4j.nativeblas.Nd4jCpu} in this jar answers it (its comment names the bug).</li>
 * </ol>
 * It also needs the oneDNN build of nd4j-native (this module's default classifier,
 * {@code linux-x86_64-onednn-avx2}). Call it once at startup, before networks are created; layers
 * created before keep the plain path. {@code ./rll}, the benchmarks and the tests call it.
 *
 * <p>Switch: {@code -D}{@value #SWITCH}{@code =false} keeps DL4J's plain path (the same results within
 * float rounding; {@code FastPathsTest} states the tolerance). On the CUDA backend, DL4J M2.1's cuDNN
 * layer helpers live in {@code deeplearning4j-cuda-11.6}, which is not published for M2.x, so layers
 * run DL4J's own CUDA path; {@link #enable()} says so.
 *
 * <p>If a later DL4J changes these internals, {@link #enable()} logs one warning and layers keep the
 * plain path: results stay right, only slower.
 *
 * <p>One DL4J 1.0.0-M2.1 helper bug to know: the oneDNN pooling helper back-propagates an average
 * pooling layer that has padding as if the padding were excluded from the divisor, also when the layer
 * says {@code avgPoolIncludePadInDivisor(true)} (its forward pass is right). rll4j's models pad such
 * layers explicitly (a {@code ZeroPaddingLayer}, then an unpadded average pooling: the same numbers);
 * do the same in your own networks, or use {@code avgPoolIncludePadInDivisor(false)}, which the helper
 * gets right.
 */
public final class FastPaths {

    /** The DL4J system property that gates every layer helper (oneDNN and cuDNN). */
    public static final String DL4J_HELPERS_DISABLE = "org.eclipse.deeplearning4j.helpers.disable";
    /** rll4j's switch: {@code false} keeps DL4J's plain path. */
    public static final String SWITCH = "rll4j.fastPaths";

    private static final Logger log = LoggerFactory.getLogger(FastPaths.class);
    private static volatile Status status;

    /** What {@link #enable()} found. */
    public enum Kind {
        /** oneDNN runs the convolution, batch-norm and pooling layers. */
        ONEDNN,
        /** Turned off with {@code -Drll4j.fastPaths=false}: DL4J's plain path. */
        OFF,
        /** On a backend or build where the layer helpers cannot run (the reason says which). */
        UNAVAILABLE
    }

    /**
     * @param kind what runs
     * @param detail one line for the log: the backend, the build, and why
     */
    public record Status(Kind kind, String detail) {
    }

    private FastPaths() {
    }

    /**
     * Switches the fast paths on (once per JVM; later calls return the first status) and logs one line
     * that says what runs.
     */
    public static synchronized Status enable() {
        if (status == null) {
            status = decide();
            if (status.kind() == Kind.UNAVAILABLE) {
                log.warn("DL4J fast paths: {}", status.detail());
            } else {
                log.info("DL4J fast paths: {}", status.detail());
            }
        }
        return status;
    }

    /**
     * Builds something (a network) with DL4J's layer helpers on or off, whatever the process-wide
     * setting, and restores that setting: DL4J decides per layer when the layer is created. For
     * comparing the two paths (tests, benchmarks) or keeping one network on the plain path.
     *
     * @param helpers whether the layers created by {@code build} get DL4J's helpers (oneDNN ones need
     *                {@link #enable()} to have found them usable)
     * @param build creates the network
     * @return what {@code build} returned
     */
    public static <T> T building(boolean helpers, java.util.function.Supplier<T> build) {
        synchronized (FastPaths.class) {
            String before = System.getProperty(DL4J_HELPERS_DISABLE);
            System.setProperty(DL4J_HELPERS_DISABLE, String.valueOf(!helpers));
            try {
                return build.get();
            } finally {
                if (before == null) {
                    System.clearProperty(DL4J_HELPERS_DISABLE);
                } else {
                    System.setProperty(DL4J_HELPERS_DISABLE, before);
                }
            }
        }
    }

    /** The decision itself, without the once-per-JVM caching of {@link #enable()} (for tests). */
    static Status decide() {
        if ("false".equalsIgnoreCase(System.getProperty(SWITCH, "true").trim())) {
            System.setProperty(DL4J_HELPERS_DISABLE, "true");
            return new Status(Kind.OFF, "off (-D" + SWITCH + "=false): layers run DL4J's plain path");
        }
        String backend = String.valueOf(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"));
        if (!"CPU".equalsIgnoreCase(backend)) {
            return new Status(Kind.UNAVAILABLE, String.format(Locale.ROOT, "backend %s: DL4J 1.0.0-M2.1's cuDNN layer helpers "
                    + "(deeplearning4j-cuda-11.6) are not published for M2.x, so layers run DL4J's own CUDA path; "
                    + "SameDiff ops use cuDNN through the nd4j-cuda cudnn build", backend));
        }
        if (!org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN()) {
            return new Status(Kind.UNAVAILABLE, "the nd4j-native build on the class path has no oneDNN (use the classifier "
                    + "linux-x86_64-onednn-avx2, -onednn-avx512 or -onednn): layers run DL4J's plain path");
        }
        System.setProperty(DL4J_HELPERS_DISABLE, "false");
        String probe = probe();
        if (probe != null) {
            System.setProperty(DL4J_HELPERS_DISABLE, "true");
            return new Status(Kind.UNAVAILABLE, "this DL4J version did not create a oneDNN helper for a convolution layer ("
                    + probe + "); layers run DL4J's plain path. The workaround in org.rll4j.natives.FastPaths was written for "
                    + "DL4J 1.0.0-M2.1");
        }
        return new Status(Kind.ONEDNN, "oneDNN runs convolution, batch-norm, pooling and LRN layers (CPU backend, "
                + "oneDNN build; -D" + SWITCH + "=false for DL4J's plain path)");
    }

    /** Builds a one-convolution network and checks that DL4J gave its layer a oneDNN helper; null when it did. */
    private static String probe() {
        try {
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(2).convolutionMode(ConvolutionMode.Same).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(1).build())
                    .setInputType(InputType.convolutional(4, 4, 1)).build());
            net.init();
            Object helper = net.getLayer(0).getHelper();
            return helper == null ? "no helper" : helper.getClass().getSimpleName().startsWith("MKLDNN") ? null
                    : "helper " + helper.getClass().getName();
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }
}
