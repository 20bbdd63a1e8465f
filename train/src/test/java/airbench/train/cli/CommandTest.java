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
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

/** The shared command-line handling: strict parse, --help, and the exit code and message of each way to fail. */
class CommandTest {
    private static final Command DEMO = new Command("demo", "demo ITEM... [--count N]",
            "Does a demonstration.", "Example: demo a b --count 3");

    private static Options options() {
        return new Options().addOption(Option.builder().longOpt("count").hasArg().argName("N").desc("how many").get())
                .addOption(Option.builder().longOpt("ratio").hasArg().argName("R").desc("how much").get());
    }

    /** What a run printed to standard output and standard error, what it logged, and its exit code. */
    private record Outcome(int code, String out, String err, String log) {}

    private static Outcome run(Command.Body body, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream outBuffer = new ByteArrayOutputStream();
        ByteArrayOutputStream errBuffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(outBuffer, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errBuffer, true, StandardCharsets.UTF_8));
        try (LogCapture log = new LogCapture()) {
            int code = DEMO.run(options(), args, body);
            return new Outcome(code, outBuffer.toString(StandardCharsets.UTF_8),
                    errBuffer.toString(StandardCharsets.UTF_8), log.text());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static final Command.Body NEVER = line -> {
        throw new AssertionError("the body must not run");
    };

    @Test
    void helpIsPrintedWithTheCommandsTextAndExitsZeroWithoutRunningTheWork() {
        Outcome o = run(NEVER, "--help");
        assertEquals(0, o.code());
        assertTrue(o.out().startsWith("usage: demo ITEM... [--count N]"), o.out());
        for (String part : List.of("Does a demonstration.", "--count <N>", "how many", "--help", "print this help",
                "Example: demo a b --count 3")) {
            assertTrue(o.out().contains(part), part + " missing in:\n" + o.out());
        }
        assertTrue(o.out().indexOf("Does a demonstration.") < o.out().indexOf("--count <N>")
                && o.out().indexOf("--count <N>") < o.out().indexOf("Example:"),
                "description, options, footer:\n" + o.out());
        assertEquals("", o.err());
        assertEquals(DEMO.help(options()), o.out().stripTrailing());
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
        Outcome o = run(line -> {
            throw new UsageException("--count must be even");
        }, "--count", "3");
        assertEquals(2, o.code());
        assertEquals("error: demo: --count must be even", o.err().strip());
        assertFalse(o.log().contains("--count must be even"), o.log());
    }

    @Test
    void failuresOfTheWorkExitWithOneAndAreLoggedWithTheCommandsName() {
        List<RuntimeException> unchecked = List.of(new IllegalStateException("the folder holds another sweep"),
                new DataException("the archive is truncated"), new UncheckedIOException(new IOException("disk full")),
                new IllegalArgumentException("fewer images than one batch"),
                new TrainingDivergedException("loss is NaN at step 3"));
        for (RuntimeException failure : unchecked) {
            Outcome o = run(line -> {
                throw failure;
            });
            assertEquals(1, o.code(), failure.toString());
            assertTrue(o.log().contains("ERROR error: demo: " + failure.getMessage()), o.log());
            assertEquals("", o.err(), "a failure is logged, not printed as a usage error");
        }
        Outcome io = run(line -> {
            throw new IOException("could not write out/a.png: no space left");
        });
        assertEquals(1, io.code());
        assertTrue(io.log().contains("ERROR error: demo: could not write out/a.png: no space left"), io.log());
    }

    @Test
    void anyOtherExceptionIsABugAndKeepsItsStackTrace() {
        NullPointerException bug = new NullPointerException("a bug");
        NullPointerException thrown = assertThrows(NullPointerException.class,
                () -> DEMO.run(options(), new String[0], line -> {
                    throw bug;
                }));
        assertEquals(bug, thrown);
    }

    @Test
    void theWorksExitCodeAndTheParsedLineArePassedThrough() {
        int[] seen = new int[1];
        Outcome o = run(line -> {
            seen[0] = Command.wholeNumber(line, "count", 0, 0) + line.getArgList().size();
            return 3;
        }, "a", "--count", "5", "b");
        assertEquals(3, o.code());
        assertEquals(5 + 2, seen[0]);
        assertEquals(0, run(line -> 0).code());
        assertEquals(1, run(line -> 1).code());
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
    void aCommandNeedsAName() {
        assertThrows(IllegalArgumentException.class, () -> new Command(" ", "x", "y"));
        assertEquals("", new Command("x", "x", "y").footer());
    }
}
