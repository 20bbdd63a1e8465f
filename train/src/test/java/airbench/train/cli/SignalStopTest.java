package airbench.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import airbench.train.RunResult;
import airbench.train.TinyTraining;
import airbench.train.run.Checkpoint;
import airbench.train.run.Json;
import airbench.train.run.RunFolder;
import airbench.train.sweep.SyntheticCifarFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;

/**
 * A real SIGTERM to a training: a child JVM (this test's classpath, {@link Main}, a tiny run on a folder of synthetic
 * CIFAR-10 files) gets the signal during its second epoch, exits with status 143 after printing what it kept and the
 * command that continues it; that continuation (in this JVM) ends with the final weights and history of the same
 * training never interrupted.
 */
class SignalStopTest {
    /**
     * A tiny recipe-94 training: 2,560 images, 10 steps of 256 per epoch, 3 epochs; without XLA, whose compilation
     * would cost each of the three processes seconds (bit-exact resumption under XLA is {@code StopAndResumeTest}'s).
     */
    private static final List<String> TINY = List.of("--widths", TinyTraining.WIDTHS, "--batch-size", "256",
            "--epochs", "3", "--train-subset", "2560", "--threads", "2", "--epoch-eval", "false", "--tta", "0",
            "--compile", "none", "--no-tensorboard");
    /** The console table's row of seed 0's first epoch: {@code |     0 |     1 |    10 | ...}. */
    private static final Pattern FIRST_EPOCH_ROW = Pattern.compile("\\|\\s+0 \\|\\s+1 \\|\\s+10 \\|");
    private static final Pattern STOP_LINE = Pattern.compile(
            "seed 0 stopped \\(SIGTERM\\) after step (\\d+) of 30 \\(.*\\); its state at that step is in (\\S+)\\."
                    + " Continue with: (.+)$");

    @Test
    void sigtermStopsAChildTrainingWithStatus143AndItsResumptionEqualsTheUninterruptedRun(@TempDir Path dir)
            throws Exception {
        Path data = SyntheticCifarFolder.write(dir.resolve("data"));
        Path stoppedRuns = dir.resolve("stopped");
        ChildJvm child = signalledAfterTheFirstEpoch(data, stoppedRuns, "TERM");
        String log = child.output();
        assertEquals(143, child.exitValue(), log);

        Path invocation = onlyFolder(stoppedRuns);
        Matcher stop = child.lines().stream().map(STOP_LINE::matcher).filter(Matcher::find).findFirst()
                .orElseThrow(() -> new AssertionError("no stop line in:\n" + log));
        int steps = Integer.parseInt(stop.group(1));
        assertTrue(steps >= 10 && steps < 30, "stopped after the first epoch and before the end: " + steps);
        Path checkpoint = invocation.resolve("seed-0").resolve(RunFolder.CHECKPOINT_FILE);
        assertEquals(checkpoint.toString(), stop.group(2));
        assertEquals(Main.PROGRAM + " --resume " + invocation, stop.group(3));
        assertEquals(steps, Checkpoint.read(checkpoint).header().steps(), "the checkpoint is at the stop's step");
        assertTrue(log.contains("SIGTERM received: stopping after the current training step"), log);

        // The continuation, as the line says (in this JVM), and the same training never stopped.
        assertEquals(0, Main.run(new String[] {"--resume", invocation.toString()}));
        List<String> straight = new ArrayList<>(TINY);
        straight.addAll(List.of("--data-dir", data.toString(), "--output", dir.resolve("straight").toString()));
        assertEquals(0, Main.run(straight.toArray(String[]::new)));
        Path straightRun = onlyFolder(dir.resolve("straight")).resolve("seed-0");
        TinyTraining.assertSameFinalWeights(straightRun, invocation.resolve("seed-0"));
        RunResult a = Json.read(straightRun.resolve(RunFolder.RESULT_FILE), RunResult.class);
        RunResult b = Json.read(invocation.resolve("seed-0").resolve(RunFolder.RESULT_FILE), RunResult.class);
        assertEquals(1, b.resumedTimes());
        TinyTraining.assertSameHistory(a.history(), b.history());
        assertEquals(a.ttaAccuracy(), b.ttaAccuracy());
        assertFalse(Files.exists(checkpoint));
    }

