package org.rll4j.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Class-disjoint train/test splits, the deep-metric-learning protocol: the test classes are unseen
 * during training. No class is ever in both parts.
 *
 * @param train the training images
 * @param test the test images
 */
public record ClassSplit(ImageList train, ImageList test) {

    /** Checks that the two parts share no class. */
    public ClassSplit {
        Set<String> overlap = new HashSet<>(train.labels().classNames());
        overlap.retainAll(test.labels().classNames());
        if (!overlap.isEmpty()) {
            throw new IllegalArgumentException("train and test must not share classes, found " + overlap.size()
                    + " shared, e.g. '" + overlap.iterator().next() + "'");
        }
    }

    /**
     * First half of the sorted class names for training, second half for test (CUB: 1-100 / 101-200,
     * CARS196: 1-98 / 99-196 when class names sort in id order). With an odd number of classes the
     * extra class goes to test.
     *
     * @param all the dataset
     * @return the split
     */
    public static ClassSplit halves(ImageList all) {
        List<String> names = all.labels().classNames();
        int half = trainClassCount(names, all.origin());
        return new ClassSplit(all.ofClasses(names.subList(0, half), all.origin() + " [train: first " + half + " classes]"),
                all.ofClasses(names.subList(half, names.size()),
                        all.origin() + " [test: last " + (names.size() - half) + " classes]"));
    }

    /**
     * The halving rule shared by every class-disjoint "halves" split: the first
     * {@code floor(n / 2)} sorted class names train, the rest (one more for odd n) test.
     *
     * @param sortedClassNames the class names, sorted
     * @param origin what is being split, for the error message
     * @return the number of training classes
     */
    static int trainClassCount(List<String> sortedClassNames, String origin) {
        if (sortedClassNames.size() < 2) {
            throw new IllegalArgumentException("a class-disjoint split needs at least 2 classes, " + origin
                    + " has " + sortedClassNames.size());
        }
        return sortedClassNames.size() / 2;
    }

    /**
     * Explicit class lists.
     *
     * @param all the dataset
     * @param trainClasses classes for training
     * @param testClasses classes for test; must not overlap {@code trainClasses}
     * @return the split
     */
    public static ClassSplit of(ImageList all, Collection<String> trainClasses, Collection<String> testClasses) {
        Set<String> overlap = new HashSet<>(trainClasses);
        overlap.retainAll(new HashSet<>(testClasses));
        if (!overlap.isEmpty()) {
            throw new IllegalArgumentException("train and test class lists must be disjoint, both contain "
                    + new ArrayList<>(overlap).subList(0, Math.min(5, overlap.size())));
        }
        return new ClassSplit(all.ofClasses(trainClasses, all.origin() + " [train]"),
                all.ofClasses(testClasses, all.origin() + " [test]"));
    }
}
