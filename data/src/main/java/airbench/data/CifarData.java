package airbench.data;

import java.util.Objects;

/** The training and test splits of one CIFAR dataset. */
public record CifarData(CifarDataset train, CifarDataset test) {
    public CifarData {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }
}
