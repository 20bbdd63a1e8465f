package airbench.train.report;

import airbench.train.EpochRecord;
import airbench.train.RunResult;
import airbench.train.RunStatistics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * PNG charts of finished runs, drawn with JFreeChart without a display: a run's training curves, the
 * distribution of final accuracies of one or several invocations with each one's mean and 95% confidence
 * interval of the mean ({@link RunStatistics}), and the accuracy at each TTA level compared. Accuracies are
 * shown in percent.
 */
public final class Plots {
    static final int WIDTH = 1000;
    static final int HEIGHT = 640;
    private static final Paint[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    /** The runs of one invocation (or of one run folder), named for the legend. */
    public record Group(String name, List<RunResult> runs) {
        public Group {
            if (runs.isEmpty()) {
                throw new IllegalArgumentException("group " + name + " has no runs");
            }
        }
    }

    private Plots() {}

    /**
     * The charts of one invocation into {@code out}: {@code seed-K-training-curves.png} for every run,
     * {@code accuracy.png} and {@code tta-levels.png}.
     *
     * @return the files written
     */
    public static List<Path> writeInvocation(Group group, Path out) {
        List<Path> files = new ArrayList<>();
        for (RunResult run : group.runs()) {
            Path file = out.resolve("seed-" + run.seed() + "-training-curves.png");
            save(trainingCurves(run, group.name()), file);
            files.add(file);
        }
        files.add(save(accuracyDistribution(List.of(group)), out.resolve("accuracy.png")));
        files.add(save(ttaLevels(List.of(group)), out.resolve("tta-levels.png")));
        return files;
    }

    /** Several invocations compared: {@code accuracy.png} and {@code tta-levels.png} in {@code out}. */
    public static List<Path> writeComparison(List<Group> groups, Path out) {
        return List.of(save(accuracyDistribution(groups), out.resolve("accuracy.png")),
                save(ttaLevels(groups), out.resolve("tta-levels.png")));
    }

    /**
     * Loss (top) and train and test accuracy (bottom) per epoch; the final accuracy with TTA as one point
     * after the last epoch.
     */
    static JFreeChart trainingCurves(RunResult run, String source) {
        XYSeries loss = new XYSeries("train loss (mean per image, label-smoothed)");
        XYSeries trainAccuracy = new XYSeries("train accuracy (augmented, during the epoch)");
        XYSeries testAccuracy = new XYSeries("test accuracy (no TTA)");
        XYSeries finalAccuracy = new XYSeries("final test accuracy, TTA level " + run.ttaLevel());
        for (EpochRecord r : run.history()) {
            loss.add(r.epoch(), r.trainLoss());
            trainAccuracy.add(r.epoch(), 100 * r.trainAccuracy());
            if (r.testAccuracy() != null) {
                testAccuracy.add(r.epoch(), 100 * r.testAccuracy());
            }
        }
        finalAccuracy.add(run.history().isEmpty() ? 0 : run.history().get(run.history().size() - 1).epoch(),
                100 * run.ttaAccuracy());

        NumberAxis lossAxis = new NumberAxis("train loss");
        lossAxis.setAutoRangeIncludesZero(false);
        XYPlot lossPlot = new XYPlot(new XYSeriesCollection(loss), null, lossAxis, lines(4));
        XYSeriesCollection accuracies = new XYSeriesCollection();
        accuracies.addSeries(trainAccuracy);
        if (!testAccuracy.isEmpty()) {
            accuracies.addSeries(testAccuracy);
        }
        accuracies.addSeries(finalAccuracy);
        NumberAxis accuracyAxis = new NumberAxis("accuracy (%)");
        accuracyAxis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer accuracyRenderer = lines(0);
        accuracyRenderer.setSeriesLinesVisible(accuracies.getSeriesCount() - 1, false);
        accuracyRenderer.setSeriesShape(accuracies.getSeriesCount() - 1, new Ellipse2D.Double(-6, -6, 12, 12));
        XYPlot accuracyPlot = new XYPlot(accuracies, null, accuracyAxis, accuracyRenderer);
        accuracyPlot.addAnnotation(label(String.format(Locale.ROOT, "%.2f%%", 100 * run.ttaAccuracy()),
                finalAccuracy.getX(0).doubleValue(), 100 * run.ttaAccuracy(), TextAnchor.BOTTOM_RIGHT));

        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(12);
        plot.add(lossPlot, 1);
        plot.add(accuracyPlot, 1);
        for (XYPlot sub : List.of(lossPlot, accuracyPlot)) {
            sub.setBackgroundPaint(Color.WHITE);
            sub.setDomainGridlinePaint(Color.LIGHT_GRAY);
            sub.setRangeGridlinePaint(Color.LIGHT_GRAY);
        }
        String title = String.format(Locale.ROOT, "recipe %s, seed %d: training curves (%s, %d steps)", run.recipe(),
                run.seed(), source, run.steps());
        return chart(title, plot);
    }

    /**
     * Every run's final accuracy (at its TTA level) as a dot, one column per group, beside the group's mean
     * with its 95% confidence interval.
     */
    static JFreeChart accuracyDistribution(List<Group> groups) {
        XYSeriesCollection dots = new XYSeriesCollection();
        XYSeries runs = new XYSeries("each run");
        dots.addSeries(runs);
        YIntervalSeries means = new YIntervalSeries("mean and 95% CI of the mean");
        String[] names = new String[groups.size()];
        List<XYTextAnnotation> labels = new ArrayList<>();
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            names[g] = group.name();
            List<Double> accuracies = group.runs().stream().map(RunResult::ttaAccuracy).toList();
            for (int i = 0; i < accuracies.size(); i++) {
                // Spread the dots sideways a little so that equal accuracies stay visible.
                double offset = accuracies.size() == 1 ? 0 : -0.15 + 0.3 * i / (accuracies.size() - 1);
                runs.add(g - 0.1 + offset * 0.5, 100 * accuracies.get(i));
                low = Math.min(low, 100 * accuracies.get(i));
                high = Math.max(high, 100 * accuracies.get(i));
            }
            RunStatistics stats = RunStatistics.of(accuracies);
            double ciLow = stats.ciLow() == null ? stats.mean() : stats.ciLow();
            double ciHigh = stats.ciHigh() == null ? stats.mean() : stats.ciHigh();
            means.add(g + 0.15, 100 * stats.mean(), 100 * ciLow, 100 * ciHigh);
            low = Math.min(low, 100 * ciLow);
            high = Math.max(high, 100 * ciHigh);
            String text = stats.n() > 1
                    ? String.format(Locale.ROOT, "n=%d, mean %.2f%%, CI [%.2f, %.2f]", stats.n(), 100 * stats.mean(),
                            100 * ciLow, 100 * ciHigh)
                    : String.format(Locale.ROOT, "n=1: %.2f%%", 100 * stats.mean());
            labels.add(label(text, g + 0.2, 100 * stats.mean(), TextAnchor.CENTER_LEFT));
        }
        SymbolAxis groupAxis = new SymbolAxis(null, names);
        groupAxis.setRange(-0.6, groups.size() + 0.1);  // room on the right for the last label
        groupAxis.setGridBandsVisible(false);
        NumberAxis accuracyAxis = new NumberAxis("final test accuracy (%)");
        double margin = Math.max(0.1, (high - low) * 0.15);
        accuracyAxis.setRange(low - margin, high + margin);
        XYLineAndShapeRenderer dotRenderer = new XYLineAndShapeRenderer(false, true);
        dotRenderer.setSeriesPaint(0, COLOURS[0]);
        dotRenderer.setSeriesShape(0, new Ellipse2D.Double(-5, -5, 10, 10));
        XYPlot plot = new XYPlot(dots, groupAxis, accuracyAxis, dotRenderer);
        XYErrorRenderer meanRenderer = new XYErrorRenderer();
        meanRenderer.setDrawXError(false);
        meanRenderer.setDefaultLinesVisible(false);
        meanRenderer.setSeriesPaint(0, COLOURS[1]);
        meanRenderer.setErrorPaint(COLOURS[1]);
        meanRenderer.setErrorStroke(new BasicStroke(2f));
        meanRenderer.setCapLength(14);
        meanRenderer.setSeriesShape(0, new java.awt.geom.Rectangle2D.Double(-6, -6, 12, 12));
        YIntervalSeriesCollection meanData = new YIntervalSeriesCollection();
        meanData.addSeries(means);
        plot.setDataset(1, meanData);
        plot.setRenderer(1, meanRenderer);
        labels.forEach(plot::addAnnotation);
        TreeSet<Integer> levels = new TreeSet<>();
        groups.forEach(g -> g.runs().forEach(r -> levels.add(r.ttaLevel())));
        return chart("Final test accuracy per run, TTA level " + join(levels) + " (mean and 95% CI of the mean)", plot);
    }

