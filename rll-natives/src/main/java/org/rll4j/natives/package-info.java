/**
 * The native side of rll4j: {@link org.rll4j.natives.FastPaths} switches on DL4J's oneDNN layer
 * helpers (off in DL4J 1.0.0-M2.1). The module's pom picks the ND4J backend and its native build
 * (the oneDNN build of nd4j-native for Linux x86-64 by default, nd4j-cuda's cuDNN build with -Dcuda).
 */
package org.rll4j.natives;
