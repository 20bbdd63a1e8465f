package airbench.data;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** The training and test splits of one CIFAR dataset. */
public record CifarData(CifarDataset train, CifarDataset test) {
    public CifarData {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }

    /**
     * Finds ({@link DataLocator#locate(CifarVariant, Optional)}: {@code dataDir}, then the standard
     * places, then a download) and reads ({@link CifarReader#read(Path, CifarVariant)}) both splits.
     *
     * @param dataDir the archive or a folder holding it or its extracted files; empty to look in the
     *                standard places
     * @throws DataException naming the file and the problem, or every place looked at
     */
    public static CifarData load(CifarVariant variant, Optional<Path> dataDir) {
        return load(DatasetChoice.of(variant, LabelSet.FINE), dataDir);
    }

    /** As {@link #load(CifarVariant, Optional)}, with the labels the choice names (CIFAR-100 fine or coarse). */
    public static CifarData load(DatasetChoice dataset, Optional<Path> dataDir) {
        return CifarReader.read(DataLocator.locate(dataset.variant(), dataDir), dataset);
    }
}
