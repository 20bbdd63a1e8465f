/**
 * The trainer as a library: start at {@link airbench.train.Training}.
 *
 * <p>{@code Training.of(Recipe.AIRBENCH94).run(dataset)} trains and returns a {@link airbench.train.TrainedModel}
 * (logits, probabilities, evaluation with test-time augmentation, SavedModel export). {@link airbench.train.Recipe}
 * is the one table of every setting of every recipe; {@code toBuilder()} changes some of them.
 * {@link airbench.train.Schedule} says what each step needs, {@link airbench.train.TrainingListener} receives the
 * progress, {@link airbench.train.CheckpointStore} lets a caller keep checkpoints and resume.
 *
 * <p>Direction of the packages: {@code cli -> sweep -> run / report -> this package -> eval / model / data}.
 * Nothing here imports the packages below it ({@code run}, {@code report}, {@code sweep}, {@code cli}), a
 * command-line parser, a logging backend, a chart library or Spark (PackageDirectionTest checks it), so a
 * program that embeds the library needs only log4j-api besides TensorFlow.
 */
package airbench.train;
