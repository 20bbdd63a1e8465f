package airbench.train.sweep;

import java.nio.file.Path;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Where a Spark executor unpacks TensorFlow's native library (JavaCPP's cache, about 650 MB).
 *
 * <p>Why: several executor JVMs on one machine that unpack into one shared cache at the same time can load a
 * half-written library (JavaCPP issue 608, open; TF-JAVA-NOTES.md). Two ways avoid it: a cache filled before any
 * executor starts, which executors then only read, or a cache per executor, which no other process writes.
 * An executor whose JVM was given {@code -Dorg.bytedeco.javacpp.cachedir} (through
 * {@code spark.executor.extraJavaOptions}) uses that folder and is trusted to have it pre-filled: the fast way
 * for repeated sweeps (fill it once per machine with JavaCPP's own loader, see docs/sweeps.md). Otherwise each
 * executor gets its own cache inside its own files folder ({@code SparkFiles.getRootDirectory()}; on a standalone
 * worker the executor's folder under the worker's {@code work/}, removed with the application's files by the
 * cluster manager's clean-up): it costs one unpacking (a few seconds, 650 MB of local disk) per executor and
 * sweep, and cannot race. In local mode the executor is
 * the driver's own JVM, which keeps its cache as configured (one process cannot race with itself: JavaCPP's
 * loading is synchronized within a JVM).
 */
final class JavaCppCache {
    private static final Logger LOG = LogManager.getLogger(JavaCppCache.class);
    static final String PROPERTY = "org.bytedeco.javacpp.cachedir";
    /** Spark's executor id of the driver's own JVM (local mode). */
    static final String DRIVER = "driver";

    private JavaCppCache() {}

    /**
     * The cache folder to set for an executor, or empty to keep the JVM's own.
     *
     * @param executorId     Spark's id of the executor
     * @param configured     the JVM's {@value #PROPERTY} property, null when not set
     * @param executorFolder a folder of this executor alone (its Spark scratch folder)
     */
    static Optional<Path> choose(String executorId, String configured, Path executorFolder) {
        if (DRIVER.equals(executorId) || (configured != null && !configured.isBlank())) {
            return Optional.empty();
        }
        return Optional.of(executorFolder.resolve("javacpp-cache"));
    }

    /** Applies {@link #choose} to this JVM before anything loads TensorFlow in it. */
    static synchronized void prepare(String executorId, Path executorFolder) {
        choose(executorId, System.getProperty(PROPERTY), executorFolder).ifPresent(dir -> {
            System.setProperty(PROPERTY, dir.toString());
            LOG.info("executor {}: TensorFlow's native library is unpacked into this executor's own cache {}",
                    executorId, dir);
        });
    }
}
