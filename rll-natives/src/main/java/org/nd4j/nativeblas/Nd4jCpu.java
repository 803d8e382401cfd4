package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * A stand-in for a class DL4J 1.0.0-M2.1 looks for and ND4J 1.0.0-M2.1 no longer has; part of
 * rll4j's {@code org.rll4j.natives.FastPaths}, not an ND4J class.
 *
 * <p>The DL4J bug it works around: {@code org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled()}
 * (deeplearning4j-nn 1.0.0-M2.1) decides whether the oneDNN layer helpers may run by loading
 * {@code org.nd4j.nativeblas.Nd4jCpu$Environment} and calling {@code getInstance().isUseMKLDNN()}. ND4J
 * M2.1 moved that class to {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and
 * renamed the method {@code isUseONEDNN()}, so the lookup fails, DL4J logs "Cannot find class" and
 * every convolution, batch-norm and pooling layer runs without oneDNN, even on the oneDNN build of
 * nd4j-native. This class answers the old lookup by asking the new one. It holds no state and
 * changes nothing in ND4J; where ND4J's class is absent (the CUDA backend) it answers false.
 * Check it against each DL4J upgrade: {@code FastPathsTest} fails when the helpers stop being created.
 */
public final class Nd4jCpu {

    private Nd4jCpu() {
    }

    /** The old name of ND4J's native environment, as {@code BaseMKLDNNHelper} looks it up. */
    public static final class Environment {

        private static final String CURRENT = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        /** The one instance (DL4J calls this reflectively). */
        public static Environment getInstance() {
            return INSTANCE;
        }

        /**
         * Whether ND4J's native library was built with oneDNN and uses it: ND4J M2.1's
         * {@code Nd4jCpu.Environment.getInstance().isUseONEDNN()}; false when that class is missing.
         */
        public boolean isUseMKLDNN() {
            try {
                Class<?> c = Class.forName(CURRENT);
                Object env = c.getMethod("getInstance").invoke(null);
                Method m = c.getMethod("isUseONEDNN");
                return (Boolean) m.invoke(env);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                return false;
            }
        }
    }
}
