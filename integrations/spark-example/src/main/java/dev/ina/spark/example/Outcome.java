package dev.ina.spark.example;

import java.io.Serializable;

/**
 * What one training method produced and what it cost.
 *
 * @param method        name for the report.
 * @param weights       parameters in the raw feature space (pixels / 255), {@code classes x (features + 1)}.
 * @param iterations    L-BFGS iterations made.
 * @param evaluations   passes over the data (function and gradient evaluations).
 * @param finalLoss     mean cross-entropy on the training data after the last iteration.
 * @param trainNs       wall time of the whole training on the driver (job submission to result).
 * @param loopNs        time in gradient passes: the slowest rank's L-BFGS loop (INA), the loss-evaluation
 *                      jobs (MLlib).
 * @param computeNs     of {@code loopNs}, the time spent computing over the rows: INA's loop without its all-reduce
 *                      calls (rank 0), MLlib's longest task per evaluation.
 * @param allReduceNs   time in INA all-reduce calls (rank 0), 0 for MLlib.
 * @param ranksAgree    whether every rank ended with bit-identical parameters (INA), true for MLlib.
 * @param note          transport details for the report.
 */
record Outcome(
    String method,
    double[] weights,
    int iterations,
    int evaluations,
    double finalLoss,
    long trainNs,
    long loopNs,
    long computeNs,
    long allReduceNs,
    boolean ranksAgree,
    String note) implements Serializable
{
}
