/**
 * Run folders of the command line: {@link airbench.train.run.RunFolder} owns every file name of an invocation's
 * folder; {@link airbench.train.run.SeedRun} is one seed's training in it (checkpoints, result.json, weights,
 * export, TensorBoard), {@link airbench.train.run.ScratchRun} a sweep cell's. The training options
 * ({@link airbench.train.run.TrainOptions}, parsed by {@link airbench.train.run.TrainOptionTable}) and the
 * persisted formats (checkpoints, model weights, JSON) live here too.
 */
package airbench.train.run;
