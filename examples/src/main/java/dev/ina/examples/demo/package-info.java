/**
 * The local demo: an embedded aggregator and N workers on loopback.
 */
package dev.ina.examples.demo;
