package org.rll4j.app;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.loss.RankedListLoss;
import org.rll4j.loss.RankedListLossConfig;

/**
 * Entry point of the {@code ./rll} launcher.
 *
 * <p>The runner (training on the embedded emoji set with the DL4J training UI, evaluation, the
 * retrieval report) is issue #6 and is not built yet. Until then this checks that the ND4J backend
 * loads on this machine, evaluates the Ranked List Loss on the design doc's golden batch, and says
 * plainly that the main job is not available.
 */
public final class Main {

    private Main() {
    }

    /**
     * @param args ignored until the CLI lands
     */
    public static void main(String[] args) {
        System.out.println("rll4j " + version());
        System.out.println("ND4J backend: " + Nd4j.getBackend().getClass().getSimpleName()
                + ", BLAS threads: " + Nd4j.getEnvironment().maxMasterThreads());
        double[][] golden = new double[6][];
        double[] angles = {0, 30, 100, 180, 200, 270};
        for (int i = 0; i < 6; i++) {
            golden[i] = new double[] {Math.cos(Math.toRadians(angles[i])), Math.sin(Math.toRadians(angles[i]))};
        }
        double loss = RankedListLoss.create(RankedListLossConfig.paper(), DataType.DOUBLE)
                .mean(Nd4j.createFromArray(golden), Nd4j.createFromArray(new double[] {0, 0, 0, 1, 1, 2}).reshape(-1, 1));
        System.out.printf("Ranked List Loss on the design doc's golden batch (alpha 1.2, m 0.4, T_n 10): %.16f"
                + " (expected 0.2874261488343148)%n", loss);
        System.out.println();
        System.out.println("NOT AVAILABLE YET: the main job (train on the embedded emoji set with the DL4J training UI,");
        System.out.println("evaluate retrieval on unseen classes, write the report) is issue #6 and has not landed.");
        System.out.println("What works today, as libraries: the Ranked List Loss layer (rll-loss), the data pipeline");
        System.out.println("(rll-data), the model zoo (rll-models) and benchmarks (./rll bench); see README.md.");
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
