package org.rll4j.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One labelled image file, as a reader found it.
 *
 * @param path the image file
 * @param className its class (a folder name, a class id from a list file, ...)
 */
public record ImageRecord(Path path, String className) {

    /** Validates that neither part is null or empty. */
    public ImageRecord {
        Objects.requireNonNull(path, "path must not be null");
        Objects.requireNonNull(className, "className must not be null");
        if (className.isEmpty()) {
            throw new IllegalArgumentException("className must not be empty (image " + path + ")");
        }
    }
}
