package org.rll4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;

/** The validation split: held-out training classes for tuning, the test classes never touched. */
class RunDataTest {

    private static RunConfig.Dataset emoji(String... overrides) throws java.io.IOException {
        List<String> all = new java.util.ArrayList<>(List.of("dataset.root=../datasets/emoji32/images"));
        all.addAll(List.of(overrides));
        return ConfigLoader.load(null, all).dataset();
    }

    @Test
    void validationHoldsOutTheLastTrainingClassesAndNeverTheTestClasses() throws Exception {
        RunData full = RunData.open(emoji());
        RunData tuning = RunData.open(emoji("dataset.validation=0.2"));
        assertEquals(953, full.train().labels().numClasses());
        assertEquals(762, tuning.train().labels().numClasses());
        assertEquals(191, tuning.query().labels().numClasses());
        assertEquals(null, tuning.gallery());
        Set<String> trainingClasses = new HashSet<>(full.train().labels().classNames());
        Set<String> kept = new HashSet<>(tuning.train().labels().classNames());
        Set<String> held = new HashSet<>(tuning.query().labels().classNames());
        assertTrue(trainingClasses.containsAll(kept) && trainingClasses.containsAll(held), "both parts come from the training classes");
        kept.retainAll(held);
        assertTrue(kept.isEmpty(), "the parts share no class");
        held.retainAll(new HashSet<>(full.query().labels().classNames()));
        assertTrue(held.isEmpty(), "no test class is used");
        assertEquals(full.train().size(), tuning.train().size() + tuning.query().size());
        assertTrue(tuning.description().contains("validation: train 1524 images of 762 classes, evaluate on 382 images of the last "
                + "191 training classes (test classes unused)"), tuning.description());
    }

    @Test
    void aFractionThatLeavesFewerThanTwoClassesIsRefused() throws Exception {
        RunData full = RunData.open(emoji());
        ConfigException e = assertThrows(ConfigException.class, () -> full.validationSplit(0.001));
        assertTrue(e.getMessage().startsWith("dataset.validation 0.001 of 953 training classes holds out 1; both parts need at least 2 "
                + "classes: choose a fraction between 0.002 and 0.998"), e.getMessage());
        assertEquals("dataset.validation must be a number in [0, 0.9], found 0.95", assertThrows(ConfigException.class,
                () -> emoji("dataset.validation=0.95")).getMessage());
    }
}
