package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry: the dispatch, the command list of --help, the default command, and an unknown command. */
class MainTest {

    /** Exit code, standard output and standard error of one invocation. */
    private record Run(int code, String out, String err) {}

    private static Run run(Properties properties, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, properties, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run run(String... args) {
        return run(new Properties(), args);
    }

    @Test
    void theRegistryHasEveryCommandOnceWithASummary() {
        List<String> names = Main.COMMANDS.stream().map(Command::name).toList();
        assertEquals(List.of("train", "evaluate", "predict", "export-images", "plot", "select", "sweep", "merge",
                "parity", "step-timing", "bench", "profile"), names);
        Set<String> seen = new HashSet<>();
        for (Command c : Main.COMMANDS) {
            assertTrue(seen.add(c.name()), "twice: " + c.name());
            assertTrue(!c.summary().isBlank() && !c.summary().contains("\n"), c.name() + ": " + c.summary());
            assertEquals(c, Main.command(c.name()).orElseThrow());
        }
    }

    @Test
    void helpListsEveryCommandWithItsSummaryThenTheTrainOptions() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"help"})) {
            Run help = run(args);
            assertEquals(0, help.code(), help.err());
            assertEquals("", help.err());
            assertTrue(help.out().startsWith(Main.commandList()), help.out());
            for (Command c : Main.COMMANDS) {
                assertTrue(help.out().contains("  " + c.name() + " ") && help.out().contains(c.summary()), c.name());
            }
            // the default command's options follow, as --help always printed them
            assertTrue(help.out().contains("--recipe <NAME>") && help.out().contains("-Dtrain.recipe"), help.out());
        }
        Run plot = run("help", "plot");
        assertEquals(0, plot.code());
        assertEquals(PlotCommand.COMMAND.help(), plot.out().strip());
        assertEquals(plot.out(), run("plot", "--help").out());
        Run train = run("train", "--help");
        assertEquals(0, train.code());
        assertTrue(train.out().startsWith("usage: java -jar train/target/airbench-train.jar [train] [options]"),
                train.out());
    }

    @Test
    void anUnknownCommandIsAUsageErrorListingTheCommands() {
        Run unknown = run("frobnicate", "--fast");
        assertEquals(2, unknown.code());
        assertEquals("", unknown.out());
        assertEquals("error: frobnicate: unknown command; the commands are train, evaluate, predict, export-images,"
                + " plot, select, sweep, merge, parity, step-timing, bench, profile (see --help)", unknown.err().strip());
        assertEquals(2, run("help", "frobnicate").code());
    }

    @Test
    void withoutACommandNameTheCommandIsTrainOrTheEvalCommandProperty() {
        // an option first: train, with train's options and the one message format
        Run train = run("--recipe", "97");
        assertEquals(2, train.code());
        assertTrue(train.err().startsWith("error: train: unknown recipe '97'"), train.err());
        Run named = run("train", "--recipe", "97");
        assertEquals(train, named);
        // the train command's properties
        Properties recipe = new Properties();
        recipe.setProperty("train.recipe", "97");
        assertEquals(train.err(), run(recipe).err());
        Properties helpProperty = new Properties();
        helpProperty.setProperty("train.help", "");
        Run help = run(helpProperty);
        assertEquals(0, help.code());
        assertEquals(TrainCommand.COMMAND.help(), help.out().strip());
        // -Deval.command=evaluate: evaluate, with its properties
        Properties eval = new Properties();
        eval.setProperty(Main.EVAL_COMMAND_PROPERTY, "evaluate");
        eval.setProperty("eval.tta", "5");
        eval.setProperty("eval.model", "m");
        Run evaluate = run(eval);
        assertEquals(2, evaluate.code());
        assertEquals("error: evaluate: --tta must be an integer from 0 to 2, got '5'", evaluate.err().strip());
        Properties other = new Properties();
        other.setProperty(Main.EVAL_COMMAND_PROPERTY, "plot");
        Run refused = run(other);
        assertEquals(2, refused.code());
        assertTrue(refused.err().startsWith("error: plot: not a command of -Deval.command; it takes evaluate or"
                + " predict"), refused.err());
    }
}
