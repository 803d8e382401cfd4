package org.rll4j.listeners;

/**
 * Training diverged: the loss became NaN or infinite, or grew far beyond what the loss can reach. Thrown by
 * {@link DivergenceGuardListener} out of DL4J's {@code fit}; the message names the iteration, what went wrong
 * (the loss) and what to try. The rll4j runner maps it to exit code 4.
 */
public class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final long iteration;
    private final String problem;

    /**
     * @param iteration the training iteration at which it diverged, counted from 1
     * @param problem what went wrong, e.g. {@code "the loss is NaN"}
     * @param message the whole message: the iteration, the problem and what to try
     * @param cause the underlying error, or null
     */
    public TrainingDivergedException(long iteration, String problem, String message, Throwable cause) {
        super(message, cause);
        this.iteration = iteration;
        this.problem = problem;
    }

    /** @return the training iteration at which it diverged, counted from 1 */
    public long iteration() {
        return iteration;
    }

    /** @return what went wrong, e.g. {@code "the loss is NaN"} */
    public String problem() {
        return problem;
    }
}
