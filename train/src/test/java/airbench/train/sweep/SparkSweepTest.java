package airbench.train.sweep;

import airbench.train.cli.Main;
import airbench.train.cli.MergeCommand;
import airbench.train.cli.SweepCommand;
import airbench.train.run.Json;
import static airbench.train.TinyTraining.computedResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.model.TensorFlowRuntime;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep of tiny trainings on a real multi-process Spark cluster ({@code local-cluster[2,1,1024]}: a master, two
 * workers and two executor JVMs, started from the test classpath, once for the class), against the same runs done
 * without Spark (two shards in this JVM, then merged) and against the {@code train} command itself.
 *
 * <p>The grid is flip (alternating, none) x batch size (256, 1024) x seeds 0-1 on 512 images: the cells with batch
 * 1024 cannot form one batch of 512 images and fail when they train (not when the sweep is planned), so the four
 * runs of batch 256 must finish beside four failures.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkSweepTest {
    @TempDir
    static Path shared;
    private static Path data;
    private static JavaSparkContext spark;
    private static Path sparkSweep;

    private static List<String> sweepArgs(Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("--data-dir", data.toString(), "--train-subset", "512",
                "--widths", "8,8,8", "--epochs", "1", "--tta", "1", "--epoch-eval", "false", "--compile", "none",
                "--no-tensorboard", "--grid", "flip=alternating,none", "--grid", "batch-size=256,1024",
                "--seeds", "0-1", "--output", output.toString()));
        args.addAll(List.of(more));
        return args;
    }

    @BeforeAll
    static void cluster() throws Exception {
        data = SyntheticCifarFolder.write(shared.resolve("cifar"));
        // TensorFlow loads here first, so the build's JavaCPP cache is filled before the executors start: they are
        // handed it pre-filled (one of the two race-free ways, see JavaCppCache) and only read it.
        TensorFlowRuntime.status();
        String cache = System.getProperty(JavaCppCache.PROPERTY);
        // The workers of a local cluster put their executors' folders under spark.test.home when testing, not
        // into the working folder.
        Files.createDirectories(shared.resolve("spark-home"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", shared.resolve("spark-home").toString());
        SparkConf conf = new SparkConf().setMaster("local-cluster[2,1,1024]").setAppName("airbench sweep test")
                .set("spark.ui.enabled", "false")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", cache == null ? "" : "-D" + JavaCppCache.PROPERTY + "=" + cache)
                .set("spark.executorEnv.SPARK_SCALA_VERSION", "2.13")
                .set("spark.executorEnv.SPARK_TESTING", "1");
        spark = new JavaSparkContext(conf);
        // Both executors registered before any run is submitted, so that both take runs.
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (spark.sc().statusTracker().getExecutorInfos().length < 3 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(3, spark.sc().statusTracker().getExecutorInfos().length, "driver + 2 executors");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }

    @Test
    @Order(1)
    void sparkSweepOnTwoExecutorsWritesEveryRunAndReportsTheFailingCells() throws Exception {
        sparkSweep = shared.resolve("spark");
        int code = SweepCommand.run(sweepArgs(sparkSweep).toArray(String[]::new), SparkEngine.using(spark));
        assertEquals(1, code, "four runs fail, so the sweep exits with 1");

        Set<Long> pids = new HashSet<>();
        for (String flip : List.of("alternating", "none")) {
            for (int seed = 0; seed < 2; seed++) {
                Path ok = sparkSweep.resolve("flip=" + flip + "_batch-size=256/seed-" + seed);
                assertTrue(Files.isRegularFile(ok.resolve("result.json")), ok + " has no result");
                JsonNode task = Json.MAPPER.readTree(ok.resolve("task.json").toFile());
                pids.add(task.get("pid").asLong());
                assertEquals(1, task.get("threads").asInt(), "the task's one core is the run's one thread");
                assertEquals("1", Json.MAPPER.readTree(ok.resolve("result.json").toFile()).at("/options/threads").asText());

                Path bad = sparkSweep.resolve("flip=" + flip + "_batch-size=1024/seed-" + seed);
                assertFalse(Files.exists(bad.resolve("result.json")));
                String error = Json.MAPPER.readTree(bad.resolve("failure.json").toFile()).get("error").asText();
                assertTrue(error.contains("fewer than one batch of 1024"), error);
                pids.add(Json.MAPPER.readTree(bad.resolve("task.json").toFile()).get("pid").asLong());
            }
        }
        try (Stream<Path> all = Files.walk(sparkSweep)) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().equals("unfinished")).toList(),
                    "finished runs and runs that failed before their first checkpoint leave no unfinished training");
        }
        assertTrue(pids.size() >= 2, "runs should be spread over both executor processes: " + pids);
        assertFalse(pids.contains(ProcessHandle.current().pid()), "no run may train in the driver: " + pids);

        // The summary, against an independent computation from the result files.
        JsonNode summary = Json.MAPPER.readTree(sparkSweep.resolve("summary.json").toFile());
        assertEquals(8, summary.get("runs_planned").asInt());
        assertEquals(4, summary.get("runs_finished").asInt());
        assertEquals(4, summary.get("runs_failed").asInt());
        List<String> csv = Files.readAllLines(sparkSweep.resolve("summary.csv"));
        assertEquals("cell,flip,batch-size,n,failed,missing,mean,sd,ci_low,ci_high,mean_train_seconds", csv.get(0));
        assertEquals(5, csv.size());
        for (JsonNode cell : summary.get("cells")) {
            String name = cell.get("cell").asText();
            String row = csv.stream().filter(l -> l.startsWith(name + ",")).findFirst().orElseThrow();
            String[] fields = row.split(",", -1);
            if (name.endsWith("1024")) {
                assertEquals(0, cell.get("n").asInt());
                assertEquals(2, cell.get("failed").size());
                assertEquals("0", fields[3]);
                assertEquals("2", fields[4]);
                assertEquals("", fields[6]);
                continue;
            }
            double a = accuracy(sparkSweep.resolve(name + "/seed-0/result.json"));
            double b = accuracy(sparkSweep.resolve(name + "/seed-1/result.json"));
            double mean = (a + b) / 2;
            double sd = Math.abs(a - b) / Math.sqrt(2);  // sample sd of two values
            double half = 12.706 * sd / Math.sqrt(2);    // Student's t, 1 degree of freedom, 97.5%
            JsonNode stats = cell.get("tta_accuracy");
            assertEquals(2, stats.get("n").asInt());
            assertEquals(mean, stats.get("mean").asDouble(), 1e-12);
            assertEquals(sd, stats.get("standard_deviation").asDouble(), 1e-12);
            assertEquals(mean - half, stats.get("ci_low").asDouble(), 1e-9);
            assertEquals(mean + half, stats.get("ci_high").asDouble(), 1e-9);
            assertEquals("2", fields[3]);
            assertEquals(mean, Double.parseDouble(fields[6]), 1e-6);
            assertEquals(mean + half, Double.parseDouble(fields[9]), 1e-6);
        }
        for (String chart : List.of("accuracy.png", "tta-levels.png")) {
            assertTrue(Files.size(sparkSweep.resolve("plots").resolve(chart)) > 1000, chart);
        }
    }

    @Test
    @Order(2)
    void theSameSweepAgainSkipsFinishedRunsAndRetriesTheFailedOnes() throws Exception {
        Map<Path, String> before = files(sparkSweep, "result.json", "task.json");
        int code = SweepCommand.run(sweepArgs(sparkSweep).toArray(String[]::new), SparkEngine.using(spark));
        assertEquals(1, code);
        Map<Path, String> after = files(sparkSweep, "result.json", "task.json");
        for (Path file : before.keySet()) {
            if (file.getParent().getParent().getFileName().toString().endsWith("256")) {
                // Untouched: a second training would have other times, dates and perhaps another executor.
                assertEquals(before.get(file), after.get(file), file.toString());
            } else {
                assertNotEquals(before.get(file), after.get(file), "the failed run " + file + " is tried again");
            }
        }
    }

    @Test
    @Order(3)
    void shardsWithoutSparkMergeIntoTheSameSweepWithTheSameRuns() throws Exception {
        Path shard0 = shared.resolve("shard-0");
        Path shard1 = shared.resolve("shard-1");
        assertEquals(1, SweepCommand.run(sweepArgs(shard0, "--shard", "0/2", "--threads", "1").toArray(String[]::new)));
        assertEquals(1, SweepCommand.run(sweepArgs(shard1, "--shard", "1/2", "--threads", "1").toArray(String[]::new)));
        // Round-robin slices: each shard trains half of the runs, the other half is missing from its summary.
        assertEquals(4, Json.MAPPER.readTree(shard0.resolve("summary.json").toFile()).get("runs_missing").asInt());
        Path merged = shared.resolve("merged");
        assertEquals(0, MergeCommand.run(new String[] {shard0.toString(), shard1.toString(), "--output",
                merged.toString()}));

        // Every run trained without Spark computed exactly what its Spark task computed.
        Map<Path, String> sparkResults = files(sparkSweep, "result.json");
        Map<Path, String> mergedResults = files(merged, "result.json");
        assertEquals(sparkResults.keySet(), mergedResults.keySet());
        assertEquals(4, sparkResults.size());
        for (Path run : sparkResults.keySet()) {
            assertEquals(computedResult(sparkResults.get(run)), computedResult(mergedResults.get(run)), run.toString());
        }
        assertEquals(files(sparkSweep, "failure.json").keySet(), files(merged, "failure.json").keySet());

        // The same summary: every column but the mean of measured seconds.
        List<String> sparkCsv = Files.readAllLines(sparkSweep.resolve("summary.csv"));
        List<String> mergedCsv = Files.readAllLines(merged.resolve("summary.csv"));
        assertEquals(sparkCsv.size(), mergedCsv.size());
        for (int i = 0; i < sparkCsv.size(); i++) {
            assertEquals(withoutLastColumn(sparkCsv.get(i)), withoutLastColumn(mergedCsv.get(i)));
        }
        JsonNode a = Json.MAPPER.readTree(sparkSweep.resolve("summary.json").toFile());
        JsonNode b = Json.MAPPER.readTree(merged.resolve("summary.json").toFile());
        for (int c = 0; c < a.get("cells").size(); c++) {
            assertEquals(a.get("cells").get(c).get("tta_accuracy"), b.get("cells").get(c).get("tta_accuracy"));
        }
        assertEquals(a.get("plan"), b.get("plan"));
    }

    @Test
    @Order(4)
    void aSweepRunIsWhatTheTrainCommandWritesForTheSameOptions() throws Exception {
        Path out = shared.resolve("train-command");
        int code = Main.run(new String[] {"--data-dir", data.toString(), "--train-subset", "512", "--widths", "8,8,8",
                "--epochs", "1", "--tta", "1", "--epoch-eval", "false", "--compile", "none", "--no-tensorboard",
                "--flip", "none", "--batch-size", "256", "--seed", "1", "--threads", "1", "--output", out.toString()});
        assertEquals(0, code);
        Path single;
        try (Stream<Path> files = Files.walk(out)) {
            single = files.filter(p -> p.getFileName().toString().equals("result.json")).findFirst().orElseThrow();
        }
        ObjectNode trained = computedResult(Files.readString(single));
        // The train command records where its invocation folder went; a sweep run has no --output of its own.
        assertEquals(out.toString(), ((ObjectNode) trained.get("options")).remove("output").asText());
        assertEquals(trained, computedResult(Files.readString(
                sparkSweep.resolve("flip=none_batch-size=256/seed-1/result.json"))));
    }

    /**
     * An executor lost in the middle of a run (both executor JVMs killed, as a preempted machine would be): Spark
     * retries the task on the executors the cluster starts anew, and the retry continues from the checkpoint the
     * run left in its {@code unfinished/} folder (written every 3 steps) instead of from the start. The result is
     * the one the same run gives uninterrupted (here as a shard in this JVM), the summary says it was continued,
     * and the folder of the unfinished training is gone.
     */
    @Test
    @Order(5)
    void aRunWhoseExecutorsAreKilledContinuesFromItsCheckpointWhenSparkRetriesIt() throws Exception {
        // 20 epochs of 10 steps: long enough to be killed between its first checkpoint and its end.
        List<String> options = List.of("--data-dir", data.toString(), "--train-subset", "2560", "--batch-size", "256",
                "--widths", "8,8,8", "--epochs", "20", "--tta", "0", "--epoch-eval", "false", "--compile", "none",
                "--no-tensorboard", "--checkpoint-every", "3", "--grid", "flip=random", "--seeds", "3");
        Path killed = shared.resolve("killed");
        Path run = killed.resolve("flip=random/seed-3");
        Path checkpoint = run.resolve("unfinished/seed-3/checkpoint.bin");
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("--output", killed.toString()));
        java.util.concurrent.CompletableFuture<Integer> sweep = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> SweepCommand.run(args.toArray(String[]::new), SparkEngine.using(spark)));
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!Files.exists(checkpoint) && !sweep.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(checkpoint), "the run wrote its first checkpoint");
        // The workers of a local cluster are threads of this JVM, so their executors are its child processes.
        List<ProcessHandle> executors = ProcessHandle.current().children()
                .filter(p -> p.info().command().orElse("").endsWith("java")).toList();
        assertEquals(2, executors.size(), "the cluster's two executor JVMs: " + executors);
        executors.forEach(ProcessHandle::destroyForcibly);
        assertEquals(0, sweep.get(240, java.util.concurrent.TimeUnit.SECONDS), "the retried run finishes");

        JsonNode task = Json.MAPPER.readTree(run.resolve("task.json").toFile());
        assertTrue(task.get("attempt").asInt() >= 1, "Spark retried the task: " + task);
        String resultJson = Files.readString(run.resolve("result.json"));
        assertEquals(1, Json.MAPPER.readTree(resultJson).get("resumed_times").asInt(),
                "the retry continued from the checkpoint");
        assertFalse(Files.exists(run.resolve("unfinished")), "the unfinished training is cleared once recorded");
        JsonNode summary = Json.MAPPER.readTree(killed.resolve("summary.json").toFile());
        assertEquals(1, summary.get("runs_resumed").asInt());
        List<String> runsCsv = Files.readAllLines(killed.resolve("runs.csv"));
        assertTrue(runsCsv.get(0).contains(",status,tta_accuracy,train_seconds,resumed_times,"), runsCsv.get(0));
        assertTrue(runsCsv.get(1).startsWith("flip=random,random,3,finished,"), runsCsv.get(1));
        assertEquals("1", runsCsv.get(1).split(",")[6], runsCsv.get(1));

        // The same run never interrupted, without Spark.
        Path straight = shared.resolve("not-killed");
        List<String> shardArgs = new ArrayList<>(options);
        shardArgs.addAll(List.of("--output", straight.toString(), "--shard", "0/1", "--threads", "1"));
        assertEquals(0, SweepCommand.run(shardArgs.toArray(String[]::new)));
        ObjectNode once = computedResult(Files.readString(straight.resolve("flip=random/seed-3/result.json")));
        ObjectNode twice = computedResult(resultJson);
        assertEquals(0, once.remove("resumed_times").asInt());
        twice.remove("resumed_times");
        assertEquals(once, twice);
    }

    private static double accuracy(Path result) throws IOException {
        return Json.MAPPER.readTree(result.toFile()).get("tta_accuracy").asDouble();
    }

    private static String withoutLastColumn(String line) {
        return line.substring(0, line.lastIndexOf(','));
    }

    /** Files of the given names under {@code root}, by path relative to it, with their contents. */
    private static Map<Path, String> files(Path root, String... names) throws IOException {
        Set<String> wanted = Set.of(names);
        Map<Path, String> files = new HashMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(p -> wanted.contains(p.getFileName().toString())).toList()) {
                files.put(root.relativize(p), Files.readString(p));
            }
        }
        return files;
    }
}
