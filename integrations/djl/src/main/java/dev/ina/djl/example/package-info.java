/**
 * Example: an MLP trained on Fashion-MNIST data-parallel with DJL and INA. {@link
 * dev.ina.djl.example.TrainLauncher} starts an aggregator and N {@link dev.ina.djl.example.TrainWorker} processes
 * on one host ({@code integrations/djl/bin/ina-djl-train.sh}); a worker also runs alone on any host, configured by
 * the {@code INA_*} environment variables.
 */
package dev.ina.djl.example;
