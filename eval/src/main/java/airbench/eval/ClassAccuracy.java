package airbench.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * Test accuracy on the images of one class (with 100 classes the overall accuracy hides which ones a
 * model gets wrong).
 *
 * @param label    the class index
 * @param name     the class name
 * @param correct  images of the class predicted as the class
 * @param total    images of the class
 */
public record ClassAccuracy(int label, String name, int correct, int total) {

    /** Fraction of the class's images classified correctly; 0 for a class without images (written to JSON too). */
    @JsonProperty("accuracy")
    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }

    /**
     * Per-class counts of {@code predicted} against {@code labels}, one entry per class in label order.
     *
     * @param classNames the names of the classes; their number is the class count
     */
    public static List<ClassAccuracy> of(int[] predicted, int[] labels, List<String> classNames) {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
        int classes = classNames.size();
        int[] correct = new int[classes];
        int[] total = new int[classes];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0.."
                        + (classes - 1));
            }
            total[labels[i]]++;
            correct[labels[i]] += predicted[i] == labels[i] ? 1 : 0;
        }
        List<ClassAccuracy> out = new ArrayList<>(classes);
        for (int k = 0; k < classes; k++) {
            out.add(new ClassAccuracy(k, classNames.get(k), correct[k], total[k]));
        }
        return List.copyOf(out);
    }
}
