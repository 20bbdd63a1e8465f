package airbench.train.cli;

import airbench.data.DataLocator;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The program's entry point and its one command shell: {@code java -jar train/target/airbench-train.jar COMMAND
 * [options]} or {@code mvn exec:java -Dexec.args="COMMAND [options]"}, a command of {@link #COMMANDS} (each a
 * {@link Command}, which parses, answers {@code --help} and maps errors to exit codes alike). Without a command
 * name (no arguments, or an option first) the command is {@code train}: {@code mvn exec:java -Dtrain.recipe=95},
 * {@code java -jar train/target/airbench-train.jar --recipe 95}; with the property {@code -Deval.command=evaluate}
 * (or {@code predict}) it is that command, for {@code mvn exec:java -Deval.command=evaluate -Deval.model=DIR}.
 * {@code help} or {@code --help} lists the commands (then the train command's options); {@code help COMMAND} is
 * {@code COMMAND --help}. {@code --onednn on|off} applies to every command.
 * Exit codes: 0 done, 1 failed (data, divergence, I/O), 2 bad command line (an unknown command included); every
 * error is one line {@code error: <command>: <message>} on standard error.
 */
public final class Main {
    /** Set by the Maven build: folders to look in for the data before downloading (the shared copy). */
    static final String FALLBACK_PROPERTY = DataLocator.FALLBACK_PROPERTY;
    /** {@code mvn exec:java -Deval.command=evaluate -Deval.model=DIR}: the command when no name is given. */
    static final String EVAL_COMMAND_PROPERTY = "eval.command";
    /** The commands {@link #EVAL_COMMAND_PROPERTY} may name. */
    private static final Set<String> EVAL_COMMANDS = Set.of("evaluate", "predict");
    /** The program in usage lines. */
    static final String PROGRAM = "java -jar train/target/airbench-train.jar";

    /** Every command, in the order {@code --help} lists them; the dispatch is taken from this list. */
    static final List<Command> COMMANDS = List.of(
            TrainCommand.COMMAND,
            ModelCommands.EVALUATE,
            ModelCommands.PREDICT,
            ImageExportCommand.COMMAND,
            PlotCommand.COMMAND,
            SelectCommand.COMMAND,
            SweepCommand.COMMAND,
            MergeCommand.COMMAND,
            ParityCommand.COMMAND,
            TimingCommands.STEP_TIMING_COMMAND,
            TimingCommands.BENCH_COMMAND,
            TimingCommands.PROFILE_COMMAND);

    private Main() {}

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs the command and returns its exit code instead of exiting (for tests). */
    public static int run(String[] args) {
        return run(args, System.getProperties(), System.out, System.err);
    }

    /** {@link #run(String[])} with these properties, results to {@code out} and errors to {@code err}. */
    public static int run(String[] args, Properties properties, PrintStream out, PrintStream err) {
        if (args.length > 0 && (args[0].equals("help") || args[0].equals("--help"))) {
            return help(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args.length > 0 && !args[0].startsWith("-")) {
            Optional<Command> named = command(args[0]);
            if (named.isEmpty()) {
                return unknownCommand(args[0], err);
            }
            return named.get().run(Arrays.copyOfRange(args, 1, args.length), properties, out, err);
        }
        String evalCommand = properties.getProperty(EVAL_COMMAND_PROPERTY);
        if (evalCommand != null && !evalCommand.isBlank()) {
            String name = evalCommand.trim();
            if (!EVAL_COMMANDS.contains(name)) {
                err.println("error: " + name + ": not a command of -D" + EVAL_COMMAND_PROPERTY + "; it takes "
                        + String.join(" or ", EVAL_COMMANDS.stream().sorted().toList()));
                return 2;
            }
            return command(name).orElseThrow().run(args, properties, out, err);
        }
        return TrainCommand.COMMAND.run(args, properties, out, err);
    }

    /** The command of that name. */
    static Optional<Command> command(String name) {
        return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** {@code help}: the command list and the train command's help; {@code help COMMAND}: that command's. */
    private static int help(String[] rest, PrintStream out, PrintStream err) {
        if (rest.length == 0) {
            out.println(commandList());
            out.println();
            out.println(TrainCommand.COMMAND.help());
            return 0;
        }
        Optional<Command> named = command(rest[0]);
        if (named.isEmpty()) {
            return unknownCommand(rest[0], err);
        }
        out.println(named.get().help());
        return 0;
    }

    private static int unknownCommand(String name, PrintStream err) {
        err.println("error: " + name + ": unknown command; the commands are "
                + COMMANDS.stream().map(Command::name).collect(Collectors.joining(", ")) + " (see --help)");
        return 2;
    }

    /** The usage line and every command's name and summary. */
    static String commandList() {
        int width = COMMANDS.stream().mapToInt(c -> c.name().length()).max().orElse(0);
        StringBuilder text = new StringBuilder("usage: " + PROGRAM + " [COMMAND] [options]   or   mvn exec:java"
                + " -Dexec.args=\"[COMMAND] [options]\"").append(System.lineSeparator());
        text.append("Commands (COMMAND --help prints its options; without a COMMAND, or with an option first, the"
                + " command is train):").append(System.lineSeparator());
        for (Command c : COMMANDS) {
            text.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", c.name(), c.summary()));
        }
        text.append("--onednn on|off applies to every command. Exit codes: 0 done, 1 failed, 2 bad command line.");
        return text.toString();
    }
}
