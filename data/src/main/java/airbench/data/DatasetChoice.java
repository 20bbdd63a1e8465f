package airbench.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The dataset a model is trained and evaluated on: which files ({@link CifarVariant}) and which of
 * their labels ({@link LabelSet}). One small value that the command line ({@code --dataset},
 * {@code --labels}), a library caller, a checkpoint and an exported model all name in the same
 * words ({@link #id()}), and from which everything dataset-dependent follows: the class count (the
 * head's size), the class names, and the normalization constants.
 */
public enum DatasetChoice {
    /** CIFAR-10, 10 classes (docs/METHOD.md section 1). */
    CIFAR10(CifarVariant.CIFAR10, LabelSet.FINE, "cifar10"),
    /** CIFAR-100 with its 100 fine labels: the benchmark (docs/METHOD.md section 9). */
    CIFAR100(CifarVariant.CIFAR100, LabelSet.FINE, "cifar100"),
    /** CIFAR-100 with its 20 coarse labels (superclasses). */
    CIFAR100_COARSE(CifarVariant.CIFAR100, LabelSet.COARSE, "cifar100-coarse");

    /** The {@code --dataset} values. */
    public static final List<String> DATASET_VALUES = List.of("cifar10", "cifar100");

    private final CifarVariant variant;
    private final LabelSet labelSet;
    private final String id;

    DatasetChoice(CifarVariant variant, LabelSet labelSet, String id) {
        this.variant = variant;
        this.labelSet = labelSet;
        this.id = id;
    }

    /**
     * The choice named by the {@code --dataset} and {@code --labels} options.
     *
     * @param dataset "cifar10" or "cifar100" (any case); null means cifar10, the default
     * @param labels  "fine" or "coarse" (any case); null means fine. Only CIFAR-100 has two label
     *                sets, so giving it with CIFAR-10 is refused rather than ignored.
     * @throws IllegalArgumentException naming the bad value and the valid ones
     */
    public static DatasetChoice parse(String dataset, String labels) {
        String name = dataset == null ? "cifar10" : dataset.trim().toLowerCase(Locale.ROOT);
        CifarVariant variant = switch (name) {
            case "cifar10" -> CifarVariant.CIFAR10;
            case "cifar100" -> CifarVariant.CIFAR100;
            default -> throw new IllegalArgumentException("bad value '" + dataset + "' for --dataset; valid values: "
                    + String.join(", ", DATASET_VALUES));
        };
        if (labels == null) {
            return of(variant, LabelSet.FINE);
        }
        if (variant == CifarVariant.CIFAR10) {
            throw new IllegalArgumentException("--labels applies to --dataset cifar100 only (CIFAR-10 has one set of"
                    + " 10 labels); drop --labels " + labels + ", or add --dataset cifar100");
        }
        LabelSet set = Arrays.stream(LabelSet.values()).filter(s -> s.id().equalsIgnoreCase(labels.trim()))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("bad value '" + labels
                        + "' for --labels; valid values: " + Arrays.stream(LabelSet.values()).map(LabelSet::id)
                        .collect(Collectors.joining(", "))));
        return of(variant, set);
    }

    /** The choice of these files and labels; CIFAR-10 has fine labels only. */
    public static DatasetChoice of(CifarVariant variant, LabelSet labelSet) {
        for (DatasetChoice choice : values()) {
            if (choice.variant == variant && choice.labelSet == labelSet) {
                return choice;
            }
        }
        throw new IllegalArgumentException(variant.displayName() + " has no " + labelSet.id() + " labels");
    }

    /** The choice whose {@link #id()} this is (as recorded in checkpoints and exported models). */
    public static Optional<DatasetChoice> fromId(String id) {
        return Arrays.stream(values()).filter(c -> c.id.equals(id)).findFirst();
    }

    /** "cifar10", "cifar100" or "cifar100-coarse": the name in result files, run folders and model metadata. */
    public String id() {
        return id;
    }

    public CifarVariant variant() {
        return variant;
    }

    public LabelSet labelSet() {
        return labelSet;
    }

    /** "CIFAR-10", "CIFAR-100" or "CIFAR-100 (coarse labels)", for messages. */
    public String displayName() {
        return variant.displayName() + (labelSet == LabelSet.COARSE ? " (coarse labels)" : "");
    }

    /** Classes of the chosen labels: 10, 100 or 20. The network's head has this many outputs. */
    public int numClasses() {
        return labelSet == LabelSet.COARSE ? CifarVariant.CIFAR100_COARSE_CLASSES : variant.numClasses();
    }

    /** The optional text file beside the data files that names the chosen labels, one a line. */
    public String classNamesFile() {
        return labelSet == LabelSet.COARSE ? ClassNames.CIFAR100_COARSE_FILE : variant.classNamesFile();
    }

    /** The official names of the chosen labels, used when the data carries no names file. */
    public List<String> wellKnownClassNames() {
        return labelSet == LabelSet.COARSE ? ClassNames.CIFAR100_COARSE : variant.wellKnownClassNames();
    }

    /**
     * The per-channel normalization of the dataset's images: the channel mean and standard
     * deviation of its own training set (both label sets of CIFAR-100 share the images, so they
     * share it). See {@link Normalization}.
     */
    public Normalization normalization() {
        return variant == CifarVariant.CIFAR10 ? Normalization.CIFAR10 : Normalization.CIFAR100;
    }

    /** The command-line options that select this choice: "--dataset cifar100 --labels coarse". */
    public String options() {
        return "--dataset " + variant.id() + (labelSet == LabelSet.COARSE ? " --labels coarse" : "");
    }
}
