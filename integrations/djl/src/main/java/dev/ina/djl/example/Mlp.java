package dev.ina.djl.example;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.UniformInitializer;

/**
 * The example's model: {@code 784 -> hidden -> ReLU -> 10}, initialised as PyTorch initialises {@code nn.Linear}
 * (weights and biases uniform in {@code +-1/sqrt(fan_in)}), so that it starts like the DDP baseline in
 * {@code bench/train}.
 */
final class Mlp
{
    private Mlp()
    {
    }

    /**
     * Builds the block.
     *
     * @param hidden hidden units.
     * @return the block, not initialised.
     */
    static Block block(final int hidden)
    {
        return new SequentialBlock()
            .add(Blocks.batchFlattenBlock(FashionMnist.PIXELS))
            .add(linear(hidden, FashionMnist.PIXELS))
            .add(Activation::relu)
            .add(linear(FashionMnist.CLASSES, hidden));
    }

    private static Block linear(final int units, final int fanIn)
    {
        final Block linear = Linear.builder().setUnits(units).build();
        final UniformInitializer initializer = new UniformInitializer((float)(1.0 / Math.sqrt(fanIn)));
        linear.setInitializer(initializer, Parameter.Type.WEIGHT);
        linear.setInitializer(initializer, Parameter.Type.BIAS);
        return linear;
    }
}
