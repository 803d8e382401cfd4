package org.rll4j.app.config;

/**
 * A configuration that cannot be used: an unknown key, a value of the wrong type or out of range,
 * a malformed file or override. The message names the key (as a dotted path, e.g.
 * {@code model.embeddingDim}), the value and what is allowed. The CLI maps it to exit code 2.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message names the key, the value and the fix */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * @param message names the key, the value and the fix
     * @param cause the underlying parse error
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
