package airbench.train.cli;

import airbench.train.Recipe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.DefaultParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parity command's options: one piece of a recipe at a time, and refusals of bad input. */
class ParityCommandTest {

    private static ParityCommand.Settings settings(String... args) throws Exception {
        return ParityCommand.settings(DefaultParser.builder().get().parse(ParityCommand.options(), args));
    }

    @Test
    void eachPieceOfAirbench96CanBeAddedTo94Alone() throws Exception {
        ParityCommand.Settings s = settings("--recipe", "94", "--convs-per-block", "3", "--residual", "--bn-memory", "0.9");
        Recipe r = s.options().recipe();
        assertEquals(3, r.network().convsPerBlock());
        assertTrue(r.network().residual());
        assertEquals(0.9, r.network().batchNormMemory());
        assertEquals(List.of(64, 256, 256), r.network().widths());
        assertEquals(Recipe.AIRBENCH94.augment(), r.augment());
        assertEquals("94 + 3 convs per block + residual + BatchNorm memory 0.9", s.name());

        s = settings("--recipe", "94", "--cutout", "12", "--translate", "4", "--warmup-fraction", "0.1", "--final-lr", "0");
        r = s.options().recipe();
        assertEquals(12, r.augment().cutout());
        assertEquals(4, r.augment().translate());
        assertEquals(0.1, r.warmupFraction());
        assertEquals(0.0, r.finalLrMultiplier());
        assertEquals(Recipe.AIRBENCH94.network(), r.network());
    }

    @Test
    void comparesInFloat32WithoutXlaUnlessAsked() throws Exception {
        ParityCommand.Settings s = settings("--recipe", "96");
        assertEquals("FP32", s.options().precision().name());
        assertEquals("NONE", s.options().compile().name());
        assertEquals(20, s.steps());
        assertEquals(0, s.firstStep());
        assertEquals(1000, s.testImages());
        assertEquals(Recipe.AIRBENCH96, s.options().recipe());
    }

    private static int run(String... args) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return ParityCommand.COMMAND.run(args, new java.util.Properties(), quiet, quiet);
    }

    @Test
    void badValuesAreRefusedAsUsageErrors() {
        assertEquals(2, run("--steps", "0"));
        assertEquals(2, run("--recipe", "97"));
        assertEquals(2, run("--convs-per-block", "4"));
        assertEquals(2, run("--residual"));  // the residual needs three convolutions per block
        assertEquals(2, run("--test-images", "20000"));
        assertEquals(2, run("--no-such-option"));
        assertEquals(2, run("stray"));
        assertEquals(2, run("--recipe", "94muon"));  // no Muon on the PyTorch side
        assertEquals(2, run("--recipe", "96faster"));  // no proxy filter on the PyTorch side
    }

    @Test
    void aFolderThatAlreadyHoldsACaseIsNotOverwritten(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("case.json"), "{}");
        assertEquals(1, run("--recipe", "94", "--out", dir.toString(), "--data-dir", dir.resolve("none").toString()));
        assertEquals("{}", Files.readString(dir.resolve("case.json")));
    }
}
