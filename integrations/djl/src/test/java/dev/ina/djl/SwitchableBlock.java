package dev.ina.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The harness's MLP plus a linear shortcut whose output is added only when switched on: while it is off its
 * parameters get no gradient, as with a layer that a rank's forward pass skips.
 */
final class SwitchableBlock extends AbstractBlock
{
    private final Block main;
    private final Block shortcut;
    private boolean shortcutOn = true;

    SwitchableBlock(final int hidden)
    {
        main = addChildBlock("main", TrainingHarness.block(hidden));
        shortcut = addChildBlock("shortcut", Linear.builder().setUnits(TrainingHarness.CLASSES).build());
    }

    void shortcutOn(final boolean on)
    {
        shortcutOn = on;
    }

    @Override
    protected NDList forwardInternal(
        final ParameterStore parameterStore,
        final NDList inputs,
        final boolean training,
        final PairList<String, Object> params)
    {
        final NDList out = main.forward(parameterStore, inputs, training, params);
        if (!shortcutOn)
        {
            return out;
        }
        final NDList extra = shortcut.forward(parameterStore, inputs, training, params);
        return new NDList(out.singletonOrThrow().add(extra.singletonOrThrow()));
    }

    @Override
    public Shape[] getOutputShapes(final Shape[] inputShapes)
    {
        return main.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(final NDManager manager, final DataType dataType, final Shape... inputShapes)
    {
        main.initialize(manager, dataType, inputShapes);
        shortcut.initialize(manager, dataType, inputShapes);
    }
}