    /**
     * Runs the tiny training on {@code data} into {@code runs} in a child JVM, sends it SIG{@code signal} once its
     * first epoch ended, and returns it ended.
     */
    private static ChildJvm signalledAfterTheFirstEpoch(Path data, Path runs, String signal) throws Exception {
        List<String> args = new ArrayList<>(TINY);
        args.addAll(List.of("--data-dir", data.toString(), "--output", runs.toString()));
        try (ChildJvm child = ChildJvm.main(args)) {
            assertTrue(child.awaitLine(FIRST_EPOCH_ROW, 90), "the child trained its first epoch:\n" + child.output());
            child.signal(signal);
            assertTrue(child.awaitExit(60), "the child ended after SIG" + signal + ":\n" + child.output());
            return child;
        }
    }

    /** Ctrl-C: the same stop, with the status 130. */
    @Test
    void sigintStopsAChildTrainingWithStatus130(@TempDir Path dir) throws Exception {
        // A test JVM that ignores SIGINT (a suite started as a script's background job) passes that on to its child,
        // whose JVM then keeps SIGINT ignored (aSignalIgnoredWhenTheProcessStartedIsReportedAsIgnored): no stop to see.
        assumeFalse(ignoredByThisProcess(2), "this JVM was started with SIGINT ignored, and so is its child");
        Path data = SyntheticCifarFolder.write(dir.resolve("data"));
        ChildJvm child = signalledAfterTheFirstEpoch(data, dir.resolve("runs"), "INT");
        String log = child.output();
        assertEquals(130, child.exitValue(), log);
        assertTrue(log.contains("SIGINT received: stopping after the current training step"), log);
        assertTrue(Pattern.compile("seed 0 stopped \\(SIGINT\\) after step \\d+ of 30 .*; its state at that step"
                + " is in .*checkpoint\\.bin\\. Continue with: .* --resume ").matcher(log).find(), log);
    }

    /**
     * A process started with SIGINT ignored (what a script's {@code java ... &} gets, without job control): the JVM
     * keeps it ignored and installs no handler, so SIGINT cannot stop the training; the handlers say so instead of
     * appearing to be installed.
     */
    @Test
    void aSignalIgnoredWhenTheProcessStartedIsReportedAsIgnored() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // trap '' INT, then exec: the JVM starts with SIGINT ignored, as the background job of a script does.
        Process child = new ProcessBuilder("sh", "-c", "trap '' INT; exec \"$0\" \"$@\"", java, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), SignalStopProbe.class.getName()).redirectErrorStream(true)
                .start();
        String log = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), log);
        assertEquals(0, child.exitValue(), log);
        assertTrue(Pattern.compile("(?m)^ignored=\\[(TERM, )?INT\\]$").matcher(log).find(), log);
        assertTrue(log.contains("SIGINT is ignored by this process: it was started with SIGINT ignored"), log);
    }

    @Test
    void theExitStatusOfAStopIs128PlusTheSignalsNumber() {
        assertEquals(143, SignalStop.exitStatus(new Signal("TERM")));
        assertEquals(130, SignalStop.exitStatus(new Signal("INT")));
    }

    @Test
    void theResumeCommandFollowsHowTheProcessWasStarted() {
        Path dir = Path.of("runs", "94-20261203-101500");
        assertEquals("mvn exec:java -Dtrain.resume=runs/94-20261203-101500", TrainCommand.resumeCommand(
                "org.codehaus.plexus.classworlds.launcher.Launcher -B exec:java -Dtrain.recipe=94", dir));
        assertEquals("java -jar train/target/airbench-train.jar --resume runs/94-20261203-101500",
                TrainCommand.resumeCommand("train/target/airbench-train.jar --recipe 94", dir));
        assertEquals("java -jar /opt/airbench.jar --resume runs/94-20261203-101500",
                TrainCommand.resumeCommand("/opt/airbench.jar", dir));
        assertEquals(Main.PROGRAM + " --resume runs/94-20261203-101500",
                TrainCommand.resumeCommand("airbench.train.cli.Main --recipe 94", dir));
        assertEquals(Main.PROGRAM + " --resume runs/94-20261203-101500", TrainCommand.resumeCommand(null, dir));
    }

    /** Whether this process ignores signal number {@code signal} (Linux: the SigIgn mask of /proc/self/status). */
    private static boolean ignoredByThisProcess(int signal) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isRegularFile(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return new java.math.BigInteger(line.substring(7).trim(), 16).testBit(signal - 1);
            }
        }
        return false;
    }

    private static Path onlyFolder(Path parent) throws IOException {
        try (Stream<Path> children = Files.list(parent)) {
            List<Path> folders = children.filter(Files::isDirectory).toList();
            assertEquals(1, folders.size(), "one invocation folder in " + parent + ": " + folders);
            return folders.get(0);
        }
    }
}
