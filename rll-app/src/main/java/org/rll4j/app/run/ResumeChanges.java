package org.rll4j.app.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.RunConfig;

/**
 * Which settings a resumed run may change ({@code train --resume RUN --set key=value} or
 * {@code --config}). A run continues from weights, an updater state and a sampler position that the
 * recorded settings produced, so only what does not invalidate them may change:
 * <ul>
 *   <li>the optimizer's numbers (learning rate, momentum, weight decay, head multiplier, schedule),
 *       not its type (Adam and SGD keep different state);</li>
 *   <li>the training length and checkpoint interval;</li>
 *   <li>the evaluation settings but the best metric (the best model so far was chosen by it);</li>
 *   <li>the sampler's worker threads, the UI and the output folder;</li>
 *   <li>the Spark settings: a run may continue on Spark, in this process, or on another cluster (the checkpoint
 *       holds the driver's model and the sampler position, which mean the same either way).</li>
 * </ul>
 * The seed, the dataset, C and K, the model and the loss cannot change: the message says to start a
 * new run for those.
 */
public final class ResumeChanges {

    private static final Set<String> ALLOWED = Set.of("optimizer.learningRate", "optimizer.momentum", "optimizer.weightDecay",
            "optimizer.headLearningRateMultiplier", "optimizer.decay", "optimizer.decayEvery", "training.epochs",
            "training.iterations", "training.checkpointEvery", "evaluation.every", "evaluation.recallAt", "evaluation.nmi",
            "evaluation.baselines", "evaluation.batchSize", "evaluation.reportQueries", "evaluation.flipAverage",
            "sampler.workers", "ui.enabled", "ui.port", "ui.localhostOnly", "ui.remote", "output.dir", "spark.master", "spark.workers",
            "spark.averagingFrequency", "spark.prefetch", "spark.collectStats");

    private ResumeChanges() {
    }

    /**
     * @param recorded the run's recorded config
     * @param requested the config asked for
     * @return the changes, as {@code key old -> new}, in the config's order (empty when none)
     * @throws ConfigException naming every key that cannot change mid-run
     */
    public static List<String> check(RunConfig recorded, RunConfig requested) {
        Map<String, Object> before = flatten("", recorded.toMap());
        Map<String, Object> after = flatten("", requested.toMap());
        List<String> changes = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Map.Entry<String, Object> e : after.entrySet()) {
            Object old = before.get(e.getKey());
            if (Objects.equals(old, e.getValue())) {
                continue;
            }
            String change = e.getKey() + " " + old + " -> " + e.getValue();
            (ALLOWED.contains(e.getKey()) ? changes : refused).add(change);
        }
        if (!refused.isEmpty()) {
            throw new ConfigException("a resumed run cannot change " + String.join(", ", refused) + ": the checkpoint's "
                    + "weights, updater state and sampler position were made with the recorded values. Start a new run for "
                    + "that; a resumed run may change " + String.join(", ", ALLOWED.stream().sorted().toList()));
        }
        return changes;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> flatten(String prefix, Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map<?, ?> sub) {
                out.putAll(flatten(key, (Map<String, Object>) sub));
            } else {
                out.put(key, e.getValue());
            }
        }
        return out;
    }
}
