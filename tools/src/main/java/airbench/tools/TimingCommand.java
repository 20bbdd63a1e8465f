package airbench.tools;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * The command-line shell the timing tools share ({@link StepTiming}, {@link Bench}): parse the
 * arguments strictly (an abbreviated option is an error, not a guess), answer {@code --help}, read the settings,
 * measure, print the table, write the JSON report. Exit codes and messages are those of the trainer's other
 * subcommands: 0 done; 2 bad command line and 1 failed, each with one line {@code error: <name>: <message>}
 * on the error stream, so that a table redirected to a file never holds an error.
 *
 * @param name       the command's name, which starts its error lines ({@code error: bench: ...})
 * @param logFailure logs a failed measurement with its stack trace
 * @param options    the command's options
 * @param help       its {@code --help} text
 * @param settings   the settings of a parsed command line; an {@link IllegalArgumentException} names a bad value
 * @param output     the JSON report's file, from the command line
 * @param measure    the measurement
 * @param table      the console table of a measurement
 * @param json       the JSON document of a measurement
 * @param <S>        the tool's settings
 * @param <R>        what it measured
 */
record TimingCommand<S, R>(String name, Consumer<RuntimeException> logFailure, Options options, Supplier<String> help,
                           Function<CommandLine, S> settings, Function<CommandLine, Path> output, Function<S, R> measure,
                           Function<R, String> table, Function<R, Map<String, Object>> json) {

    /**
     * Runs the command, the table and the JSON file's name to {@code out}, errors to {@code err}; returns its exit
     * code: 0 done, 1 failed, 2 bad command line.
     */
    int run(String[] args, PrintStream out, PrintStream err) {
        S parsed;
        Path file;
        try {
            CommandLine line = DefaultParser.builder().setAllowPartialMatching(false).get().parse(options, args);
            if (line.hasOption("help")) {
                out.print(help.get());
                return 0;
            }
            parsed = settings.apply(line);
            file = output.apply(line);
        } catch (ParseException | IllegalArgumentException e) {
            err.println("error: " + name + ": " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        }
        try {
            R report = measure.apply(parsed);
            out.print(table.apply(report));
            TimingReport.write(file, json.apply(report));
            out.println("JSON written to " + file);
            return 0;
        } catch (RuntimeException e) {
            logFailure.accept(e);
            err.println("error: " + name + ": " + e.getMessage());
            return 1;
        }
    }

    /** A {@code --help} text: the usage line, {@code header}, the options, {@code footer}; 110 columns. */
    static String helpText(String usage, String header, Options options, String footer) {
        StringWriter text = new StringWriter();
        PrintWriter writer = new PrintWriter(text);
        new HelpFormatter().printHelp(writer, 110, usage, header, options, 2, 2, footer, false);
        writer.flush();
        return text.toString();
    }

}
