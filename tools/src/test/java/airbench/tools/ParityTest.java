package airbench.tools;

import airbench.model.PatchWhitening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import airbench.data.AugmentSpec;
import airbench.data.BatchSource;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.data.FlipMode;
import airbench.data.Normalization;
import airbench.data.TrainingBatches;
import airbench.model.Compilation;
import airbench.model.NetworkSpec;
import airbench.model.LossSpec;
import airbench.model.OptimizerSpec;
import airbench.model.Precision;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parity harness: its comparison on hand-made outputs (no PyTorch needed), and, where Debian's
 * python3-torch is installed, a few steps of a narrow network against PyTorch, which must agree to
 * float32 round-off and must stop agreeing when one hyperparameter of the PyTorch side is changed.
 */
class ParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    // ---- the comparison, on outputs written by hand ------------------------------------------------

    /** A case folder with two tensors, three steps and two test images, both sides identical. */
    private static void fakeCase(Path dir) throws Exception {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "fake");
        c.put("network", Map.of("num_classes", 2));
        c.put("test_images", 2);
        Map<String, Object> tensors = new LinkedHashMap<>();
        tensors.put("a/kernel", List.of(2));
        tensors.put("b", List.of(3));
        c.put("tensors", tensors);
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("case.json").toFile(), c);
        Parity.writeInts(dir.resolve("test-labels.i32"), new int[] {0, 1});
        for (String side : List.of("java", "torch")) {
            List<Map<String, Object>> steps = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", s);
                m.put("loss_sum", 100.0 - s);
                m.put("lr_multiplier", 0.2 + 0.1 * s);
                m.put("trains_whiten_bias", true);
                m.put("lookahead_alpha", null);
                steps.add(m);
            }
            Files.createDirectories(dir.resolve(side));
            JSON.writeValue(dir.resolve(side + "/steps.json").toFile(), Map.of("steps", steps));
            for (String stage : List.of("after-first-step", "final")) {
                Parity.writeFloats(dir.resolve(side + "/" + stage + "/a.kernel.f32"), new float[] {1f, -2f});
                Parity.writeFloats(dir.resolve(side + "/" + stage + "/b.f32"), new float[] {0.5f, 0.25f, 4f});
            }
            for (int level = 0; level < 3; level++) {
                // image 0 -> class 0 (right), image 1 -> class 0 (wrong)
                Parity.writeFloats(dir.resolve(side + "/logits-level" + level + ".f32"), new float[] {2f, 1f, 3f, 1f});
            }
        }
    }

    private static void setLoss(Path dir, String side, int step, double loss) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve(side + "/steps.json").toFile());
        ((ObjectNode) root.path("steps").get(step)).put("loss_sum", loss);
        JSON.writeValue(dir.resolve(side + "/steps.json").toFile(), root);
    }

    @Test
    void identicalOutputsAgreeAndTheReportCountsTheTestImages(@TempDir Path dir) throws Exception {
        fakeCase(dir);
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().startsWith("they agree"), r.verdict());
        assertEquals(0.0, r.worstLoss());
        assertEquals(2 * 2, r.tensors().size());
        assertEquals(List.of(2, 2, 2), r.logits().stream().map(Parity.LogitsDiff::sameArgMax).toList());
        assertEquals(1, r.logits().get(0).javaCorrect());
        assertTrue(Files.exists(dir.resolve("parity.json")));
        assertTrue(Parity.table(r).contains("verdict: they agree"));
    }

    @Test
    void aTensorThatDiffersAfterTheLastStepIsNamedWithItsRelativeDifference(@TempDir Path dir) throws Exception {
        fakeCase(dir);
        // 4 -> 4.02: max |diff| 0.02 over max |torch| 4 = 5e-3 relative
        Parity.writeFloats(dir.resolve("java/final/b.f32"), new float[] {0.5f, 0.25f, 4.02f});
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().contains("b after the last step differs by 0.005"), r.verdict());
        assertEquals(0.02 / 4, r.worstTensor("final"), 1e-6);
        assertEquals(0.0, r.worstTensor("after-first-step"));
    }

    @Test
    void theFirstStepWhoseLossDiffersIsWhereTheyPart(@TempDir Path dir) throws Exception {
        fakeCase(dir);
        setLoss(dir, "java", 1, 99.0 * 1.01);
        setLoss(dir, "java", 2, 98.0 * 1.02);
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().startsWith("they part at step 1"), r.verdict());
        assertEquals(0.02, r.worstLoss(), 1e-9);
    }

    @Test
    void aScheduleMismatchIsReportedBeforeAnythingElse(@TempDir Path dir) throws Exception {
        fakeCase(dir);
        setLoss(dir, "java", 0, 50);
        ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve("torch/steps.json").toFile());
        ((ObjectNode) root.path("steps").get(2)).put("lookahead_alpha", 0.5);
        JSON.writeValue(dir.resolve("torch/steps.json").toFile(), root);
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().startsWith("the schedules differ at step 2"), r.verdict());
    }

    // ---- against PyTorch, when it is installed ------------------------------------------------------

    private static final NetworkSpec NARROW = new NetworkSpec(List.of(8, 16, 16), 3, true, 0.9, 10);
    private static final int BATCH = 64;
    private static final int STEPS = 6;

    /**
     * A narrow three-convolution residual network with BatchNorm memory 0.9 (the pieces only airbench96
     * uses), 6 steps on noise with the schedule of a 2-epoch run of 4 steps per epoch: warmup 0.1 to 0
     * at the end, whitening bias for one epoch, Lookahead at step 5.
     */
    private static Parity.Case narrowCase() {
        int perEpoch = 4;
        int total = 8;
        int warmup = (int) Math.floor(0.1 * total);  // 0: the multiplier starts at 1 and falls to 0
        List<Parity.StepPlan> plan = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            double s = warmup == 0 ? 1.0 - (double) step / total : Double.NaN;
            int done = step + 1;
            Double alpha = done % 5 == 0 ? Math.pow(0.95, 5) * Math.pow((double) done / total, 3) : null;
            plan.add(new Parity.StepPlan(step, s, step < perEpoch, alpha, false));
        }
        return new Parity.Case("narrow residual", 3, NARROW, new OptimizerSpec(BATCH, 9.0, 0.85, 0.012, 64), LossSpec.AIRBENCH,
                new Parity.ScheduleSpec(perEpoch, total, 0.1, 0.0, 1), Precision.FP32, Compilation.NONE, 2, 0, plan, 50, true);
    }

    private static CifarDataset noise(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] images = new byte[n * CifarDataset.IMAGE_BYTES];
        int[] labels = new int[n];
        for (int i = 0; i < images.length; i++) {
            images[i] = (byte) random.nextInt(256);
        }
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(10);
        }
        return new CifarDataset(CifarVariant.CIFAR10, "train", images, labels, new int[0],
                CifarVariant.CIFAR10.wellKnownClassNames());
    }

    private static void prepare(Path dir) throws Exception {
        CifarDataset train = noise(BATCH * 4, 1);
        CifarDataset test = noise(50, 2);
        BatchSource batches = new TrainingBatches(train, new AugmentSpec(2, 12, FlipMode.ALTERNATING), BATCH, 3);
        float[] whitening = PatchWhitening.filters(Normalization.normalize(train.images()), train.size(), 5e-4);
        Parity.prepareAndRunJava(narrowCase(), whitening, batches, Normalization.normalize(test.images()),
                test.labels(), dir);
    }

    private static void requireTorch(PythonScript.Outcome outcome) {
        if (!outcome.installed()) {
            // Printed as well: surefire's summary counts skipped tests but does not show why.
            System.err.println("ParityTest: skipped, PyTorch is " + outcome.notInstalledMessage());
        }
        Assumptions.assumeTrue(outcome.installed(), () -> "skipped: PyTorch is " + outcome.notInstalledMessage());
        assertTrue(outcome.succeeded(), "the PyTorch side exited with " + outcome.exitCode());
    }

    @Test
    void aNarrowResidualNetworkTrainsAsInPyTorchToFloat32RoundOff(@TempDir Path dir) throws Exception {
        prepare(dir);
        requireTorch(Parity.runTorch(Parity.TorchRun.MAIN, dir, Parity.defaultPythons(), 2));
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().startsWith("they agree"), Parity.table(r));
        assertTrue(r.worstLoss() < 1e-5, Parity.table(r));
        assertTrue(r.worstTensor("after-first-step") < 1e-4, Parity.table(r));
        assertEquals(STEPS, r.steps().size());
        assertTrue(r.steps().stream().allMatch(Parity.StepDiff::scheduleAgrees));
    }

    @Test
    void replayedStepsFromIdenticalStatesAgreeAndATamperedStateIsFound(@TempDir Path dir) throws Exception {
        prepare(dir);
        requireTorch(Parity.runTorch(Parity.TorchRun.REPLAY, dir, Parity.defaultPythons(), 2));
        List<Parity.ReplayStep> steps = Parity.compareReplay(dir);
        assertEquals(STEPS, steps.size());
        for (Parity.ReplayStep r : steps) {
            assertTrue(r.lossRelative() < 1e-5, Parity.replayTable(steps));
            r.worstByKind().values().forEach(d -> assertTrue(d.relative() < 1e-3, Parity.replayTable(steps)));
            assertEquals(List.of("lookahead", "momentum", "running statistics", "weights"),
                    r.worstByKind().keySet().stream().sorted().toList());
        }
        // The Java side's momentum of the head after step 3 changed by hand: step 3 (0-based 2) must show it.
        Path buffer = dir.resolve("java/state-003/momentum.head.kernel.f32");
        float[] values = Parity.readFloats(buffer);
        values[0] += 1f;
        Parity.writeFloats(buffer, values);
        List<Parity.ReplayStep> tampered = Parity.compareReplay(dir);
        assertEquals("momentum/head/kernel", tampered.get(2).worstByKind().get("momentum").name());
        assertTrue(tampered.get(2).worstByKind().get("momentum").relative() > 0.1);
        assertTrue(tampered.get(1).worstByKind().get("momentum").relative() < 1e-3);
    }

    @Test
    void aPyTorchSideWithTheOtherBatchNormMemoryIsCaught(@TempDir Path dir) throws Exception {
        prepare(dir);
        ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("case.json").toFile());
        ((ObjectNode) c.path("network")).put("batch_norm_memory", 0.6);
        JSON.writeValue(dir.resolve("case.json").toFile(), c);
        requireTorch(Parity.runTorch(Parity.TorchRun.MAIN, dir, Parity.defaultPythons(), 2));
        Parity.Report r = Parity.compare(dir);
        assertTrue(r.verdict().contains("part in the first step") && r.verdict().contains("/mean"), r.verdict());
    }
}
