package airbench.train.run;

import airbench.train.CheckpointStore;
import airbench.train.EpochSoFar;
import airbench.train.Recipe;
import airbench.train.RunResult;
import airbench.train.StopSignal;
import airbench.train.TrainedModel;
import airbench.train.Training;
import airbench.train.TrainingListener;
import airbench.train.TrainingProgress;
import airbench.train.TrainingStoppedException;
import airbench.data.CifarDataset;
import airbench.data.DatasetChoice;
import airbench.eval.ClassAccuracy;
import airbench.eval.Evaluation;
import airbench.eval.Evaluator;
import airbench.eval.SelectiveTta;
import airbench.model.AirbenchModel;
import airbench.model.TensorFlowRuntime;
import airbench.tools.Provenance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One run of the command line: a {@link Training} built from the options ({@link #training}), run through
 * the same loop as the library's ({@link TrainingLoop}), in a run folder. Around the loop it adds the
 * checkpoint at every epoch end, the final TTA evaluation, {@code result.json}, the weights and the
 * SavedModel export. A run folder that holds a checkpoint is continued from it, giving the same result as a
 * run never interrupted.
 */
public final class SeedRun {
    private static final Logger LOG = LogManager.getLogger(SeedRun.class);
    private final TrainOptions options;
    private final DatasetChoice dataset;
    private final CifarDataset train;
    private final CifarDataset test;
    private final TrainingListener listener;
    private final boolean exportModel;
    private final StopSignal stop;

    /**
     * @param train the training images (already cut to the subset, if any)
     * @param test  the test set
     * @throws IllegalArgumentException if the data is not the options' dataset, or the recipe's head does not
     *                                  have its class count
     */
    public SeedRun(TrainOptions options, CifarDataset train, CifarDataset test, TrainingListener listener) {
        this(options, train, test, listener, true);
    }

    /** @param exportModel whether the finished run exports its SavedModel (a sweep's run keeps only its result) */
    public SeedRun(TrainOptions options, CifarDataset train, CifarDataset test, TrainingListener listener,
                   boolean exportModel) {
        this(options, train, test, listener, exportModel, new StopSignal());
    }

    /**
     * @param stop asks the runs to end after their current step ({@link Training#withStopSignal}): the run's
     *             checkpoint then holds that step, and {@link #run} throws {@link TrainingStoppedException}
     */
    public SeedRun(TrainOptions options, CifarDataset train, CifarDataset test, TrainingListener listener,
                   boolean exportModel, StopSignal stop) {
        this.options = options;
        this.dataset = options.dataset();
        for (CifarDataset split : List.of(train, test)) {
            if (split.dataset() != dataset) {
                throw new IllegalArgumentException("the options train on " + dataset.displayName() + " but the "
                        + split.split() + " split given is " + split.dataset().displayName() + "; read the data with"
                        + " the options' dataset (" + dataset.options() + ")");
            }
        }
        int headClasses = options.recipe().network().numClasses();
        if (headClasses != dataset.numClasses()) {
            throw new IllegalArgumentException("the recipe's head has " + headClasses + " classes but "
                    + dataset.displayName() + " has " + dataset.numClasses() + "; size it with"
                    + " Recipe.Builder.numClasses (TrainOptions.resolve does)");
        }
        this.train = train;
        this.test = test;
        this.listener = listener;
        this.exportModel = exportModel;
        this.stop = stop;
    }

    /** The library's {@link Training} that these options describe, for the run of {@code seed}. */
    Training training(long seed) {
        Training training = Training.of(options.recipe()).withSeed(seed).withExecution(options.execution())
                .withThreads(options.threads()).withListener(listener).withStopSignal(stop);
        return options.epochEval() ? training.withEpochEvaluation(test) : training;
    }

    /**
     * Trains (or continues) the run of {@code seed} in {@code runDir} and writes
     * {@code result.json} and the final weights there.
     *
     * @throws TrainingStoppedException when the stop signal ended the run early (its checkpoint holds the last step)
     */
    public RunResult run(long seed, Path runDir) throws java.io.IOException {
        long wallStart = System.nanoTime();
        // Taken now, not at the end: the code that runs is the code checked out when the run starts.
        Map<String, String> provenance = Provenance.collect();
        Map<String, Object> execution = new LinkedHashMap<>(options.execution().toMap());
        execution.putAll(TensorFlowRuntime.status().toMap());
        Recipe recipe = options.recipe();
        recipe.checkTrainable(train);  // before anything is written
        Files.createDirectories(runDir);
        Path checkpointFile = runDir.resolve(RunFolder.CHECKPOINT_FILE);
        Map<String, Object> recipeMap = Json.toMap(recipe);
        Checkpoint.Contents resumeFrom = null;
        if (Files.exists(checkpointFile)) {
            resumeFrom = Checkpoint.read(checkpointFile);
            checkCompatible(checkpointFile, resumeFrom.header(), recipeMap, seed, dataset);
            LOG.info("resuming seed {} from {}", seed, checkpointFile);
        }
        double wallSecondsBefore = resumeFrom == null ? 0 : resumeFrom.header().wallSeconds();
        CheckpointStore folder = new CheckpointedFolder(runDir, resumeFrom, recipeMap, seed, dataset,
                wallSecondsBefore, wallStart, options.checkpointEvery());

        try (TrainedModel model = training(seed).run(train, folder)) {
            TrainingProgress progress = model.progress();
            long evalStart = System.nanoTime();
            // The predictions of every level up to the run's, kept for the per-class accuracies; with selective
            // TTA the plain ones (level 0) and the selective ones, the final figure.
            int[][] predicted;
            int[] finalPredicted;
            // A stop ends it at its next batch; the checkpoint of the last step stays for the continuation.
            if (recipe.ttaSelective() > 0) {
                listener.finalEvaluationStarted(seed, test.size(), "selective TTA (six views for the least confident "
                        + recipe.ttaSelective() + ")");
                SelectiveTta.Logits logits = model.selectiveTta(test, recipe.ttaSelective(), stop);
                finalPredicted = SelectiveTta.predictions(logits.selective(), test.numClasses());
                predicted = new int[][] {SelectiveTta.predictions(logits.plain(), test.numClasses())};
            } else {
                listener.finalEvaluationStarted(seed, test.size(), "TTA level " + recipe.ttaLevel());
                predicted = model.predictionsUpTo(test, recipe.ttaLevel(), stop);
                finalPredicted = predicted[recipe.ttaLevel()];
            }
            Map<Integer, Evaluation> byLevel = new LinkedHashMap<>();
            for (int level = 0; level <= recipe.ttaLevel(); level++) {
                byLevel.put(level, Evaluator.score(level, predicted[level], test.labels()));
            }
            double finalAccuracy = Evaluator.score(recipe.ttaLevel(), finalPredicted, test.labels()).accuracy();
            // Counted as the reference counts it: the final TTA evaluation is part of the training time.
            double trainSeconds = progress.trainSeconds() + seconds(System.nanoTime() - evalStart);

            Map<String, Double> accuracies = new LinkedHashMap<>();
            byLevel.forEach((level, e) -> accuracies.put(String.valueOf(level), e.accuracy()));
            double wall = wallSecondsBefore + seconds(System.nanoTime() - wallStart);
            RunResult result = new RunResult(recipe.name(), seed, recipe.epochs(), options.raw(), recipeMap,
                    List.copyOf(progress.history()), finalAccuracy, recipe.ttaLevel(),
                    accuracies, trainSeconds, wall, progress.steps(), progress.resumedTimes(),
                    progress.batchWaitSeconds(), provenance, execution, dataset.id(),
                    ClassAccuracy.of(finalPredicted, test.labels(), test.classNames()),
                    recipe.ttaSelective() > 0 ? recipe.ttaSelective() : null);
            ModelWeights.write(runDir.resolve(RunFolder.WEIGHTS_FILE), model.networkState());
            if (exportModel) {
                Path export = options.exportFolder(seed, runDir);
                model.export(export, options.overwriteExport());
                LOG.info("exported the final model to {}", export);
            }
            Json.write(runDir.resolve(RunFolder.RESULT_FILE), result);
            Files.deleteIfExists(checkpointFile);
            listener.runEnded(result);
            return result;
        }
    }

    /**
     * The run folder of the command line: continues from its checkpoint and writes one at every epoch end, every
     * {@code saveEverySteps} steps ({@code --checkpoint-every}, 0 for none) and at a stop.
     */
    private record CheckpointedFolder(Path dir, Checkpoint.Contents checkpoint, Map<String, Object> recipeMap,
                                      long seed, DatasetChoice dataset, double wallSecondsBefore, long wallStart,
                                      int saveEverySteps)
            implements CheckpointStore {
        @Override
        public Optional<Path> folder() {
            return Optional.of(dir);
        }

        @Override
        public Optional<Saved> resumeFrom() {
            return Optional.ofNullable(checkpoint).map(c -> new Saved(c.header().progress(), c.state(),
                    Optional.of(dir.resolve(RunFolder.CHECKPOINT_FILE))));
        }

        @Override
        public Optional<Path> save(TrainingProgress progress, Supplier<Map<String, float[]>> variables) {
            double wall = wallSecondsBefore + seconds(System.nanoTime() - wallStart);
            Path file = dir.resolve(RunFolder.CHECKPOINT_FILE);
            EpochSoFar epoch = progress.epochSoFar().steps() == 0 ? null : progress.epochSoFar();
            Checkpoint.write(file, new Checkpoint.Header(recipeMap, seed, progress.steps(),
                    List.copyOf(progress.history()), progress.trainSeconds(), wall, progress.resumedTimes(),
                    progress.batchWaitSeconds(), dataset.id(), epoch), variables.get());
            return Optional.of(file);
        }
    }

    private static void checkCompatible(Path file, Checkpoint.Header header, Map<String, Object> recipeMap, long seed,
                                        DatasetChoice dataset) {
        if (!header.datasetOrCifar10().equals(dataset.id())) {
            String trained = DatasetChoice.fromId(header.datasetOrCifar10()).map(DatasetChoice::displayName)
                    .orElse("'" + header.datasetOrCifar10() + "'");
            String options = DatasetChoice.fromId(header.datasetOrCifar10()).map(DatasetChoice::options)
                    .orElse("its dataset");
            throw new IllegalStateException("checkpoint " + file + " belongs to a run on " + trained + ", and this"
                    + " run trains on " + dataset.displayName() + ". Resume it with " + options + " (the options it"
                    + " was started with), or start the new run in another folder.");
        }
        if (!header.recipe().equals(recipeMap)) {
            List<String> differences = new ArrayList<>();
            for (String key : recipeMap.keySet()) {
                if (!java.util.Objects.equals(recipeMap.get(key), header.recipe().get(key))) {
                    differences.add(key + " " + header.recipe().get(key) + " (checkpoint) vs " + recipeMap.get(key)
                            + " (now)");
                }
            }
            throw new IllegalStateException("checkpoint " + file + " belongs to another configuration: "
                    + String.join("; ", differences) + ". Resume with the options the run was started with, or"
                    + " start a new run in another folder.");
        }
        if (header.seed() != seed) {
            throw new IllegalStateException("checkpoint " + file + " is of seed " + header.seed() + ", not " + seed);
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
