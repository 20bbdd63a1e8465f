package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@code --onednn} is taken by the shell for every command that does not have its own (train and sweep record it
 * with their runs), before the command's work, which never sees it.
 */
class OneDnnOptionTest {

    @Test
    void everyCommandTakesItAndOnlyTrainAndSweepHaveTheirOwn() {
        for (Command command : Main.COMMANDS) {
            boolean own = command.name().equals(TrainCommand.NAME) || command.name().equals(SweepCommand.NAME);
            assertEquals(!own, command.takesOneDnn(), command.name());
            assertTrue(command.help().contains("--onednn"), command.name() + " --help lacks --onednn");
        }
    }

    @Test
    void aMissingOrBadValueIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[] {"bench", "--onednn"}, new Properties(), out, errors));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("error: bench: Missing argument for option: onednn"),
                err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, Main.run(new String[] {"step-timing", "--onednn", "sometimes"}, new Properties(), out, errors));
        assertEquals("error: step-timing: bad value 'sometimes' for --onednn; valid values: on, off",
                err.toString(StandardCharsets.UTF_8).strip());
        // predict's file arguments do not include it
        err.reset();
        assertEquals(2, Main.run(new String[] {"predict", "--onednn=on", "--model", "m"}, new Properties(), out,
                errors));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("name at least one image file or folder"),
                err.toString(StandardCharsets.UTF_8));
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("--onednn"));
    }
}
