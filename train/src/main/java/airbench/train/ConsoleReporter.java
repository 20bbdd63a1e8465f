package airbench.train;

import java.util.Locale;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** The per-epoch table and progress lines on the console, through Log4j. */
final class ConsoleReporter implements TrainingListener {
    private static final Logger LOG = LogManager.getLogger("airbench.table");
    private static final String HEADER = "|  seed | epoch | steps | train_loss | train_acc | test_acc | train_seconds |";
    private long lastHeaderSeed = Long.MIN_VALUE;

    @Override
    public void progress(long seed, int step, int totalSteps, double recentLoss, double secondsPerStep) {
        double etaMinutes = (totalSteps - step) * secondsPerStep / 60;
        LOG.info(String.format(Locale.ROOT, "seed %d: step %d/%d, loss %.4f, %.2f s/step, about %.0f min of training left",
                seed, step, totalSteps, recentLoss, secondsPerStep, etaMinutes));
    }

    @Override
    public void epochEnded(long seed, EpochRecord r) {
        if (lastHeaderSeed != seed) {
            LOG.info(HEADER);
            lastHeaderSeed = seed;
        }
        String test = r.testAccuracy() == null ? "       -" : String.format(Locale.ROOT, "%8.4f", r.testAccuracy());
        LOG.info(String.format(Locale.ROOT, "| %5d | %5d | %5d | %10.4f | %9.4f | %s | %13.1f |",
                seed, r.epoch(), r.steps(), r.trainLoss(), r.trainAccuracy(), test, r.trainSeconds()));
    }

    @Override
    public void finalEvaluationStarted(long seed, int images, String method) {
        LOG.info(String.format(Locale.ROOT, "seed %d: every step done; the final evaluation of %d test images with %s",
                seed, images, method));
    }

    @Override
    public void runEnded(RunResult result) {
        StringBuilder levels = new StringBuilder();
        result.accuracyByTtaLevel().forEach((level, acc) ->
                levels.append(String.format(Locale.ROOT, " level %s %.4f", level, acc)));
        String tta = result.selectiveTta() == null ? "TTA level " + result.ttaLevel()
                : String.format(Locale.ROOT, "selective TTA (six views for the least confident %s)",
                result.selectiveTta());
        LOG.info(String.format(Locale.ROOT,
                "seed %d: final test accuracy with %s: %.4f (%s), train time %.1f s, wall %.1f s",
                result.seed(), tta, result.ttaAccuracy(), levels.toString().trim(),
                result.trainSeconds(), result.wallSeconds()));
    }
}
