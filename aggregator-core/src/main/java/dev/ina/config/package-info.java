/**
 * Immutable, checked configuration of workers ({@link dev.ina.config.WorkerConfig}) and aggregators
 * ({@link dev.ina.config.AggregatorConfig}). Each setting is declared once, as a descriptor that holds its name,
 * environment variable, system property, default, parser and check; builders, {@code fromEnvironment},
 * {@code toBuilder}, {@code toString} and every error message come from those descriptors, and an error names the
 * variable, property, launcher variable or builder method the offending value came from.
 */
package dev.ina.config;
