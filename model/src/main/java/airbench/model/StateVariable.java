package airbench.model;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A float32 graph variable whose value Java sets and reads by name: weights,
 * BatchNorm statistics, momentum buffers and Lookahead copies all go through
 * this, which is what makes initialization, checkpoints and export uniform.
 */
public final class StateVariable {
    private final String name;
    private final Shape shape;
    private final Variable<TFloat32> variable;
    private final Placeholder<TFloat32> feed;
    private final Assign<TFloat32> load;

    private StateVariable(Ops named, String name, Shape shape) {
        this.name = name;
        this.shape = shape;
        this.variable = named.withName("var").variable(shape, TFloat32.class);
        this.feed = named.withName("feed").placeholder(TFloat32.class, Placeholder.shape(shape));
        this.load = named.withName("load").assign(variable, feed);
    }

    /** Full name, e.g. {@code block1/conv1/kernel}; also the key in checkpoints. */
    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    /** Number of float values. */
    public int size() {
        return Math.toIntExact(shape.size());
    }

    Variable<TFloat32> variable() {
        return variable;
    }

    Placeholder<TFloat32> feed() {
        return feed;
    }

    Assign<TFloat32> load() {
        return load;
    }

    /**
     * Creates state variables whose graph names follow their logical names
     * ({@code a/b/c} becomes ops {@code a/b/c/var}, {@code .../feed}, {@code .../load}).
     * Sub-scopes are cached because TensorFlow makes a repeated sub-scope name unique.
     */
    static final class Factory {
        private final java.util.Map<String, Ops> scopes = new java.util.HashMap<>();
        private final java.util.Set<String> names = new java.util.HashSet<>();
        private final String prefix;

        Factory(Ops root) {
            this(root, "");
        }

        /**
         * A factory whose variables are named {@code prefix + name} (e.g. {@code proxy/block1/conv1/kernel}),
         * so that a second network in the same graph has names of its own; {@code root} is the scope
         * that the prefix names (e.g. the graph's {@code proxy} sub-scope), and the ops go under it.
         */
        Factory(Ops root, String prefix) {
            scopes.put("", root);
            this.prefix = prefix;
        }

        StateVariable create(String name, Shape shape) {
            String full = prefix + name;
            if (!names.add(full)) {
                throw new IllegalArgumentException("state variable '" + full + "' defined twice");
            }
            return new StateVariable(scope(name), full, shape);
        }

        private Ops scope(String path) {
            Ops cached = scopes.get(path);
            if (cached != null) {
                return cached;
            }
            int slash = path.lastIndexOf('/');
            Ops parent = scope(slash < 0 ? "" : path.substring(0, slash));
            Ops scope = parent.withSubScope(path.substring(slash + 1));
            scopes.put(path, scope);
            return scope;
        }
    }
}
