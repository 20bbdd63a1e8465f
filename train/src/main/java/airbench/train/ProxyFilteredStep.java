package airbench.train;

import airbench.data.Batch;
import airbench.data.BatchSource;
import airbench.data.StraddlingBatches;
import airbench.data.TrainingBatches;
import airbench.model.AirbenchModel;
import airbench.model.ProxyFilterSpec;
import java.util.Locale;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The step of recipe 96faster (docs/METHOD.md section 11), one {@code Session.run} per step
 * ({@link AirbenchModel#trainFilteredStep}): the proxy network runs forward on the whole batch of the
 * straddling stream, the main network trains on the {@link ProxyFilterSpec#keep} examples with the
 * highest proxy loss, and the proxy takes its own optimizer step on those only at steps
 * {@link ProxyFilterSpec#proxySteps}. Both follow the schedule's multiplier of the step.
 *
 * <p>Every epoch of steps it logs how the proxy is doing (its loss over whole batches and over the
 * kept examples): if the proxy stops learning, its choice is noise.
 */
final class ProxyFilteredStep implements BatchStep {
    private static final Logger LOG = LogManager.getLogger(ProxyFilteredStep.class);

    private final ProxyFilterSpec filter;
    private final int batchSize;
    // Sums over the current epoch of steps, for the log line.
    private double proxyLoss;
    private double proxyKeptLoss;
    private int steps;
    private int proxySteps;

    ProxyFilteredStep(Recipe recipe) {
        this.filter = recipe.filter();
        this.batchSize = recipe.optimizer().batchSize();
    }

    @Override
    public BatchSource batches(TrainingBatches passes) {
        return new StraddlingBatches(passes);
    }

    @Override
    public int imagesPerStep() {
        return filter.keep();
    }

    @Override
    public AirbenchModel.StepResult take(AirbenchModel model, Batch batch, int step, Schedule schedule) {
        boolean proxyStep = filter.proxySteps(step);
        Schedule.Step plan = schedule.at(step);
        AirbenchModel.FilteredStepResult r = model.trainFilteredStep(batch.images(), batch.labels(), batchSize,
                plan.lrMultiplier(), plan.whitenBiasMultiplier(), plan.trainsWhitenBias(), plan.lookaheadAlpha(),
                proxyStep);
        proxyLoss += r.proxyLossSum();
        proxyKeptLoss += r.proxyKeptLossSum();
        steps++;
        proxySteps += proxyStep ? 1 : 0;
        if (schedule.endsEpoch(step + 1)) {
            LOG.info(String.format(Locale.ROOT, "epoch %d: proxy loss %.4f per image over whole batches, %.4f over"
                            + " the %d kept per batch; %d proxy steps in %d steps", schedule.epochOf(step) + 1,
                    proxyLoss / ((double) steps * batchSize), proxyKeptLoss / ((double) steps * filter.keep()),
                    filter.keep(), proxySteps, steps));
            proxyLoss = 0;
            proxyKeptLoss = 0;
            steps = 0;
            proxySteps = 0;
        }
        return r.main();
    }

    @Override
    public Map<String, Double> epochSums() {
        return Map.of("proxy_loss", proxyLoss, "proxy_kept_loss", proxyKeptLoss, "steps", (double) steps,
                "proxy_steps", (double) proxySteps);
    }

    @Override
    public void continueEpoch(Map<String, Double> sums) {
        proxyLoss = sums.getOrDefault("proxy_loss", 0.0);
        proxyKeptLoss = sums.getOrDefault("proxy_kept_loss", 0.0);
        steps = sums.getOrDefault("steps", 0.0).intValue();
        proxySteps = sums.getOrDefault("proxy_steps", 0.0).intValue();
    }
}
