package dev.ina.api;

/**
 * Reduction applied across ranks.
 */
public enum ReduceOp
{
    /** Element-wise sum over the ranks that contributed. */
    SUM,
    /** Element-wise sum divided by the number of ranks that contributed. */
    AVG
}
