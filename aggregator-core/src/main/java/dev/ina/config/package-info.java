/**
 * Immutable, checked configuration of workers and aggregators, with the names and defaults of every setting.
 */
package dev.ina.config;
