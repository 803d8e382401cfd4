package org.rll4j.loss;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Creates a SameDiff gradient function outside DL4J workspaces and without the line per op that
 * ND4J 1.0.0-M2.1 prints to {@code System.out} while doing so ("Added differentiated op ...", about a hundred
 * lines for the loss). Only those lines are dropped; anything else printed meanwhile (by other threads)
 * passes through. Used by {@link SameDiffRankedListLossLayer} and the tests.
 */
final class GradFunctions {

    private static final String NOISE = "Added differentiated op ";

    private GradFunctions() {
    }

    static synchronized void create(SameDiff sd, String... variables) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
            }
        }, true, Charset.defaultCharset()) {
            @Override
            public void println(String line) {
                if (line == null || !line.startsWith(NOISE)) {
                    original.println(line);
                }
            }
        });
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            if (variables.length == 0) {
                sd.createGradFunction();
            } else {
                sd.createGradFunction(variables);
            }
        } finally {
            System.setOut(original);
        }
    }
}
