package airbench.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BatchPrefetcherTest {
    private static final TrainingBatches BATCHES = new TrainingBatches(Synthetic.patterned(200),
            new AugmentSpec(2, 4, FlipMode.ALTERNATING), 50, 42);

    /** A source of tiny batches that counts through (epoch, index) and can be slow or fail. */
    private record CountingSource(int stepsPerEpoch, long sleepMillis, int failAtEpoch, int failAtIndex)
            implements BatchSource {
        @Override
        public Batch batch(int epoch, int index) {
            if (epoch == failAtEpoch && index == failAtIndex) {
                throw new DataException("synthetic failure at " + epoch + "/" + index);
            }
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Batch(epoch, index, new float[CifarDataset.IMAGE_BYTES], new int[] {epoch * 100 + index});
        }
    }

    @Test
    void deliversTheSameBatchesAsDirectGenerationAcrossEpochs() {
        try (BatchPrefetcher prefetcher = new BatchPrefetcher(BATCHES, 1, 2, 7)) {
            int epoch = 1;
            int index = 2;
            for (int s = 0; s < 7; s++) {
                assertTrue(prefetcher.hasNext());
                Batch got = prefetcher.next();
                Batch direct = BATCHES.batch(epoch, index);
                assertEquals(epoch, got.epoch());
                assertEquals(index, got.index());
                assertArrayEquals(direct.images(), got.images());
                assertArrayEquals(direct.labels(), got.labels());
                if (++index == BATCHES.stepsPerEpoch()) {
                    index = 0;
                    epoch++;
                }
            }
            assertEquals(3, epoch, "7 steps from (1, 2) with 4 per epoch end in epoch 3");
            assertFalse(prefetcher.hasNext());
            assertThrows(NoSuchElementException.class, prefetcher::next);
            assertEquals(7, prefetcher.delivered());
        }
    }

    @Test
    void startsAtAGlobalStep() {
        try (BatchPrefetcher prefetcher = BatchPrefetcher.fromStep(new CountingSource(4, 0, -1, -1), 10, 3)) {
            assertEquals(202, prefetcher.next().labels()[0]); // step 10 = epoch 2, index 2
            assertEquals(203, prefetcher.next().labels()[0]);
            assertEquals(300, prefetcher.next().labels()[0]);
        }
    }

    @Test
    void rethrowsAProducerFailureWithItsCause() {
        try (BatchPrefetcher prefetcher = new BatchPrefetcher(new CountingSource(4, 0, 1, 1), 0, 2, 10)) {
            assertEquals(2, prefetcher.next().labels()[0]);
            assertEquals(3, prefetcher.next().labels()[0]);
            assertEquals(100, prefetcher.next().labels()[0]);
            IllegalStateException e = assertThrows(IllegalStateException.class, prefetcher::next);
            assertEquals("building batch 1 of epoch 1 failed on the prefetch thread:"
                    + " airbench.data.DataException: synthetic failure at 1/1", e.getMessage());
            assertTrue(e.getCause() instanceof DataException);
            assertSame(e, assertThrows(IllegalStateException.class, prefetcher::next), "the failure stays");
        }
    }

    /** Holds every build of another source until the test opens the gate; {@code arrived} counts builds that reached it. */
    private record GatedSource(CountDownLatch gate, CountDownLatch arrived, BatchSource builds) implements BatchSource {
        GatedSource(CountDownLatch gate, BatchSource builds) {
            this(gate, new CountDownLatch(1), builds);
        }

        @Override
        public int stepsPerEpoch() {
            return builds.stepsPerEpoch();
        }

        @Override
        public Batch batch(int epoch, int index) {
            arrived.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return builds.batch(epoch, index);
        }
    }

    @Test
    void measuresWaitingAndBuildingTime() throws InterruptedException {
        CountDownLatch gate = new CountDownLatch(1);
        Thread consumer = Thread.currentThread();
        CountDownLatch buildArrived = new CountDownLatch(1);
        // Opens the gate only once the consumer is parked inside next() and the first build has reached the
        // gate, and 60 ms after that, so both measured waits have a lower bound that does not depend on how the
        // threads are scheduled (on a loaded machine the prefetch thread can start after the consumer parks).
        Thread opener = new Thread(() -> {
            while (consumer.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            try {
                buildArrived.await();
                Thread.sleep(60);
            } catch (InterruptedException e) {
                return;
            }
            gate.countDown();
        });
        BatchSource twentyMillisPerBuild = new CountingSource(4, 20, -1, -1);
        try (BatchPrefetcher prefetcher = new BatchPrefetcher(new GatedSource(gate, buildArrived, twentyMillisPerBuild), 0, 0, 5)) {
            opener.start();
            while (prefetcher.hasNext()) {
                prefetcher.next();
            }
            opener.join();
            assertTrue(prefetcher.production().toMillis() >= 100 + 60, "five 20 ms builds, the first also waited"
                    + " 60 ms at the gate: " + prefetcher.waitSummary());
            assertTrue(prefetcher.consumerWait().toMillis() >= 60, prefetcher.waitSummary());
            assertTrue(prefetcher.waitSummary().startsWith("the graph waited "), prefetcher.waitSummary());
            assertTrue(prefetcher.waitSummary().contains(" s for Java over 5 steps (building took "),
                    prefetcher.waitSummary());
        }
    }

    @Test
    void closeStopsAProducerBlockedOnAFullQueue() throws InterruptedException {
        BatchPrefetcher prefetcher = new BatchPrefetcher(new CountingSource(4, 0, -1, -1), 0, 0, Long.MAX_VALUE, 2);
        prefetcher.next();
        Thread.sleep(50); // let the producer fill the queue and block
        assertTrue(prefetcher.producerAlive());
        prefetcher.close();
        assertFalse(prefetcher.producerAlive());
        assertThrows(IllegalStateException.class, prefetcher::next);
    }

    @Test
    void rejectsAStartOutsideTheEpoch() {
        assertThrows(IllegalArgumentException.class, () -> new BatchPrefetcher(BATCHES, 0, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchPrefetcher(BATCHES, -1, 0, 1));
    }
}
