/**
 * The command line: {@link airbench.train.cli.Main} is the one registry of commands (what {@code help} lists), each a
 * {@link airbench.train.cli.Command} with its options; one usage error and one exit-code rule (0 done, 1 failed,
 * 2 usage) for all of them.
 */
package airbench.train.cli;
