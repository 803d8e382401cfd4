package org.rll4j.data;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The In-Shop Clothes Retrieval protocol: training images, and for test a query set searched against a
 * gallery set. Query and gallery share their classes (items); neither shares a class with training.
 *
 * <p>A query whose item has no gallery image can never be answered correctly; the record does not forbid
 * it, so that subsets stay representable.
 *
 * @param train the training images
 * @param query the test queries
 * @param gallery the test gallery the queries are searched in
 * @see InShopReader
 */
public record InShopSplit(ImageList train, ImageList query, ImageList gallery) {

    /**
     * Checks that no training class is also a query or gallery class.
     *
     * @param train the training images
     * @param query the test queries
     * @param gallery the test gallery
     */
    public InShopSplit {
        Objects.requireNonNull(train, "train must not be null");
        Objects.requireNonNull(query, "query must not be null");
        Objects.requireNonNull(gallery, "gallery must not be null");
        requireDisjoint(train, query, "query");
        requireDisjoint(train, gallery, "gallery");
    }

    private static void requireDisjoint(ImageList train, ImageList test, String part) {
        Set<String> overlap = new HashSet<>(train.labels().classNames());
        overlap.retainAll(test.labels().classNames());
        if (!overlap.isEmpty()) {
            throw new IllegalArgumentException("train and " + part + " must not share classes, found " + overlap.size()
                    + " shared, e.g. '" + overlap.iterator().next() + "'");
        }
    }
}
