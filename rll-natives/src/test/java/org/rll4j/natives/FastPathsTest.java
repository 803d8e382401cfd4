package org.rll4j.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The switch and the decision of {@link FastPaths}, on this module's default build (nd4j-native onednn-avx2). */
class FastPathsTest {

    private String helpers;
    private String fastPaths;

    @BeforeEach
    void remember() {
        helpers = System.getProperty(FastPaths.DL4J_HELPERS_DISABLE);
        fastPaths = System.getProperty(FastPaths.SWITCH);
    }

    @AfterEach
    void restore() {
        set(FastPaths.DL4J_HELPERS_DISABLE, helpers);
        set(FastPaths.SWITCH, fastPaths);
    }

    private static void set(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void theOneDnnBuildRunsTheHelpersAndTheStandInAnswersDl4jsLookup() {
        System.clearProperty(FastPaths.SWITCH);
        System.clearProperty(FastPaths.DL4J_HELPERS_DISABLE);
        assertTrue(org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN(), "the oneDNN build is on the class path");
        FastPaths.Status s = FastPaths.decide();
        assertEquals(FastPaths.Kind.ONEDNN, s.kind(), s.detail());
        assertEquals("false", System.getProperty(FastPaths.DL4J_HELPERS_DISABLE));
        assertTrue(org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper.mklDnnEnabled(), "DL4J's own check now passes");
        assertSame(FastPaths.enable(), FastPaths.enable(), "decided once per JVM");
    }

    @Test
    void buildingSetsTheGateForOneBuildAndRestoresIt() {
        System.setProperty(FastPaths.DL4J_HELPERS_DISABLE, "false");
        assertEquals("true", FastPaths.building(false, () -> System.getProperty(FastPaths.DL4J_HELPERS_DISABLE)));
        assertEquals("false", System.getProperty(FastPaths.DL4J_HELPERS_DISABLE));
        System.clearProperty(FastPaths.DL4J_HELPERS_DISABLE);
        assertEquals("false", FastPaths.building(true, () -> System.getProperty(FastPaths.DL4J_HELPERS_DISABLE)));
        assertEquals(null, System.getProperty(FastPaths.DL4J_HELPERS_DISABLE));
    }

    @Test
    void theSwitchKeepsDl4jsPlainPath() {
        System.setProperty(FastPaths.SWITCH, "false");
        FastPaths.Status s = FastPaths.decide();
        assertEquals(FastPaths.Kind.OFF, s.kind());
        assertEquals("off (-Drll4j.fastPaths=false): layers run DL4J's plain path", s.detail());
        assertEquals("true", System.getProperty(FastPaths.DL4J_HELPERS_DISABLE), "DL4J creates no helper");
    }
}
