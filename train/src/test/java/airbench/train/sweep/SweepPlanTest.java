package airbench.train.sweep;

import airbench.train.cli.SweepCommand;
import airbench.train.run.UsageException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's plan, command line and Spark settings, without training anything. */
class SweepPlanTest {

    @Test
    void gridValuesAreSplitOnCommasOrOnSemicolonsWhenValuesHoldCommas() {
        assertEquals(new Axis("flip", List.of("alternating", "random", "none")),
                SweepPlan.parseGrid("flip=alternating, random,none"));
        assertEquals(new Axis("widths", List.of("64,256,256", "32,64,64")),
                SweepPlan.parseGrid("widths=64,256,256;32,64,64"));
        assertThrows(UsageException.class, () -> SweepPlan.parseGrid("flip"));
        assertThrows(UsageException.class, () -> SweepPlan.parseGrid("flip=a,,b"));
        assertThrows(UsageException.class, () -> SweepPlan.parseGrid("flip=none,none"));
    }

    @Test
    void seedsAreNumbersAndRanges() {
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), SweepPlan.parseSeeds("0-4"));
        assertEquals(List.of(1L, 5L, 9L), SweepPlan.parseSeeds("9,1,5,5"));
        assertEquals(List.of(0L, 1L, 20L), SweepPlan.parseSeeds("0-1, 20"));
        for (String bad : List.of("", "a", "4-2", "-3", "0-1000000")) {
            assertThrows(UsageException.class, () -> SweepPlan.parseSeeds(bad), bad);
        }
    }

    @Test
    void cellsAreEveryCombinationFirstOptionSlowestAndRunsAreCellsTimesSeeds() {
        SweepPlan plan = new SweepPlan(Map.of("recipe", "94", "epochs", "2"),
                List.of(new Axis("flip", List.of("alternating", "none")), new Axis("tta", List.of("0", "1", "2"))),
                List.of(3L, 1L));
        List<String> names = plan.cells().stream().map(Cell::name).toList();
        assertEquals(List.of("flip=alternating_tta=0", "flip=alternating_tta=1", "flip=alternating_tta=2",
                "flip=none_tta=0", "flip=none_tta=1", "flip=none_tta=2"), names);
        List<RunSpec> runs = plan.runs();
        assertEquals(12, runs.size());
        assertEquals("flip=alternating_tta=0/seed-1", runs.get(0).folder());
        assertEquals("flip=alternating_tta=0/seed-3", runs.get(1).folder());
        // A run's options are those the train command line gives for the same flags.
        assertEquals(Map.of("recipe", "94", "epochs", "2", "flip", "none", "tta", "2"), runs.get(11).options());
        assertEquals("4", runs.get(11).optionsWithThreads(4).get("threads"));
        assertFalse(runs.get(11).options().containsKey("threads"));
    }

    @Test
    void valuesThatAreNoFolderNamesAreMadeSafeAndClashesRefused() {
        assertEquals("widths=64+256+256", SweepPlan.cellName(Map.of("widths", "64,256,256")));
        assertEquals("all", SweepPlan.cellName(Map.of()));
        SweepPlan clash = new SweepPlan(Map.of(), List.of(new Axis("data-dir", List.of("/d/a b", "/d/a:b"))),
                List.of(0L));
        assertThrows(UsageException.class, clash::cells);
    }

    @Test
    void switchesAreTrueOrFalseInASweep() {
        SweepPlan plan = new SweepPlan(Map.of(), List.of(new Axis("no-tensorboard", List.of("true", "false"))),
                List.of(0L));
        List<RunSpec> runs = plan.runs();
        assertEquals("true", runs.get(0).options().get("no-tensorboard"));
        assertFalse(runs.get(1).options().containsKey("no-tensorboard"));
        SweepPlan bad = new SweepPlan(Map.of("no-tensorboard", "yes"), List.of(), List.of(0L));
        assertThrows(UsageException.class, bad::runs);
    }

    @Test
    void optionsOfFoldersSeedsAndProcessesAreRefusedWithTheWayToSayIt() {
        UsageException seed = assertThrows(UsageException.class,
                () -> new SweepPlan(Map.of("seed", "3"), List.of(), List.of(0L)));
        assertTrue(seed.getMessage().contains("--seeds"), seed.getMessage());
        UsageException runs = assertThrows(UsageException.class,
                () -> new SweepPlan(Map.of(), List.of(new Axis("runs", List.of("1", "2"))), List.of(0L)));
        assertTrue(runs.getMessage().contains("--seeds"), runs.getMessage());
        UsageException onednn = assertThrows(UsageException.class,
                () -> new SweepPlan(Map.of(), List.of(new Axis("onednn", List.of("on", "off"))), List.of(0L)));
        assertTrue(onednn.getMessage().contains("once per process"), onednn.getMessage());
        assertThrows(UsageException.class, () -> new SweepPlan(Map.of("flip", "none"),
                List.of(new Axis("flip", List.of("random"))), List.of(0L)));
        assertThrows(UsageException.class, () -> new SweepPlan(Map.of("colour", "red"), List.of(), List.of(0L)));
        // Sweep-wide onednn is an option of every run.
        assertEquals("off", new SweepPlan(Map.of("onednn", "off"), List.of(), List.of(0L)).runs().get(0)
                .options().get("onednn"));
    }

    @Test
    void shardsOfOneSweepMayReadTheirDataFromAnotherPathButNotOtherCells() {
        Axis flip = new Axis("flip", List.of("alternating", "none"));
        SweepPlan here = new SweepPlan(Map.of("data-dir", "/a/cifar", "epochs", "2"), List.of(flip), List.of(0L, 1L));
        assertTrue(here.sameSweep(new SweepPlan(Map.of("data-dir", "/b/cifar", "epochs", "2"), List.of(flip),
                List.of(0L, 1L))));
        assertFalse(here.sameSweep(new SweepPlan(Map.of("data-dir", "/a/cifar", "epochs", "3"), List.of(flip),
                List.of(0L, 1L))));
        assertFalse(here.sameSweep(new SweepPlan(Map.of("data-dir", "/a/cifar", "epochs", "2"), List.of(flip),
                List.of(0L))));
        Axis dataA = new Axis("data-dir", List.of("/a/1", "/a/2"));
        Axis dataB = new Axis("data-dir", List.of("/b/1", "/b/2"));
        assertFalse(new SweepPlan(Map.of(), List.of(dataA), List.of(0L))
                .sameSweep(new SweepPlan(Map.of(), List.of(dataB), List.of(0L))), "data folders that are cells");
    }

    @Test
    void aPlanFileGivesOptionsGridAndSeeds(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("plan.json");
        Files.writeString(file, """
                {"options": {"recipe": "94", "epochs": 2, "epoch-eval": false},
                 "grid": {"flip": ["alternating", "none"], "tta": [0, 2]},
                 "seeds": "0-2"}
                """);
        SweepPlan plan = SweepPlan.readFile(file);
        Map<String, String> options = new LinkedHashMap<>();
        options.put("recipe", "94");
        options.put("epochs", "2");
        options.put("epoch-eval", "false");
        assertEquals(options, plan.options());
        assertEquals(List.of(new Axis("flip", List.of("alternating", "none")), new Axis("tta", List.of("0", "2"))),
                plan.grid());
        assertEquals(List.of(0L, 1L, 2L), plan.seeds());
        assertEquals(plan, SweepPlan.fromJson(airbench.train.run.Json.MAPPER.valueToTree(plan.toMap())));

        Files.writeString(file, "{\"grid\": {\"flip\": \"none\"}}");
        assertThrows(UsageException.class, () -> SweepPlan.readFile(file));
        Files.writeString(file, "{\"seed\": 3}");
        UsageException unknown = assertThrows(UsageException.class, () -> SweepPlan.readFile(file));
        assertTrue(unknown.getMessage().contains("\"seed\""), unknown.getMessage());
    }

    @Test
    void aBadValueStopsTheSweepBeforeAnyRunWithTheCellNamed(@TempDir Path dir) {
        Path out = dir.resolve("sweep");
        int code = SweepCommand.run(new String[] {"--grid", "flip=alternating,sideways", "--output", out.toString()});
        assertEquals(2, code);
        assertFalse(Files.exists(out), "nothing is written for a sweep that cannot run");
        assertEquals(2, SweepCommand.run(new String[] {"--seed", "3"}));
        assertEquals(2, SweepCommand.run(new String[] {"--shard", "2/2", "--output", out.toString()}));
        assertEquals(2, SweepCommand.run(new String[] {"--shard", "0/2"}), "a shard needs --output");
        assertEquals(0, SweepCommand.run(new String[] {"--help"}));
        System.setProperty("train.recipe", "95");
        try {
            assertEquals(2, SweepCommand.run(new String[] {"--output", out.toString()}),
                    "a train property would be silently left out of the sweep's runs");
        } finally {
            System.clearProperty("train.recipe");
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void aFolderOfSomethingElseIsNotWrittenInto(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        int code = SweepCommand.run(new String[] {"--output", dir.toString(), "--shard", "0/1", "--epochs", "0.01"});
        assertEquals(2, code);
        assertEquals(List.of("notes.txt"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void sparkGetsTheThreadsPerRunAsTaskCpusAndALocalMasterOfTheCoresInSlots() {
        Optional<String> none = Optional.empty();
        assertEquals(new SparkEngine.Settings("local[8]", 2), SparkEngine.settings(none, Optional.empty(), none, none, 8));
        assertEquals(new SparkEngine.Settings("local[6]", 3), SparkEngine.settings(none, Optional.of(3), none, none, 7));
        assertEquals(new SparkEngine.Settings("local[1]", 1), SparkEngine.settings(none, Optional.empty(), none, none, 1));
        assertEquals(new SparkEngine.Settings("local[4]", 4), SparkEngine.settings(none, Optional.of(4), none, none, 2));
        // spark-submit's master and spark.task.cpus are taken; a cluster's default is Spark's one core per task.
        assertEquals(new SparkEngine.Settings("spark://h:7077", 4),
                SparkEngine.settings(none, Optional.empty(), Optional.of("spark://h:7077"), Optional.of("4"), 2));
        assertEquals(new SparkEngine.Settings("yarn", 1), SparkEngine.settings(Optional.of("yarn"), Optional.empty(),
                none, none, 2));
        assertThrows(UsageException.class, () -> SparkEngine.settings(Optional.of("local[1]"), Optional.of(2), none,
                none, 8));
        assertThrows(UsageException.class, () -> SparkEngine.settings(Optional.of("yarn"), Optional.empty(),
                Optional.of("spark://h:7077"), none, 8));
        assertThrows(UsageException.class, () -> SparkEngine.settings(none, Optional.of(2), none, Optional.of("4"), 8));
    }

    @Test
    void aClusterMasterWithoutSparkSubmitNeedsTheProgramAsJars() {
        // Here the classes come from target/classes, as under mvn exec:java: nothing to send to executors.
        assertEquals(List.of(), SparkEngine.applicationJars());
        UsageException e = assertThrows(UsageException.class, () -> SparkEngine.start(
                Optional.of("spark://127.0.0.1:7077"), Optional.of(1), Map.of(), "test"));
        assertTrue(e.getMessage().contains("spark-submit"), e.getMessage());
    }

    @Test
    void anExecutorGetsItsOwnJavaCppCacheUnlessItWasGivenOne() {
        Path scratch = Path.of("/scratch/executor-3");
        assertEquals(Optional.of(scratch.resolve("javacpp-cache")), JavaCppCache.choose("3", null, scratch));
        assertEquals(Optional.empty(), JavaCppCache.choose("3", "/opt/javacpp-prefilled", scratch));
        assertEquals(Optional.empty(), JavaCppCache.choose("driver", null, scratch), "local mode keeps the JVM's");
        assertTrue(JavaCppCache.choose("1", null, Path.of("/a")).get()
                .startsWith(Path.of("/a")), "inside the executor's own folder");
    }
}
