package airbench.data;

import java.util.Locale;

/**
 * Which of a record's labels a dataset's {@code labels} hold. CIFAR-10 has one label per image
 * ({@link #FINE}, its only set); a CIFAR-100 record carries two: a fine label (100 classes, the
 * default and the benchmark's) and a coarse one (20 superclasses, {@code --labels coarse}).
 */
public enum LabelSet {
    /** CIFAR-10's labels, or CIFAR-100's 100 fine classes. */
    FINE,
    /** CIFAR-100's 20 superclasses. */
    COARSE;

    /** "fine" or "coarse", as the {@code --labels} option spells it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
