package airbench.train.cli;

import airbench.train.run.UsageException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --onednn} is taken off a subcommand's arguments before the subcommand's own parser sees them. */
class OneDnnOptionTest {

    @Test
    void takesTheOptionInEitherFormAndLeavesTheRest() {
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", "m", "--onednn", "off", "--tta", "1"));
        assertEquals("off", Main.takeOption(args, "--onednn"));
        assertEquals(List.of("evaluate", "--model", "m", "--tta", "1"), args);

        List<String> joined = new ArrayList<>(List.of("bench", "--onednn=on"));
        assertEquals("on", Main.takeOption(joined, "--onednn"));
        assertEquals(List.of("bench"), joined);

        List<String> absent = new ArrayList<>(List.of("predict", "--model", "m"));
        assertNull(Main.takeOption(absent, "--onednn"));
        assertEquals(List.of("predict", "--model", "m"), absent);
    }

    @Test
    void aMissingOrBadValueIsAUsageError() {
        List<String> args = new ArrayList<>(List.of("bench", "--onednn"));
        UsageException e = assertThrows(UsageException.class, () -> Main.takeOption(args, "--onednn"));
        assertEquals("--onednn needs a value: on or off", e.getMessage());
        assertEquals(2, Main.run(new String[] {"step-timing", "--onednn", "sometimes"}));
    }
}
