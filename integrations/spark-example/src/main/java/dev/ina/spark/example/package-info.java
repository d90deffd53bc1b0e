/**
 * Multinomial logistic regression on Fashion-MNIST as a Spark job: L-BFGS whose every gradient is all-reduced by
 * INA inside one barrier stage, against Spark MLlib's {@code LogisticRegression} (L-BFGS over
 * {@code treeAggregate}) on the same cached data in the same run. Entry point {@link
 * dev.ina.spark.example.LrComparison}; launcher {@code integrations/spark/bin/ina-spark-lr.sh}.
 */
package dev.ina.spark.example;
