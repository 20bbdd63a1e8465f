package airbench.train.cli;

import airbench.train.TrainingDivergedException;
import airbench.train.run.UsageException;
import airbench.data.DataException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The command-line handling every subcommand shares ({@code plot}, {@code parity}, {@code sweep}, {@code select},
 * ...), so that a command's {@code run} is its options and then its own work:
 * <pre>{@code
 * static final Command COMMAND = new Command("plot", "plot FOLDER... [--out DIR]", "Draws ...");
 * static int run(String[] args) {
 *     return COMMAND.run(options(), args, line -> plot(line));
 * }
 * }</pre>
 * It parses strictly (an abbreviated option name is an error, not a guess), answers {@code --help} (which it adds
 * to the options), and turns what went wrong into the exit codes of {@link Main} with one message format,
 * {@code error: <command>: <message>}:
 * <ul>
 *   <li>2, bad command line: an option the parser refuses, or a {@link UsageException} from the work; printed to
 *       standard error;</li>
 *   <li>1, failed: bad data ({@link DataException}), a diverged training, I/O, an illegal state or argument;
 *       logged (Log4j, like the rest of a command's progress);</li>
 *   <li>otherwise what the work returns (0 done; a command that logged its own failure returns 1).</li>
 * </ul>
 * Any other exception is a bug and keeps its stack trace.
 *
 * @param name        the command as typed after the program, e.g. {@code plot}
 * @param usage       the usage line of its help, e.g. {@code plot FOLDER... [--out DIR]}
 * @param description what its help says before the options
 * @param footer      what its help says after the options (empty for nothing)
 */
public record Command(String name, String usage, String description, String footer) {
    private static final Logger LOG = LogManager.getLogger(Command.class);
    private static final String HELP = "help";
    /** Columns of the help text. */
    private static final int WIDTH = 110;

    public Command {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a subcommand needs a name, got '" + name + "'");
        }
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(footer, "footer (empty for none)");
    }

    /** A command whose help has nothing after the options. */
    public Command(String name, String usage, String description) {
        this(name, usage, description, "");
    }

    /** The work of a command on its parsed command line; returns the exit code. */
    @FunctionalInterface
    public interface Body {
        int run(CommandLine line) throws IOException;
    }

    /**
     * Parses {@code args} against {@code options} (plus {@code --help}), prints the help or runs {@code body}, and
     * returns the exit code as the class comment says.
     */
    public int run(Options options, String[] args, Body body) {
        CommandLine line;
        try {
            line = DefaultParser.builder().setAllowPartialMatching(false).get().parse(withHelp(options), args);
        } catch (ParseException e) {
            return usageError(e.getMessage() + " (see " + name + " --help)");
        }
        if (line.hasOption(HELP)) {
            System.out.println(help(options));
            return 0;
        }
        try {
            return body.run(line);
        } catch (UsageException e) {
            return usageError(e.getMessage());
        } catch (DataException | TrainingDivergedException | IllegalStateException | IllegalArgumentException
                 | IOException | UncheckedIOException e) {
            LOG.error("error: {}: {}", name, e.getMessage() != null ? e.getMessage() : e.toString());
            return 1;
        }
    }

    /** The help text of the command with {@code options} (and {@code --help}), without a trailing newline. */
    public String help(Options options) {
        StringWriter text = new StringWriter();
        new HelpFormatter().printHelp(new PrintWriter(text, true), WIDTH, usage, description, withHelp(options), 2, 2,
                footer);
        return text.toString().stripTrailing();
    }

    /**
     * Reports a bad command line found before parsing (e.g. an option of another command, which the parser would
     * only call unknown): prints {@code error: <command>: <message>} to standard error.
     *
     * @return 2, the exit code of a bad command line
     */
    public int usageError(String message) {
        System.err.println("error: " + name + ": " + message);
        return 2;
    }

    /**
     * The value of {@code --name} as a whole number of at least {@code min}, or {@code fallback} when the option is
     * absent (unchecked: a default may mean what a user cannot type, e.g. 0 for "all").
     *
     * @throws UsageException naming the option, the value and what it must be
     */
    public static int wholeNumber(CommandLine line, String name, int fallback, int min) {
        if (!line.hasOption(name)) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(line.getOptionValue(name).trim());
            if (value >= min) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw badValue(line, name, min == 1 ? "a positive whole number" : "a whole number >= " + min);
    }

    /**
     * The value of {@code --name} as a finite number, or {@code fallback} when the option is absent.
     *
     * @throws UsageException naming the option and the value
     */
    public static double number(CommandLine line, String name, double fallback) {
        if (!line.hasOption(name)) {
            return fallback;
        }
        try {
            double value = Double.parseDouble(line.getOptionValue(name).trim());
            if (Double.isFinite(value)) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw badValue(line, name, "a number");
    }

    /** The usage error {@code bad value 'V' for --name; expected <expected>}, for a command's own checks. */
    public static UsageException badValue(CommandLine line, String name, String expected) {
        return new UsageException("bad value '" + line.getOptionValue(name) + "' for --" + name + "; expected "
                + expected);
    }

    /** {@code options} with {@code --help}, which every command takes. */
    private static Options withHelp(Options options) {
        if (!options.hasLongOption(HELP)) {
            options.addOption(Option.builder().longOpt(HELP).desc("print this help").get());
        }
        return options;
    }
}
