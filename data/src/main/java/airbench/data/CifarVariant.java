package airbench.data;

import java.net.URI;
import java.util.List;
import java.util.stream.Stream;

/** The two CIFAR datasets in their official "binary version" layout. */
public enum CifarVariant {
    CIFAR10("CIFAR-10", 10, 1, "cifar-10-binary.tar.gz", "cifar-10-batches-bin",
            "c32a1d4ab5d03f1284b67883e8d87530",
            List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                    "data_batch_5.bin"),
            List.of("test_batch.bin"), 10_000, 10_000, "batches.meta.txt"),
    CIFAR100("CIFAR-100", 100, 2, "cifar-100-binary.tar.gz", "cifar-100-binary",
            "03b5dce01913d631647c71ecec9e9cb8",
            List.of("train.bin"), List.of("test.bin"), 50_000, 10_000, "fine_label_names.txt");

    /** Number of coarse classes of CIFAR-100 (the first label byte of each record). */
    public static final int CIFAR100_COARSE_CLASSES = 20;

    private static final String OFFICIAL_SITE = "https://www.cs.toronto.edu/~kriz/";

    private final String displayName;
    private final int numClasses;
    private final int labelBytes;
    private final String archiveFileName;
    private final String folderName;
    private final String officialMd5;
    private final List<String> trainFiles;
    private final List<String> testFiles;
    private final int recordsPerTrainFile;
    private final int recordsPerTestFile;
    private final String classNamesFile;

    CifarVariant(String displayName, int numClasses, int labelBytes, String archiveFileName, String folderName,
                 String officialMd5, List<String> trainFiles, List<String> testFiles,
                 int recordsPerTrainFile, int recordsPerTestFile, String classNamesFile) {
        this.displayName = displayName;
        this.numClasses = numClasses;
        this.labelBytes = labelBytes;
        this.archiveFileName = archiveFileName;
        this.folderName = folderName;
        this.officialMd5 = officialMd5;
        this.trainFiles = trainFiles;
        this.testFiles = testFiles;
        this.recordsPerTrainFile = recordsPerTrainFile;
        this.recordsPerTestFile = recordsPerTestFile;
        this.classNamesFile = classNamesFile;
    }

    /** "cifar10" or "cifar100", as the {@code --dataset} option spells it. */
    public String id() {
        return this == CIFAR10 ? "cifar10" : "cifar100";
    }

    /** "CIFAR-10" or "CIFAR-100", for messages. */
    public String displayName() {
        return displayName;
    }

    /** Number of classes of {@link CifarDataset#labels()} (CIFAR-100: the fine labels). */
    public int numClasses() {
        return numClasses;
    }

    /** Label bytes before the pixels of each record: 1 (label) or 2 (coarse, fine). */
    public int labelBytes() {
        return labelBytes;
    }

    /** Bytes per record: label bytes plus 3,072 pixel bytes (3073 or 3074). */
    public int recordBytes() {
        return labelBytes + CifarDataset.IMAGE_BYTES;
    }

    public String archiveFileName() {
        return archiveFileName;
    }

    /** The folder the official archive unpacks into. */
    public String folderName() {
        return folderName;
    }

    public URI officialUrl() {
        return URI.create(OFFICIAL_SITE + archiveFileName);
    }

    /** MD5 of the official archive; checked after a download only. */
    public String officialMd5() {
        return officialMd5;
    }

    public List<String> trainFiles() {
        return trainFiles;
    }

    public List<String> testFiles() {
        return testFiles;
    }

    /** The record counts of the official files. */
    public RecordCounts officialCounts() {
        return new RecordCounts(recordsPerTrainFile, recordsPerTestFile);
    }

    /** The optional text file holding the class names (CIFAR-100: of the fine labels), one a line. */
    public String classNamesFile() {
        return classNamesFile;
    }

    /** Every data file of the variant, training files first. */
    public List<String> dataFiles() {
        return Stream.concat(trainFiles.stream(), testFiles.stream()).toList();
    }

    /** The other variant, used to recognize a CIFAR-100 file given as CIFAR-10 and vice versa. */
    CifarVariant other() {
        return this == CIFAR10 ? CIFAR100 : CIFAR10;
    }

    /**
     * The class names in label order, as the official files list them; used when the
     * data does not carry its own names file.
     */
    public List<String> wellKnownClassNames() {
        return this == CIFAR10 ? ClassNames.CIFAR10 : ClassNames.CIFAR100_FINE;
    }
}