    /** Mean accuracy at each TTA level, one line per group, with the 95% interval where a group has several runs. */
    static JFreeChart ttaLevels(List<Group> groups) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            YIntervalSeries series = new YIntervalSeries(group.name() + " (n=" + group.runs().size() + ")");
            TreeSet<String> levels = new TreeSet<>();
            group.runs().forEach(r -> levels.addAll(r.accuracyByTtaLevel().keySet()));
            for (String level : levels) {
                List<Double> values = group.runs().stream().map(RunResult::accuracyByTtaLevel)
                        .filter(m -> m.containsKey(level)).map(m -> m.get(level)).toList();
                RunStatistics stats = RunStatistics.of(values);
                // Groups side by side around each level, so that their intervals do not hide each other.
                double x = Integer.parseInt(level) + (groups.size() == 1 ? 0 : 0.12 * (g - (groups.size() - 1) / 2.0));
                series.add(x, 100 * stats.mean(),
                        100 * (stats.ciLow() == null ? stats.mean() : stats.ciLow()),
                        100 * (stats.ciHigh() == null ? stats.mean() : stats.ciHigh()));
            }
            data.addSeries(series);
        }
        NumberAxis levelAxis = new NumberAxis("TTA level (0: none, 1: + mirror, 2: + mirror and translations)");
        levelAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        levelAxis.setRange(-0.25, 2.25);
        NumberAxis accuracyAxis = new NumberAxis("final test accuracy (%)");
        accuracyAxis.setAutoRangeIncludesZero(false);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(true);
        renderer.setCapLength(10);
        for (int s = 0; s < groups.size(); s++) {
            renderer.setSeriesPaint(s, COLOURS[s % COLOURS.length]);
            renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, levelAxis, accuracyAxis, renderer);
        return chart("Final test accuracy by test-time augmentation level (mean and 95% CI of the mean)", plot);
    }

    /** Writes {@code chart} as a PNG ({@value #WIDTH} x {@value #HEIGHT}), through a temporary file. */
    static Path save(JFreeChart chart, Path file) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");  // charts are drawn in memory; no display needed
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            ChartUtils.saveChartAsPNG(tmp.toFile(), chart, WIDTH, HEIGHT);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the chart " + file + ": " + e.getMessage(), e);
        }
    }

    private static XYLineAndShapeRenderer lines(int firstColour) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int s = 0; s < 4; s++) {
            renderer.setSeriesPaint(s, COLOURS[(firstColour + s) % COLOURS.length]);
            renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        return renderer;
    }

    private static XYTextAnnotation label(String text, double x, double y, TextAnchor anchor) {
        XYTextAnnotation label = new XYTextAnnotation(text, x, y);
        label.setTextAnchor(anchor);
        label.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return label;
    }

    private static JFreeChart chart(String title, XYPlot plot) {
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return chart;
    }

    private static String join(TreeSet<Integer> levels) {
        return String.join(", ", levels.stream().map(String::valueOf).toList());
    }
}
