/**
 * The worker side: {@link dev.ina.client.Collective}, the one entry point for training code, joined once per job,
 * then called every step.
 */
package dev.ina.client;
