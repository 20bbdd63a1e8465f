package airbench.train.cli;

import airbench.data.DataException;
import airbench.eval.EvalException;
import airbench.model.TensorFlowRuntime;
import airbench.train.TrainingDivergedException;
import airbench.train.run.TrainOptions;
import airbench.train.run.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One command of the program ({@code train}, {@code evaluate}, {@code plot}, {@code sweep}, ...): its name, the
 * one-line summary {@link Main}'s command list shows, its options and help, and its body. Every command of
 * {@link Main#COMMANDS} runs through {@link #run}, so that a command's body is its own work only:
 * <pre>{@code
 * static final Command COMMAND = Command.named("plot").summary("draws PNG charts of finished runs")
 *         .usage("plot FOLDER... [--out DIR]").description("Draws ...")
 *         .options(PlotCommand::options).body(PlotCommand::plot);
 * }</pre>
 * {@link #run} parses strictly (an abbreviated option name is an error, not a guess), answers {@code --help}
 * (added to every command's options), takes {@code --onednn on|off} for the commands that do not define it
 * themselves (before anything loads TensorFlow), and turns what went wrong into the one exit-code rule with the
 * one message format, {@code error: <command>: <message>}, on standard error:
 * <ul>
 *   <li>2, bad command line: an option the parser refuses, or a {@link UsageException} from the body;</li>
 *   <li>1, failed: bad data ({@link DataException}), a bad model or image ({@link EvalException}), a diverged
 *       training, I/O, an illegal state or argument;</li>
 *   <li>otherwise what the body returns (0 done).</li>
 * </ul>
 * Any other exception is a bug and keeps its stack trace.
 *
 * @param name        the command as typed after the program, e.g. {@code plot}
 * @param summary     what the command does, in one line of the command list
 * @param usage       the usage line of its help, e.g. {@code plot FOLDER... [--out DIR]}
 * @param description what its help says before the options
 * @param footer      what its help says after the options (empty for nothing)
 * @param options     its options, without {@code --help} (and {@code --onednn}, unless it is the command's own)
 * @param check       a check of the raw arguments before they are parsed (e.g. an option of another command,
 *                    which the parser would only call unknown)
 * @param body        its work on the parsed command line
 */
public record Command(String name, String summary, String usage, String description, String footer,
                      Supplier<Options> options, Check check, Body body) {
    private static final Logger LOG = LogManager.getLogger(Command.class);
    static final String HELP = "help";
    static final String ONEDNN = "onednn";
    /** Columns of the help text. */
    private static final int WIDTH = 110;

    public Command {
        if (name == null || name.isBlank() || name.startsWith("-")) {
            throw new IllegalArgumentException("a command needs a name that is not an option, got '" + name + "'");
        }
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(footer, "footer (empty for none)");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(body, "body");
    }

    /** The start of a command: {@code Command.named("plot").summary(...)...body(...)}. */
    public static Builder named(String name) {
        return new Builder(name);
    }

    /** The work of a command on its parsed command line; returns the exit code. */
    @FunctionalInterface
    public interface Body {
        int run(Call call) throws IOException;
    }

    /** A check of the raw arguments before parsing; throws {@link UsageException} for a bad command line. */
    @FunctionalInterface
    public interface Check {
        Check NONE = (args, properties) -> { };

        void check(String[] args, Properties properties);
    }

    /**
     * One invocation of a command, as its body sees it.
     *
     * @param command    the command
     * @param args       the arguments as given (after the command's name)
     * @param line       the parsed arguments
     * @param properties the system properties (the {@code -Dtrain.*} and {@code -Deval.*} settings)
     * @param out        where the command's results go
     */
    public record Call(Command command, List<String> args, CommandLine line, Properties properties, PrintStream out) {

        public boolean has(String option) {
            return line.hasOption(option);
        }

        public String value(String option) {
            return line.getOptionValue(option);
        }

        public String value(String option, String fallback) {
            return line.getOptionValue(option, fallback);
        }

        /** The option's value, else the property's (trimmed; blank counts as absent), else empty. */
        public Optional<String> valueOrProperty(String option, String property) {
            if (line.hasOption(option)) {
                return Optional.of(line.getOptionValue(option));
            }
            String fromProperty = properties.getProperty(property);
            return fromProperty == null || fromProperty.isBlank() ? Optional.empty() : Optional.of(fromProperty.trim());
        }

        /** The arguments that are not options. */
        public List<String> arguments() {
            return line.getArgList();
        }

        /** @throws UsageException when an argument that is not an option was given */
        public void noArguments() {
            if (!line.getArgList().isEmpty()) {
                throw new UsageException("unexpected argument '" + line.getArgList().get(0) + "' (see "
                        + command.name() + " --help)");
            }
        }

        /** {@link Command#wholeNumber} of this call's line. */
        public int wholeNumber(String option, int fallback, int min) {
            return Command.wholeNumber(line, option, fallback, min);
        }

        /** {@link Command#number} of this call's line. */
        public double number(String option, double fallback) {
            return Command.number(line, option, fallback);
        }

        /** {@link Command#badValue} of this call's line. */
        public UsageException badValue(String option, String expected) {
            return Command.badValue(line, option, expected);
        }
    }

    /** Runs the command on {@code args} with this process's properties and standard streams. */
    public int run(String... args) {
        return run(args, System.getProperties(), System.out, System.err);
    }

    /**
     * Parses {@code args}, prints the help or runs the body, and returns the exit code as the class comment says:
     * results to {@code out}, the one error line to {@code err}.
     */
    public int run(String[] args, Properties properties, PrintStream out, PrintStream err) {
        Options all = allOptions();
        CommandLine line;
        try {
            check.check(args, properties);
            line = DefaultParser.builder().setAllowPartialMatching(false).get().parse(all, args);
        } catch (ParseException e) {
            return usageError(err, e.getMessage() + " (see " + name + " --help)");
        } catch (UsageException e) {
            return usageError(err, e.getMessage());
        }
        if (line.hasOption(HELP)) {
            out.println(help());
            return 0;
        }
        try {
            if (takesOneDnn()) {
                // The process-wide switch, set before the body touches TensorFlow (which reads it once).
                TensorFlowRuntime.configure(TrainOptions.oneDnn(line.getOptionValue(ONEDNN)));
            }
            return body.run(new Call(this, List.of(args), line, properties, out));
        } catch (UsageException e) {
            return usageError(err, e.getMessage());
        } catch (DataException | EvalException | TrainingDivergedException | IllegalStateException
                 | IllegalArgumentException | IOException | UncheckedIOException e) {
            LOG.debug("{} failed", name, e);
            return failure(err, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** The help text of the command, without a trailing newline. */
    public String help() {
        StringWriter text = new StringWriter();
        new HelpFormatter().printHelp(new PrintWriter(text, true), WIDTH, usage, description, allOptions(), 2, 2,
                footer);
        return text.toString().stripTrailing();
    }

    /** Prints {@code error: <command>: <message>} to {@code err}; returns 2, the exit code of a bad command line. */
    public int usageError(PrintStream err, String message) {
        err.println("error: " + name + ": " + message);
        return 2;
    }

    /** Prints {@code error: <command>: <message>} to {@code err}; returns 1, the exit code of a failure. */
    public int failure(PrintStream err, String message) {
        err.println("error: " + name + ": " + message);
        return 1;
    }

    /** Whether {@code --onednn} is the shell's (set for the process) rather than one of the command's options. */
    boolean takesOneDnn() {
        return !options.get().hasLongOption(ONEDNN);
    }

    /** The command's options with {@code --help}, and {@code --onednn} unless the command has its own. */
    private Options allOptions() {
        Options all = options.get();
        if (!all.hasLongOption(ONEDNN)) {
            all.addOption(Option.builder().longOpt(ONEDNN).hasArg().argName("on|off")
                    .desc("TensorFlow's oneDNN kernels, for this process [default: on]").get());
        }
        if (!all.hasLongOption(HELP)) {
            all.addOption(Option.builder().longOpt(HELP).desc("print this help").get());
        }
        return all;
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

    /** A command under construction: everything but the name is optional except the summary and the body. */
    public static final class Builder {
        private final String name;
        private String summary = "";
        private String usage;
        private String description = "";
        private String footer = "";
        private Supplier<Options> options = Options::new;
        private Check check = Check.NONE;

        private Builder(String name) {
            this.name = name;
            this.usage = name + " [options]";
        }

        public Builder summary(String text) {
            summary = text;
            return this;
        }

        /** The usage line [default: NAME [options]]. */
        public Builder usage(String text) {
            usage = text;
            return this;
        }

        public Builder description(String text) {
            description = text;
            return this;
        }

        public Builder footer(String text) {
            footer = text;
            return this;
        }

        /** A fresh set of the command's options each call (the shell adds {@code --help} to it). */
        public Builder options(Supplier<Options> supplier) {
            options = supplier;
            return this;
        }

        public Builder check(Check value) {
            check = value;
            return this;
        }

        /** The command with this body. */
        public Command body(Body body) {
            if (summary.isBlank()) {
                throw new IllegalArgumentException("the command '" + name + "' needs a summary for the command list");
            }
            return new Command(name, summary, usage, description, footer, options, check, body);
        }
    }
}
