package airbench.train.sweep;

import java.util.Map;

/**
 * One combination of grid values: the runs of its seeds differ only in their seed.
 *
 * @param name   the cell's folder name inside the sweep folder, e.g. {@code flip=random_epochs=2}
 *               ({@code all} for a sweep without grid options)
 * @param values the grid option values of the cell, in the grid's order
 */
public record Cell(String name, Map<String, String> values) {}
