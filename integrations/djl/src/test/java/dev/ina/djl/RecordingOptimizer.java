package dev.ina.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain SGD that first records every gradient it is given, per parameter id and update: what the trainer's
 * all-reduce produced.
 */
final class RecordingOptimizer extends Optimizer
{
    private final Optimizer sgd;
    private final Map<String, List<float[]>> history = new HashMap<>();

    RecordingOptimizer(final float learningRate)
    {
        super(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate)));
        sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(learningRate)).build();
    }

    @Override
    public void update(final String parameterId, final NDArray weight, final NDArray grad)
    {
        history.computeIfAbsent(parameterId, id -> new ArrayList<>()).add(grad.toFloatArray());
        sgd.update(parameterId, weight, grad);
    }

    float[] gradient(final String parameterId, final int update)
    {
        return history.get(parameterId).get(update);
    }
}
