package airbench.train.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.train.run.ScratchRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a sweep's run keeps its unfinished training ({@link SweepFolder#workFolder}); executor and driver agree. */
class SweepWorkFolderTest {
    private static final RunSpec RUN = new RunSpec("flip=none", 4, Map.of("epochs", "2"));

    @Test
    void aVisibleSweepFolderHoldsTheRunsUnfinishedTraining(@TempDir Path sweep) throws Exception {
        Files.writeString(sweep.resolve(SweepFolder.PLAN_FILE), "{}");
        assertEquals(sweep.resolve("flip=none/seed-4/unfinished"), SweepFolder.workFolder(sweep.toString(), RUN));
    }

    /**
     * The driver and the executor agree on the layout: a checkpoint where the executor's training keeps it makes the
     * run unfinished in the driver's view (counted, reported, continued), and a result makes it finished instead.
     */
    @Test
    void aCheckpointInTheWorkFolderIsWhatTheSweepFolderCallsUnfinished(@TempDir Path sweep) throws Exception {
        Files.writeString(sweep.resolve(SweepFolder.PLAN_FILE), "{}");
        SweepFolder folder = SweepFolder.existing(sweep);
        assertFalse(folder.unfinished(RUN));
        Path checkpoint = ScratchRun.checkpoint(SweepFolder.workFolder(sweep.toString(), RUN), RUN.seed());
        assertEquals(sweep.resolve("flip=none/seed-4/unfinished/seed-4/checkpoint.bin"), checkpoint);
        Files.createDirectories(checkpoint.getParent());
        Files.writeString(checkpoint, "a checkpoint");
        assertTrue(folder.unfinished(RUN));
        Files.writeString(folder.runDir(RUN).resolve(SweepFolder.RESULT_FILE), "{}");
        assertFalse(folder.unfinished(RUN), "a run with its result is finished, whatever is left beside it");
    }

    /**
     * An executor that does not see the driver's sweep folder (no shared file system) keeps the run on its own
     * disk, at a place that is the same for every attempt of that sweep and differs between sweeps.
     */
    @Test
    void anInvisibleSweepFolderMeansAFolderOfThisMachineNamedAfterTheSweep(@TempDir Path dir) {
        String elsewhere = dir.resolve("on-the-driver/sweeps/flip").toString();
        Path work = SweepFolder.workFolder(elsewhere, RUN);
        assertEquals(Path.of(System.getProperty("java.io.tmpdir")), work.getParent().getParent().getParent());
        assertEquals("flip=none/seed-4", work.getParent().getParent().relativize(work).toString());
        assertEquals(work, SweepFolder.workFolder(elsewhere, RUN));
        assertNotEquals(work, SweepFolder.workFolder(elsewhere + "-2", RUN));
    }
}
