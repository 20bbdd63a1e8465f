package airbench.data;

import java.time.Duration;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds batches on a background thread while the graph runs, so that a step
 * waits for Java only when building a batch takes longer than the step.
 *
 * <p>Produces {@code steps} batches starting at (epoch, index), continuing into
 * the next epochs, through a bounded queue. It measures how long the consumer
 * waited in {@link #next()} and how long building took, for the trainer's log
 * line "the graph waited X s for Java over N steps".
 *
 * <p>A failure while building is rethrown by {@link #next()} (as an
 * {@link IllegalStateException} whose cause is the original exception). One
 * consumer thread; {@link #close()} stops the producer.
 */
public final class BatchPrefetcher implements AutoCloseable {
    /** Two or three batches ahead is enough to hide the build time; each holds 12.6 MB at batch size 1024. */
    public static final int DEFAULT_CAPACITY = 3;

    /** What the producer hands over: a batch, or the failure that ended production. */
    private record Item(Batch batch, Throwable failure, int epoch, int index) {}

    private final BlockingQueue<Item> queue;
    private final Thread producer;
    private final long steps;
    private final AtomicLong productionNanos = new AtomicLong();
    private final AtomicLong produced = new AtomicLong();
    private long waitNanos;
    private long delivered;
    private IllegalStateException failure;
    private volatile boolean closed;

    public BatchPrefetcher(BatchSource source, int startEpoch, int startIndex, long steps) {
        this(source, startEpoch, startIndex, steps, DEFAULT_CAPACITY);
    }

    /**
     * Starts producing at once.
     *
     * @param startEpoch first epoch (from 0)
     * @param startIndex first batch within it (0 .. stepsPerEpoch - 1)
     * @param steps      number of batches to produce in all
     * @param capacity   batches built ahead at most
     */
    public BatchPrefetcher(BatchSource source, int startEpoch, int startIndex, long steps, int capacity) {
        int perEpoch = source.stepsPerEpoch();
        if (startEpoch < 0 || startIndex < 0 || startIndex >= perEpoch) {
            throw new IllegalArgumentException("start (epoch " + startEpoch + ", index " + startIndex
                    + ") is outside the run; an epoch has " + perEpoch + " batches");
        }
        if (steps < 0 || capacity < 1) {
            throw new IllegalArgumentException("need steps >= 0 and capacity >= 1, got " + steps + ", " + capacity);
        }
        this.steps = steps;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.producer = new Thread(() -> produce(source, startEpoch, startIndex, perEpoch), "airbench-batch-prefetch");
        producer.setDaemon(true); // never keeps the JVM alive if the trainer forgets close()
        producer.start();
    }

    /** A prefetcher starting at global step {@code firstStep} (counted over all epochs from 0), for resuming. */
    public static BatchPrefetcher fromStep(BatchSource source, long firstStep, long steps) {
        int perEpoch = source.stepsPerEpoch();
        return new BatchPrefetcher(source, Math.toIntExact(firstStep / perEpoch), (int) (firstStep % perEpoch), steps);
    }

    private void produce(BatchSource source, int epoch, int index, int perEpoch) {
        try {
            for (long s = 0; s < steps && !closed; s++) {
                long start = System.nanoTime();
                Item item;
                try {
                    item = new Item(source.batch(epoch, index), null, epoch, index);
                } catch (Throwable t) { // also Errors: the consumer must hear of it rather than wait forever
                    item = new Item(null, t, epoch, index);
                }
                productionNanos.addAndGet(System.nanoTime() - start);
                produced.incrementAndGet();
                queue.put(item);
                if (item.failure() != null) {
                    return;
                }
                if (++index == perEpoch) {
                    index = 0;
                    epoch++;
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts a producer blocked on a full queue: nothing left to do.
        }
    }

    public boolean hasNext() {
        return delivered < steps;
    }

    /**
     * The next batch, waiting for it if needed.
     *
     * @throws IllegalStateException if building a batch failed (the cause is the original exception),
     *                               or the prefetcher is closed
     * @throws NoSuchElementException after {@code steps} batches
     */
    public Batch next() {
        if (closed) {
            throw new IllegalStateException("the batch prefetcher is closed");
        }
        if (failure != null) {
            throw failure;
        }
        if (!hasNext()) {
            throw new NoSuchElementException("all " + steps + " batches were delivered");
        }
        long start = System.nanoTime();
        Item item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for batch " + delivered, e);
        } finally {
            waitNanos += System.nanoTime() - start;
        }
        if (item.failure() != null) {
            Throwable cause = item.failure();
            failure = new IllegalStateException("building batch " + item.index() + " of epoch " + item.epoch()
                    + " failed on the prefetch thread: " + cause, cause);
            throw failure;
        }
        delivered++;
        return item.batch();
    }

    /** Total time {@link #next()} waited for a batch. */
    public Duration consumerWait() {
        return Duration.ofNanos(waitNanos);
    }

    /** Total time spent building batches on the background thread. */
    public Duration production() {
        return Duration.ofNanos(productionNanos.get());
    }

    /** Batches handed out so far. */
    public long delivered() {
        return delivered;
    }

    /** "the graph waited 0.42 s for Java over 476 steps (building took 2.10 s, 4.4 ms per batch)". */
    public String waitSummary() {
        double built = production().toNanos() / 1e9;
        long count = produced.get();
        return String.format(Locale.ROOT, "the graph waited %.2f s for Java over %d steps (building took %.2f s,"
                + " %.1f ms per batch)", waitNanos / 1e9, delivered, built, count == 0 ? 0.0 : 1e3 * built / count);
    }

    /** Stops the producer and waits briefly for it to end. */
    @Override
    public void close() {
        closed = true;
        producer.interrupt();
        try {
            producer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For tests: whether the producer thread still runs. */
    boolean producerAlive() {
        return producer.isAlive();
    }
}
