package org.rll4j.app.run;

/**
 * Training produced a non-finite loss or embedding. The message says at which iteration, the
 * learning rate in use, what to try and where the last good checkpoint is. The CLI maps it to exit
 * code 4.
 */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened and what to try
     * @param cause the underlying error, or null
     */
    public TrainingDivergedException(String message, Throwable cause) {
        super(message, cause);
    }
}
