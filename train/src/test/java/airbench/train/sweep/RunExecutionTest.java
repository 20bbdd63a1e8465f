package airbench.train.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a sweep's run keeps its unfinished training ({@link RunExecution#workFolder}). */
class RunExecutionTest {
    private static final RunSpec RUN = new RunSpec("flip=none", 4, Map.of("epochs", "2"));

    @Test
    void aVisibleSweepFolderHoldsTheRunsUnfinishedTraining(@TempDir Path sweep) throws Exception {
        Files.writeString(sweep.resolve(SweepFolder.PLAN_FILE), "{}");
        assertEquals(sweep.resolve("flip=none/seed-4/unfinished"), RunExecution.workFolder(sweep.toString(), RUN));
    }

    /**
     * An executor that does not see the driver's sweep folder (no shared file system) keeps the run on its own
     * disk, at a place that is the same for every attempt of that sweep and differs between sweeps.
     */
    @Test
    void anInvisibleSweepFolderMeansAFolderOfThisMachineNamedAfterTheSweep(@TempDir Path dir) {
        String elsewhere = dir.resolve("on-the-driver/sweeps/flip").toString();
        Path work = RunExecution.workFolder(elsewhere, RUN);
        assertEquals(Path.of(System.getProperty("java.io.tmpdir")), work.getParent().getParent().getParent());
        assertEquals("flip=none/seed-4", work.getParent().getParent().relativize(work).toString());
        assertEquals(work, RunExecution.workFolder(elsewhere, RUN));
        assertNotEquals(work, RunExecution.workFolder(elsewhere + "-2", RUN));
    }
}
