package airbench.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.CpuFeatures;
import airbench.model.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunFolder#openAt}, the fixed-place invocation folder in which a sweep's run keeps its unfinished training:
 * a new folder records the options as {@code train} records them; a folder that exists continues only the options
 * it was started with (apart from those a resume may change), with the precision and compilation its start chose.
 */
class RunFolderOpenAtTest {
    private static final CpuFeatures BF16_CPU = new CpuFeatures("test CPU with bf16", Set.of("avx2", "avx512f",
            "avx512_bf16"));
    private static final CpuFeatures AVX2_CPU = new CpuFeatures("test CPU without bf16", Set.of("avx2"));

    private static Map<String, String> raw(String... pairs) {
        Map<String, String> raw = new LinkedHashMap<>(Map.of("recipe", "94", "seed", "3", "threads", "2"));
        for (int i = 0; i < pairs.length; i += 2) {
            raw.put(pairs[i], pairs[i + 1]);
        }
        return raw;
    }

    @Test
    void aNewFolderRecordsThePinnedOptionsAndTrainsThemAsGiven(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("cell/seed-3/unfinished");
        TrainOptions options = TrainOptions.resolve(raw("epochs", "2"), BF16_CPU);
        assertSame(options, RunFolder.openAt(work, options));
        Map<?, ?> stored = Json.read(work.resolve(RunFolder.OPTIONS_FILE), Map.class);
        assertEquals("bf16", stored.get("precision"), "auto's choice is recorded, as train records it");
        assertEquals("2", stored.get("epochs"));
        assertFalse(options.raw().containsKey("precision"), "the run trains the options as given");
    }

    @Test
    void theSameRunContinuesWithTheThreadsOfItsNewMachine(@TempDir Path dir) throws Exception {
        RunFolder.openAt(dir, TrainOptions.resolve(raw("epochs", "2"), BF16_CPU));
        Map<String, String> again = raw("epochs", "2", "threads", "4", "checkpoint-every", "5");
        TrainOptions continued = RunFolder.openAt(dir, TrainOptions.resolve(again, BF16_CPU));
        assertEquals(again, continued.raw());
        assertEquals(4, continued.threads());
        assertEquals(5, continued.checkpointEvery());
    }

    @Test
    void otherOptionsAreRefusedNamingEachDifferenceAndTheWayOut(@TempDir Path dir) throws Exception {
        RunFolder.openAt(dir, TrainOptions.resolve(raw("epochs", "2"), BF16_CPU));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunFolder.openAt(dir,
                TrainOptions.resolve(raw("epochs", "3", "flip", "none"), BF16_CPU)));
        assertTrue(e.getMessage().startsWith(dir + " holds an unfinished training of other options ("),
                e.getMessage());
        assertTrue(e.getMessage().contains("--epochs 2 there, 3 now"), e.getMessage());
        assertTrue(e.getMessage().contains("--flip not given there, none now"), e.getMessage());
        assertTrue(e.getMessage().endsWith("delete that folder to train this run from its start"), e.getMessage());
    }

    @Test
    void autoPrecisionOnAnotherMachineKeepsTheChoiceOfTheStart(@TempDir Path dir) throws Exception {
        RunFolder.openAt(dir, TrainOptions.resolve(raw(), BF16_CPU));
        TrainOptions here = TrainOptions.resolve(raw(), AVX2_CPU);
        assertEquals("fp32", here.pinnedRaw().get("precision"), "auto would choose float32 here");
        TrainOptions continued = RunFolder.openAt(dir, here);
        assertEquals("bf16", continued.raw().get("precision"));
        assertEquals(Precision.BF16, continued.execution().precision(), "trained in the start's precision");
        // An explicit precision is the user's word: other than the start's, it is refused.
        assertThrows(IllegalStateException.class,
                () -> RunFolder.openAt(dir, TrainOptions.resolve(raw("precision", "fp32"), AVX2_CPU)));
        assertTrue(Files.isRegularFile(dir.resolve(RunFolder.OPTIONS_FILE)));
    }
}
