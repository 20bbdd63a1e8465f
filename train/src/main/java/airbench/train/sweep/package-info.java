/**
 * Sweeps: a grid of training options times seeds, each cell a run, on Spark or in process
 * ({@link airbench.train.sweep.Sweep} is the entry point), with a folder that continues an interrupted sweep and
 * a summary per cell.
 */
package airbench.train.sweep;
