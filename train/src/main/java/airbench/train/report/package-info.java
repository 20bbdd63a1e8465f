/** Reporting of the command line: TensorBoard event files and the PNG charts drawn from a run folder. */
package airbench.train.report;
