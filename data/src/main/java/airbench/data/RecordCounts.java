package airbench.data;

/**
 * How many records each file must hold. The reader refuses any other count so
 * that a truncated copy never trains silently on partial data; tests and small
 * fixtures pass their own counts.
 *
 * @param perTrainFile records in every training file (official: 10,000 per CIFAR-10 batch, 50,000 in CIFAR-100 train.bin)
 * @param perTestFile  records in every test file (official: 10,000)
 */
public record RecordCounts(int perTrainFile, int perTestFile) {
    public RecordCounts {
        if (perTrainFile < 1 || perTestFile < 1) {
            throw new IllegalArgumentException("record counts must be positive, got train " + perTrainFile
                    + ", test " + perTestFile);
        }
    }
}
