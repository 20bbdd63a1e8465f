package airbench.train.cli;

import airbench.train.LogCapture;
import airbench.train.TrainingDivergedException;
import airbench.train.run.UsageException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.DataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

/** The one command shell: strict parse, --help, --onednn, and the exit code and message of each way to fail. */
class CommandTest {

    private static Options options() {
        return new Options().addOption(Option.builder().longOpt("count").hasArg().argName("N").desc("how many").get())
                .addOption(Option.builder().longOpt("ratio").hasArg().argName("R").desc("how much").get());
    }

    /** The demonstration command with this body. */
    private static Command demo(Command.Body body) {
        return Command.named("demo").summary("does a demonstration").usage("demo ITEM... [--count N]")
                .description("Does a demonstration.").footer("Example: demo a b --count 3")
                .options(CommandTest::options).body(body);
    }

    /** What a run printed to standard output and standard error, what it logged, and its exit code. */
    private record Outcome(int code, String out, String err, String log) {}

    private static Outcome run(Command.Body body, String... args) {
        ByteArrayOutputStream outBuffer = new ByteArrayOutputStream();
        ByteArrayOutputStream errBuffer = new ByteArrayOutputStream();
        try (LogCapture log = new LogCapture()) {
            int code = demo(body).run(args, new Properties(), new PrintStream(outBuffer, true, StandardCharsets.UTF_8),
                    new PrintStream(errBuffer, true, StandardCharsets.UTF_8));
            return new Outcome(code, outBuffer.toString(StandardCharsets.UTF_8),
                    errBuffer.toString(StandardCharsets.UTF_8), log.text());
        }
    }

    private static final Command.Body NEVER = call -> {
        throw new AssertionError("the body must not run");
    };

    @Test
    void helpIsPrintedWithTheCommandsTextAndExitsZeroWithoutRunningTheWork() {
        Outcome o = run(NEVER, "--help");
        assertEquals(0, o.code());
        assertTrue(o.out().startsWith("usage: demo ITEM... [--count N]"), o.out());
        for (String part : List.of("Does a demonstration.", "--count <N>", "how many", "--help", "print this help",
                "--onednn <on|off>", "Example: demo a b --count 3")) {
            assertTrue(o.out().contains(part), part + " missing in:\n" + o.out());
        }
        assertTrue(o.out().indexOf("Does a demonstration.") < o.out().indexOf("--count <N>")
                && o.out().indexOf("--count <N>") < o.out().indexOf("Example:"),
                "description, options, footer:\n" + o.out());
        assertEquals("", o.err());
        assertEquals(demo(NEVER).help(), o.out().stripTrailing());
    }

