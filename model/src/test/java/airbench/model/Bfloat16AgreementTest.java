package airbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bfloat16 convolutions must give the float32 network's numbers up to bfloat16's rounding, on every CPU
 * this project runs on. The whitening conv has 3 input channels; odd block widths give odd counts inside
 * the blocks too. On an AMD EPYC of family 26 (Zen 5), oneDNN's bfloat16 convolution with an odd input
 * channel count computed wrong values (logits off by more than their own size) until the network padded
 * such inputs with a zero channel; these checks failed there without it.
 */
class Bfloat16AgreementTest {
    private static final int BATCH = 32;
    private static final OptimizerSpec OPTIMIZER = new OptimizerSpec(BATCH, 2.0, 0.85, 0.0153, 64);

    private static NetworkSpec network(String widths) {
        List<Integer> w = new ArrayList<>();
        for (String s : widths.split(",")) {
            w.add(Integer.parseInt(s));
        }
        return new NetworkSpec(w, 2, false, 0.6, 10);
    }

    /**
     * Logits of the same initialized network in both precisions. bfloat16 keeps 8 significant bits
     * (relative rounding 2^-9 per input) and the sums accumulate in float32, so after a few layers the
     * logits differ by a few percent of their range at most; a wrong kernel differs by about the range.
     */
    @ParameterizedTest
    @ValueSource(strings = {"8,16,16", "7,9,9"})
    void bfloat16LogitsMatchFloat32(String widths) {
        TinyModels.Batch batch = TinyModels.randomBatch(BATCH, 5);
        float[] reference;
        float[] bf16;
        try (AirbenchModel fp32Model = new AirbenchModel(network(widths), Precision.FP32, OPTIMIZER, 2);
             AirbenchModel bf16Model = new AirbenchModel(network(widths), Precision.BF16, OPTIMIZER, 2)) {
            fp32Model.initialize(TinyModels.whitening(), 42);
            bf16Model.initialize(TinyModels.whitening(), 42);
            reference = fp32Model.logits(batch.images(), BATCH);
            bf16 = bf16Model.logits(batch.images(), BATCH);
        }
        double range = 0;
        double worst = 0;
        for (int i = 0; i < reference.length; i++) {
            range = Math.max(range, Math.abs(reference[i]));
            worst = Math.max(worst, Math.abs(reference[i] - bf16[i]));
        }
        assertTrue(range > 0, "the float32 logits are all zero: the check would prove nothing");
        assertTrue(worst <= 0.05 * range, "widths " + widths + ": bfloat16 logits differ from float32 by up to "
                + worst + " where the float32 logits reach " + range);
    }

    /** Five training steps on one batch: the losses of the two precisions stay within 2% of each other. */
    @ParameterizedTest
    @ValueSource(strings = {"8,16,16", "7,9,9"})
    void bfloat16TrainingFollowsFloat32(String widths) {
        TinyModels.Batch batch = TinyModels.randomBatch(BATCH, 6);
        List<Double> reference = new ArrayList<>();
        List<Double> bf16 = new ArrayList<>();
        try (AirbenchModel fp32Model = new AirbenchModel(network(widths), Precision.FP32, OPTIMIZER, 2);
             AirbenchModel bf16Model = new AirbenchModel(network(widths), Precision.BF16, OPTIMIZER, 2)) {
            fp32Model.initialize(TinyModels.whitening(), 42);
            bf16Model.initialize(TinyModels.whitening(), 42);
            for (int step = 0; step < 5; step++) {
                reference.add(fp32Model.trainStep(batch.images(), batch.labels(), BATCH, 0.5, true, null).lossSum());
                bf16.add(bf16Model.trainStep(batch.images(), batch.labels(), BATCH, 0.5, true, null).lossSum());
            }
        }
        assertTrue(reference.get(4) < reference.get(0), "the float32 steps should train: " + reference);
        for (int step = 0; step < reference.size(); step++) {
            assertEquals(reference.get(step), bf16.get(step), 0.02 * reference.get(step),
                    "widths " + widths + ", step " + step + ": float32 " + reference + ", bfloat16 " + bf16);
        }
    }
}
