package org.rll4j.eval;

/**
 * How normalised mutual information divides {@code I(Y;C)}: by a mean of the two entropies
 * {@code H(Y)} (classes) and {@code H(C)} (clusters). The names and formulas are those of
 * scikit-learn's {@code normalized_mutual_info_score(average_method=...)}; the arithmetic mean is
 * scikit-learn's default and the one the deep-metric-learning literature reports (Strehl and Ghosh,
 * "Cluster ensembles", JMLR 2002, define NMI with the geometric mean).
 */
public enum NmiNormalization {
    /** {@code (H(Y) + H(C)) / 2}; the default. */
    ARITHMETIC("arithmetic", "(H(Y) + H(C)) / 2"),
    /** {@code sqrt(H(Y) H(C))} (Strehl and Ghosh 2002). */
    GEOMETRIC("geometric", "sqrt(H(Y) H(C))"),
    /** {@code min(H(Y), H(C))}. */
    MIN("min", "min(H(Y), H(C))"),
    /** {@code max(H(Y), H(C))}. */
    MAX("max", "max(H(Y), H(C))");

    private final String label;
    private final String formula;

    NmiNormalization(String label, String formula) {
        this.label = label;
        this.formula = formula;
    }

    /** @return the lower-case name used in metric names, e.g. "NMI (arithmetic)" */
    public String label() {
        return label;
    }

    /** @return the normaliser as a formula of the entropies, e.g. "(H(Y) + H(C)) / 2" */
    public String formula() {
        return formula;
    }

    /**
     * @param hY entropy of the classes
     * @param hC entropy of the clusters
     * @return the normaliser
     */
    public double normaliser(double hY, double hC) {
        return switch (this) {
            case ARITHMETIC -> (hY + hC) / 2;
            case GEOMETRIC -> Math.sqrt(hY * hC);
            case MIN -> Math.min(hY, hC);
            case MAX -> Math.max(hY, hC);
        };
    }

    /**
     * @param label "arithmetic", "geometric", "min" or "max" (case-insensitive)
     * @return the normalisation
     */
    public static NmiNormalization fromLabel(String label) {
        for (NmiNormalization n : values()) {
            if (n.label.equalsIgnoreCase(label)) {
                return n;
            }
        }
        throw new IllegalArgumentException("NMI normalisation must be one of arithmetic, geometric, min, max, found '"
                + label + "'");
    }
}