    @Test
    void anUnknownOrAbbreviatedOptionIsABadCommandLineNamingTheCommand() {
        Outcome unknown = run(NEVER, "--bogus");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("error: demo: ") && unknown.err().contains("--bogus")
                && unknown.err().contains("(see demo --help)"), unknown.err());
        assertEquals("", unknown.out());
        // Partial matching is off: --cou is not taken for --count.
        Outcome abbreviated = run(NEVER, "--cou", "3");
        assertEquals(2, abbreviated.code());
        assertTrue(abbreviated.err().contains("--cou"), abbreviated.err());
        assertEquals(2, run(NEVER, "--count").code(), "an option without its value");
    }

    @Test
    void aUsageExceptionFromTheWorkIsABadCommandLineOnStandardError() {
        Outcome o = run(call -> {
            throw new UsageException("--count must be even");
        }, "--count", "3");
        assertEquals(2, o.code());
        assertEquals("error: demo: --count must be even", o.err().strip());
        assertFalse(o.log().contains("--count must be even"), o.log());
    }

    @Test
    void failuresOfTheWorkExitWithOneAndOneLineNamingTheCommandOnStandardError() {
        List<RuntimeException> unchecked = List.of(new IllegalStateException("the folder holds another sweep"),
                new DataException("the archive is truncated"), new UncheckedIOException(new IOException("disk full")),
                new IllegalArgumentException("fewer images than one batch"),
                new TrainingDivergedException("loss is NaN at step 3"));
        for (RuntimeException failure : unchecked) {
            Outcome o = run(call -> {
                throw failure;
            });
            assertEquals(1, o.code(), failure.toString());
            assertEquals("error: demo: " + failure.getMessage(), o.err().strip(), failure.toString());
            assertEquals("", o.out(), "an error never reaches the results' stream");
        }
        Outcome io = run(call -> {
            throw new IOException("could not write out/a.png: no space left");
        });
        assertEquals(1, io.code());
        assertEquals("error: demo: could not write out/a.png: no space left", io.err().strip());
    }

    @Test
    void anyOtherExceptionIsABugAndKeepsItsStackTrace() {
        NullPointerException bug = new NullPointerException("a bug");
        NullPointerException thrown = assertThrows(NullPointerException.class,
                () -> demo(call -> {
                    throw bug;
                }).run(new String[0], new Properties(), System.out, System.err));
        assertEquals(bug, thrown);
    }

    @Test
    void theWorksExitCodeAndTheParsedLineArePassedThrough() {
        int[] seen = new int[1];
        Outcome o = run(call -> {
            seen[0] = call.wholeNumber("count", 0, 0) + call.arguments().size();
            return 3;
        }, "a", "--count", "5", "b");
        assertEquals(3, o.code());
        assertEquals(5 + 2, seen[0]);
        assertEquals(0, run(call -> 0).code());
        assertEquals(1, run(call -> 1).code());
    }

    private static CommandLine parse(String... args) throws Exception {
        return DefaultParser.builder().get().parse(options(), args);
    }

    @Test
    void wholeNumbersAreCheckedAgainstTheirLeastValue() throws Exception {
        assertEquals(7, Command.wholeNumber(parse(), "count", 7, 1), "absent: the fallback");
        assertEquals(0, Command.wholeNumber(parse(), "count", 0, 1), "a fallback below the least value is kept");
        assertEquals(12, Command.wholeNumber(parse("--count", " 12 "), "count", 7, 1));
        assertEquals(0, Command.wholeNumber(parse("--count", "0"), "count", 7, 0));
        UsageException zero = assertThrows(UsageException.class,
                () -> Command.wholeNumber(parse("--count", "0"), "count", 7, 1));
        assertEquals("bad value '0' for --count; expected a positive whole number", zero.getMessage());
        UsageException negative = assertThrows(UsageException.class,
                () -> Command.wholeNumber(parse("--count", "-1"), "count", 7, 0));
        assertEquals("bad value '-1' for --count; expected a whole number >= 0", negative.getMessage());
        for (String bad : List.of("2.5", "x", "", "99999999999")) {
            assertThrows(UsageException.class, () -> Command.wholeNumber(parse("--count", bad), "count", 7, 0), bad);
        }
    }

    @Test
    void numbersMustBeFinite() throws Exception {
        assertEquals(0.5, Command.number(parse(), "ratio", 0.5));
        assertEquals(-0.25, Command.number(parse("--ratio", "-0.25"), "ratio", 0.5));
        assertEquals(1e-3, Command.number(parse("--ratio", "1e-3"), "ratio", 0.5));
        for (String bad : List.of("NaN", "Infinity", "-Infinity", "abc", "")) {
            UsageException e = assertThrows(UsageException.class,
                    () -> Command.number(parse("--ratio", bad), "ratio", 0.5), bad);
            assertEquals("bad value '" + bad + "' for --ratio; expected a number", e.getMessage());
        }
    }

    @Test
    void aCommandNeedsANameThatIsNotAnOptionAndASummary() {
        assertThrows(IllegalArgumentException.class, () -> Command.named(" ").summary("s").body(call -> 0));
        assertThrows(IllegalArgumentException.class, () -> Command.named("--x").summary("s").body(call -> 0));
        assertThrows(IllegalArgumentException.class, () -> Command.named("x").body(call -> 0));
        Command plain = Command.named("x").summary("s").body(call -> 0);
        assertEquals("", plain.footer());
        assertEquals("x [options]", plain.usage());
    }

    @Test
    void theOneDnnSwitchIsTheShellsUnlessTheCommandHasItsOwn() {
        // taken in either form and not seen as an argument of the work
        Outcome joined = run(call -> call.arguments().size() + (call.has("onednn") ? 10 : 0), "a", "--onednn=on");
        assertEquals(11, joined.code(), joined.err());
        assertEquals(10, run(call -> call.arguments().size() + (call.has("onednn") ? 10 : 0), "--onednn", "on")
                .code());
        Outcome missing = run(NEVER, "--onednn");
        assertEquals(2, missing.code());
        assertTrue(missing.err().startsWith("error: demo: Missing argument for option: onednn"), missing.err());
        Outcome bad = run(NEVER, "--onednn", "sometimes");
        assertEquals(2, bad.code());
        assertEquals("error: demo: bad value 'sometimes' for --onednn; valid values: on, off", bad.err().strip());
        // a command with its own --onednn (train, sweep) gets it as one of its options
        Command own = Command.named("own").summary("s").options(() -> new Options().addOption(Option.builder()
                .longOpt("onednn").hasArg().desc("mine").get())).body(call -> call.value("onednn").length());
        assertEquals("sometimes".length(), own.run(new String[] {"--onednn", "sometimes"}, new Properties(),
                System.out, System.err));
        assertFalse(own.takesOneDnn());
    }

    @Test
    void aCheckBeforeParsingRefusesWithAUsageError() {
        Command checked = Command.named("checked").summary("s").check((args, properties) -> {
            if (properties.containsKey("train.recipe")) {
                throw new UsageException("-Dtrain.recipe is the train command's");
            }
        }).body(call -> 0);
        Properties properties = new Properties();
        properties.setProperty("train.recipe", "95");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, checked.run(new String[] {"--anything"}, properties, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals("error: checked: -Dtrain.recipe is the train command's", err.toString(StandardCharsets.UTF_8)
                .strip());
        assertEquals(0, checked.run(new String[0], new Properties(), System.out, System.err));
    }

    @Test
    void theCallReadsAFlagBeforeItsProperty() {
        Command withProperty = Command.named("p").summary("s").options(CommandTest::options)
                .body(call -> Integer.parseInt(call.valueOrProperty("count", "demo.count").orElse("7")));
        Properties properties = new Properties();
        assertEquals(7, withProperty.run(new String[0], properties, System.out, System.err));
        properties.setProperty("demo.count", " 4 ");
        assertEquals(4, withProperty.run(new String[0], properties, System.out, System.err));
        assertEquals(5, withProperty.run(new String[] {"--count", "5"}, properties, System.out, System.err));
        properties.setProperty("demo.count", " ");
        assertEquals(7, withProperty.run(new String[0], properties, System.out, System.err), "blank is absent");
    }
}
