package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The select command's command line: bad options stop before any work, and a refused folder is a usage error. */
class SelectCommandTest {

    @Test
    void badOptionsStopBeforeAnyWorkWithExitCodeTwo() {
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--fraction", "1.5"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--fraction", "abc"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--runs", "0"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--tta", "3"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--precision", "fp16"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"--no-such-option"}));
        assertEquals(2, SelectCommand.COMMAND.run(new String[] {"stray"}));
        assertEquals(0, SelectCommand.COMMAND.run(new String[] {"--help"}));
        assertTrue(SelectCommand.COMMAND.help().contains("--confidence-epochs"));
    }

    /** Through the real entry point on the real data: a folder of the user's is refused (exit code 2), untouched. */
    @Test
    void aFolderOfOtherFilesIsABadCommandLine(@TempDir Path dir) throws Exception {
        String shared = System.getProperty("airbench.shared.data");
        Path data = shared == null ? null : Path.of(shared, "cifar-10-binary.tar.gz");
        assumeTrue(data != null && Files.isRegularFile(data), "CIFAR-10 not in ../shared/data; skipping");
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertEquals(2, Main.run(new String[] {"select", "--data-dir", data.toString(), "--train-subset", "2048",
                "--fraction", "0.5", "--precision", "fp32", "--compile", "none", "--out", foreign.toString()}));
        try (var files = Files.list(foreign)) {
            assertEquals(1, files.count(), "nothing was written into a folder of the user's");
        }
    }
}
