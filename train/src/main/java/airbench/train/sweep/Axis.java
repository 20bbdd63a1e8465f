package airbench.train.sweep;

import java.util.List;

/**
 * One training option that takes several values in a sweep: every cell of the grid has one of them.
 *
 * @param name   the option's flag name without dashes ({@code flip}, {@code epochs}, ...)
 * @param values its values, as they would be given on the command line, in the order given
 */
public record Axis(String name, List<String> values) {
    public Axis {
        values = List.copyOf(values);
        if (values.isEmpty()) {
            throw new IllegalArgumentException("the grid option " + name + " has no values");
        }
        if (values.stream().distinct().count() != values.size()) {
            throw new IllegalArgumentException("the grid option " + name + " repeats a value: " + values);
        }
    }
}
