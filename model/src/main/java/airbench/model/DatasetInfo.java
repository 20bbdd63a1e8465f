package airbench.model;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a network was trained on, as its export records it: the dataset's name, the class names,
 * and the per-channel normalization that the export's uint8 signatures build into the graph (the
 * model module does not depend on the data module, so the data module's values come in here).
 *
 * @param dataset           the dataset's name ("cifar10", "cifar100", "cifar100-coarse"), or null when the
 *                          exporter does not say (exports made before datasets were recorded were CIFAR-10)
 * @param classNames        the class names in label order, or null
 * @param normalizationMean per-channel mean on the [0, 1] scale (R, G, B)
 * @param normalizationStd  per-channel standard deviation on the [0, 1] scale (R, G, B)
 */
public record DatasetInfo(String dataset, List<String> classNames, float[] normalizationMean,
                          float[] normalizationStd) {

    public DatasetInfo {
        classNames = classNames == null ? null : List.copyOf(classNames);
        Objects.requireNonNull(normalizationMean, "normalizationMean");
        Objects.requireNonNull(normalizationStd, "normalizationStd");
        if (normalizationMean.length != NetworkSpec.CHANNELS || normalizationStd.length != NetworkSpec.CHANNELS) {
            throw new IllegalArgumentException("need a normalization mean and standard deviation per RGB channel, got "
                    + Arrays.toString(normalizationMean) + " and " + Arrays.toString(normalizationStd));
        }
        for (float s : normalizationStd) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("normalization standard deviations must be positive, got "
                        + Arrays.toString(normalizationStd));
            }
        }
        normalizationMean = normalizationMean.clone();
        normalizationStd = normalizationStd.clone();
    }

    /** CIFAR-10's normalization (docs/METHOD.md section 1), the dataset not named: what exports always were. */
    public static DatasetInfo unnamedCifar10(List<String> classNames) {
        return new DatasetInfo(null, classNames, SavedModelExport.NORMALIZATION_MEAN,
                SavedModelExport.NORMALIZATION_STD);
    }

    @Override
    public float[] normalizationMean() {
        return normalizationMean.clone();
    }

    @Override
    public float[] normalizationStd() {
        return normalizationStd.clone();
    }
}
