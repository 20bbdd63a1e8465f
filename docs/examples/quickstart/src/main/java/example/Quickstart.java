package example;

import airbench.data.CifarData;
import airbench.data.CifarDataset;
import airbench.data.CifarVariant;
import airbench.eval.Evaluation;
import airbench.train.Recipe;
import airbench.train.TrainedModel;
import airbench.train.Training;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Trains a narrow airbench94 for one epoch on 5,120 CIFAR-10 images and evaluates it, through the library alone. */
public final class Quickstart {
    public static void main(String[] args) {
        Optional<Path> dataDir = Optional.ofNullable(System.getProperty("airbench.data")).map(Path::of)
                .or(() -> Optional.of(Path.of("../../../../shared/data")));
        CifarData cifar = CifarData.load(CifarVariant.CIFAR10, dataDir);
        CifarDataset train = cifar.train().first(5120);

        Recipe quick = Recipe.AIRBENCH94.toBuilder()
                .widths(List.of(32, 64, 64))
                .batchSize(512)
                .epochs(1)
                .build();
        try (TrainedModel model = Training.of(quick).withSeed(1).run(train)) {
            Evaluation accuracy = model.evaluate(cifar.test(), 0);
            System.out.printf("%d steps, %.1f s of training, test accuracy %.4f%n", model.steps(),
                    model.trainSeconds(), accuracy.accuracy());
        }
    }
}
