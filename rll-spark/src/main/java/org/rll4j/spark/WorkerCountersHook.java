package org.rll4j.spark;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Starts each worker's copy of the network at the driver's iteration and epoch counters. DL4J 1.0.0-M2's parameter
 * averaging builds the workers' networks from {@code ComputationGraphConfiguration.clone()}, which does not copy the
 * counters, so without this every round's workers would count from iteration 0: Adam's bias correction would start
 * over each round (steps about 3 to 6 times smaller than the run's learning rate for the first few), learning-rate
 * schedules would never advance, and the workers' {@code StatsListener} would report iterations 0, 1, 2... again and
 * again. Before a worker's first update of a round it sets the counters to the round's start (the driver's
 * iterations so far, one per C x K batch); the worker's own steps then count on from there.
 */
final class WorkerCountersHook implements TrainingHook {

    private static final long serialVersionUID = 1L;

    /** Set by the driver before each round; serialised into the round's tasks. */
    private int iteration;
    private int epoch;

    /** The counters the next round's workers start from. */
    void roundStartsAt(int iteration, int epoch) {
        this.iteration = iteration;
        this.epoch = epoch;
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        start(model);
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        start(model);
    }

    private void start(Model model) {
        if (model instanceof ComputationGraph g && g.getIterationCount() < iteration) {
            // a fresh copy counts from 0: move it to the round's start, keeping the steps it has already taken
            g.getConfiguration().setIterationCount(iteration + g.getIterationCount());
            g.getConfiguration().setEpochCount(epoch);
        }
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }
}
