package airbench.train.sweep;

import airbench.train.run.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;

/**
 * Runs a sweep's trainings as Spark tasks, one task per training (RDD API): embedded ({@code local[K]}, no
 * cluster) by default, or on the cluster of {@code --master URL} or {@code spark-submit}.
 *
 * <p>Each run is its own one-task job, submitted all at once: the scheduler runs as many at a time as there are
 * task slots, each result comes back to the driver as soon as its task ends (the driver writes it at once, so an
 * interrupted sweep keeps what finished), and a task that Spark finally gives up on (an executor lost too often)
 * fails its run only. Each task gets {@code spark.task.cpus} cores and gives its TensorFlow session that many
 * threads ({@link TaskContext#cpus()}), so executors running several trainings do not oversubscribe their cores.
 */
final class SparkEngine implements RunEngine {
    private static final Logger LOG = LogManager.getLogger(SparkEngine.class);
    private static final Pattern LOCAL_MASTER = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\d+)?])?");
    /** How often the driver looks for finished tasks. */
    private static final long POLL_MILLIS = 200;

    private final JavaSparkContext spark;
    private final boolean owned;

    private SparkEngine(JavaSparkContext spark, boolean owned) {
        this.spark = spark;
        this.owned = owned;
    }

    /** An engine on a Spark context that the caller owns (tests keep one cluster for several sweeps). */
    static SparkEngine using(JavaSparkContext spark) {
        return new SparkEngine(spark, false);
    }

    /**
     * Starts Spark. The configuration is Spark's own (what {@code spark-submit} set, as {@code spark.*} system
     * properties) plus {@code conf}; then the master and the threads per run:
     * <ul>
     *   <li>master: {@code --master}, else what spark-submit gave, else {@code local[K]} with K the cores of this
     *       machine used in slots of the threads per run;</li>
     *   <li>threads per run ({@code spark.task.cpus}): {@code --threads}, else a {@code spark.task.cpus} already
     *       set, else 2 (at most the cores) on a local master and Spark's default 1 on a cluster.</li>
     * </ul>
     *
     * @throws UsageException for contradicting settings or a local master with fewer cores than threads per run
     */
    static SparkEngine start(Optional<String> master, Optional<Integer> threads, Map<String, String> conf,
                             String appName) {
        SparkConf spark = new SparkConf();
        conf.forEach(spark::set);
        Settings settings = settings(master, threads, optional(spark, "spark.master"),
                optional(spark, "spark.task.cpus"), Runtime.getRuntime().availableProcessors());
        spark.setMaster(settings.master());
        spark.set("spark.task.cpus", String.valueOf(settings.threadsPerRun()));
        spark.setIfMissing("spark.app.name", appName);
        boolean local = LOCAL_MASTER.matcher(settings.master()).matches();
        if (!local && !spark.contains("spark.jars")) {
            // Not through spark-submit (which ships its jars): the executors need this program's jars.
            List<Path> jars = applicationJars();
            if (jars.isEmpty()) {
                throw new UsageException("--master " + settings.master() + " needs the program as jars to send to the"
                        + " executors, and this one runs from class folders (mvn exec:java). Build the jars (mvn install"
                        + " -DskipTests) and use spark-submit as docs/sweeps.md shows, or java -cp"
                        + " \"train/target/airbench-train.jar:$SPARK_HOME/jars/*\" airbench.train.cli.Main sweep --master ...");
            }
            spark.set("spark.jars", String.join(",", jars.stream().map(Path::toString).toList()));
        }
        if (local) {
            // In-process: no web UI to serve, and nothing to reach from other machines.
            spark.setIfMissing("spark.ui.enabled", "false");
            spark.setIfMissing("spark.driver.host", "127.0.0.1");
            spark.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        LOG.info("starting Spark: master {}, {} thread(s) per run", settings.master(), settings.threadsPerRun());
        return new SparkEngine(new JavaSparkContext(spark), true);
    }

    /**
     * The runnable jar this class was loaded from and the libraries its manifest names ({@code lib/*.jar}, without
     * Spark); empty when the classes come from a folder.
     */
    static List<Path> applicationJars() {
        try {
            Path location = Path.of(SparkEngine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(location) || !location.toString().endsWith(".jar")) {
                return List.of();
            }
            List<Path> jars = new java.util.ArrayList<>(List.of(location.toAbsolutePath()));
            try (JarFile jar = new JarFile(location.toFile())) {
                Manifest manifest = jar.getManifest();
                String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                if (classPath != null) {
                    for (String entry : classPath.trim().split("\\s+")) {
                        Path lib = location.toAbsolutePath().getParent().resolve(entry);
                        if (Files.isRegularFile(lib)) {
                            jars.add(lib);
                        }
                    }
                }
            }
            return jars;
        } catch (java.net.URISyntaxException | java.io.IOException | RuntimeException e) {
            LOG.warn("could not list this program's jars: {}", e.toString());
            return List.of();
        }
    }

    /** The master and threads per run a sweep uses. */
    record Settings(String master, int threadsPerRun) {}

    /** The rules of {@link #start}, apart from Spark, for tests. */
    static Settings settings(Optional<String> master, Optional<Integer> threads, Optional<String> submittedMaster,
                             Optional<String> taskCpus, int cores) {
        if (master.isPresent() && submittedMaster.isPresent() && !master.get().equals(submittedMaster.get())) {
            throw new UsageException("--master " + master.get() + " contradicts the master " + submittedMaster.get()
                    + " given to spark-submit; give the master once");
        }
        Optional<Integer> submittedThreads = taskCpus.map(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("bad spark.task.cpus '" + v + "'; expected a positive whole number");
            }
        });
        if (threads.isPresent() && submittedThreads.isPresent() && !threads.get().equals(submittedThreads.get())) {
            throw new UsageException("--threads " + threads.get() + " contradicts spark.task.cpus="
                    + submittedThreads.get() + "; a run's threads are its task's cpus, give one of them");
        }
        String chosenMaster = master.or(() -> submittedMaster).orElse(null);
        boolean local = chosenMaster == null || LOCAL_MASTER.matcher(chosenMaster).matches();
        int perRun = threads.or(() -> submittedThreads).orElse(local ? Math.min(2, cores) : 1);
        if (perRun < 1) {
            throw new UsageException("threads per run must be at least 1, got " + perRun);
        }
        if (chosenMaster == null) {
            // local[K]: all cores, in slots of perRun; at least one slot even on a machine with fewer cores.
            chosenMaster = "local[" + Math.max(perRun, cores / perRun * perRun) + "]";
        } else if (local) {
            Matcher m = LOCAL_MASTER.matcher(chosenMaster);
            m.matches();
            int slots = m.group(1) == null ? 1 : m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
            if (slots < perRun) {
                throw new UsageException("master " + chosenMaster + " has " + slots + " core(s) but each run takes "
                        + perRun + " thread(s); give --master local[" + perRun + "] or more, or --threads " + slots);
            }
        }
        return new Settings(chosenMaster, perRun);
    }

    private static Optional<String> optional(SparkConf conf, String key) {
        return conf.contains(key) ? Optional.of(conf.get(key)) : Optional.empty();
    }

    @Override
    public void run(List<RunSpec> runs, Path sweepFolder, Consumer<RunOutcome> done) throws InterruptedException {
        Map<JavaFutureAction<List<RunOutcome>>, RunSpec> running = new LinkedHashMap<>();
        TrainTask task = new TrainTask(sweepFolder.toAbsolutePath().normalize().toString());
        for (RunSpec run : runs) {
            spark.setJobDescription("airbench " + run);
            running.put(spark.parallelize(List.of(run), 1).map(task).collectAsync(), run);
        }
        spark.setJobDescription(null);
        try {
            while (!running.isEmpty()) {
                boolean any = false;
                for (Iterator<Map.Entry<JavaFutureAction<List<RunOutcome>>, RunSpec>> it = running.entrySet().iterator();
                     it.hasNext(); ) {
                    Map.Entry<JavaFutureAction<List<RunOutcome>>, RunSpec> entry = it.next();
                    if (entry.getKey().isDone()) {
                        it.remove();
                        any = true;
                        done.accept(outcome(entry.getKey(), entry.getValue()));
                    }
                }
                if (!any) {
                    Thread.sleep(POLL_MILLIS);
                }
            }
        } finally {
            running.keySet().forEach(f -> f.cancel(true));
        }
    }

    /** The task's outcome, or a failed one saying why Spark gave up on the task. */
    private static RunOutcome outcome(JavaFutureAction<List<RunOutcome>> future, RunSpec run)
            throws InterruptedException {
        try {
            return future.get().get(0);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return RunOutcome.failed(run, "Spark gave up on the task: " + RunExecution.describe(cause),
                    RunOutcome.Worker.here("spark", -1, 0), 0);
        }
    }

    @Override
    public String describe() {
        return "Spark " + spark.version() + ", master " + spark.master() + ", "
                + spark.getConf().get("spark.task.cpus", "1") + " thread(s) per run";
    }

    @Override
    public void close() {
        if (owned) {
            spark.stop();
        }
    }

    /**
     * One training on an executor: the executor's JavaCPP cache, the task's cores as threads, the run in its work
     * folder (a retry of the task, Spark's answer to a lost executor, continues from the run's last checkpoint).
     */
    static final class TrainTask implements Function<RunSpec, RunOutcome> {
        private static final long serialVersionUID = 2L;
        private final String sweepFolder;

        TrainTask(String sweepFolder) {
            this.sweepFolder = sweepFolder;
        }

        @Override
        public RunOutcome call(RunSpec run) {
            TaskContext task = TaskContext.get();
            String executor = SparkEnv.get().executorId();
            JavaCppCache.prepare(executor, Path.of(SparkFiles.getRootDirectory()).toAbsolutePath());
            int threads = task.cpus();
            return RunExecution.execute(run, threads, RunOutcome.Worker.here(executor, task.attemptNumber(), threads),
                    sweepFolder);
        }
    }
}
