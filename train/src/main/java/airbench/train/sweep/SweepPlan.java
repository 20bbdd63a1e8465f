package airbench.train.sweep;

import airbench.train.run.Json;
import airbench.train.run.ScratchRun;
import airbench.train.run.TrainOptionTable;
import airbench.train.run.UsageException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a sweep trains: training options shared by every run, grid options with several values each (every
 * combination is a cell), and the seeds every cell runs. Runs are ordered cell by cell (the first grid option
 * varying slowest), seeds within a cell.
 *
 * @param options training options of every run, by flag name, as given on the command line
 * @param grid    the grid options, in the order given
 * @param seeds   the seeds of every cell, ascending
 */
public record SweepPlan(Map<String, String> options, List<Axis> grid, List<Long> seeds) {
    /** Name of the one cell of a sweep without grid options. */
    static final String SINGLE_CELL = "all";
    /** A seed list: numbers and ranges {@code a-b}, separated by commas. */
    private static final Pattern SEED_PART = Pattern.compile("(\\d+)(?:-(\\d+))?");
    /** More runs than this is a typo (0-1000000), not a sweep. */
    private static final int MAX_SEEDS = 100_000;

    public SweepPlan {
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
        grid = List.copyOf(grid);
        seeds = List.copyOf(new TreeSet<>(seeds));
        if (seeds.isEmpty()) {
            throw new UsageException("the sweep has no seeds; give --seeds, e.g. --seeds 0-4");
        }
        Set<String> names = new LinkedHashSet<>();
        for (Axis axis : grid) {
            if (!names.add(axis.name())) {
                throw new UsageException("--grid " + axis.name() + " is given twice; give all its values in one"
                        + " --grid " + axis.name() + "=A,B,...");
            }
            if (options.containsKey(axis.name())) {
                throw new UsageException("--" + axis.name() + " is given both as a sweep-wide option and as a grid"
                        + " option; give it once");
            }
            requireTrainingOption(axis.name(), true);
        }
        options.keySet().forEach(name -> requireTrainingOption(name, false));
    }

    /**
     * Training options a sweep passes on to its runs: every option of the {@code train} command except those
     * of its folders and seeds ({@link ScratchRun#EXCLUDED_OPTIONS}) and {@code threads}, which the sweep sets
     * per run from where it runs.
     */
    public static List<String> trainingOptions() {
        return TrainOptionTable.DEFS.stream().map(TrainOptionTable.Def::name)
                .filter(n -> !ScratchRun.EXCLUDED_OPTIONS.contains(n) && !n.equals("threads")).toList();
    }

    public static void requireTrainingOption(String name, boolean asGrid) {
        if (!trainingOptions().contains(name)) {
            String why = switch (name) {
                case "seed", "runs" -> "; a sweep's seeds are given with --seeds, e.g. --seeds 0-9";
                case "threads" -> "; --threads of a sweep is the threads of each run and cannot vary";
                case "resume" -> "; run the same sweep into the same --output to continue it";
                case "output", "export", "overwrite-export", "tensorboard" ->
                        "; a sweep keeps each run's result.json in its --output folder, no models or event files";
                default -> "";
            };
            throw new UsageException("--" + name + " cannot be " + (asGrid ? "a grid option" : "given to a sweep")
                    + why + (why.isEmpty() ? "; training options a sweep takes: " + String.join(", ", trainingOptions())
                    : ""));
        }
        if (asGrid && name.equals("onednn")) {
            throw new UsageException("--onednn cannot be a grid option: TensorFlow reads it once per process;"
                    + " give it as a sweep-wide option");
        }
    }

    /**
     * {@code --grid NAME=V1,V2,...}; values that themselves hold commas ({@code widths}) are separated by
     * semicolons instead: {@code --grid "widths=64,256,256;32,64,64"}.
     */
    public static Axis parseGrid(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw new UsageException("bad --grid '" + text + "'; expected NAME=V1,V2,... e.g. --grid flip=alternating,none");
        }
        String name = text.substring(0, eq).trim();
        String list = text.substring(eq + 1);
        String separator = list.contains(";") ? ";" : ",";
        List<String> values = new ArrayList<>();
        for (String value : list.split(Pattern.quote(separator), -1)) {
            if (value.isBlank()) {
                throw new UsageException("bad --grid '" + text + "': an empty value");
            }
            values.add(value.trim());
        }
        try {
            return new Axis(name, values);
        } catch (IllegalArgumentException e) {
            throw new UsageException("bad --grid '" + text + "': " + e.getMessage());
        }
    }

    /** {@code 0-4}, {@code 1,5,9}, {@code 0-9,20}: non-negative seeds, ascending, each once. */
    public static List<Long> parseSeeds(String text) {
        Set<Long> seeds = new TreeSet<>();
        for (String part : text.split(",")) {
            Matcher m = SEED_PART.matcher(part.trim());
            if (!m.matches()) {
                throw new UsageException("bad --seeds '" + text + "'; expected numbers and ranges like 0-4 or 1,5,9");
            }
            long from = Long.parseLong(m.group(1));
            long to = m.group(2) == null ? from : Long.parseLong(m.group(2));
            if (to < from || to - from >= MAX_SEEDS) {
                throw new UsageException("bad --seeds range '" + part.trim() + "'; expected FROM-TO with FROM <= TO"
                        + " and at most " + MAX_SEEDS + " seeds");
            }
            for (long s = from; s <= to; s++) {
                seeds.add(s);
            }
        }
        if (seeds.size() > MAX_SEEDS) {
            throw new UsageException("--seeds '" + text + "' gives more than " + MAX_SEEDS + " seeds");
        }
        return List.copyOf(seeds);
    }

    /**
     * A plan file (JSON): {@code {"options": {"recipe": "94", "epochs": 2}, "grid": {"flip": ["alternating",
     * "none"], "tta": [0, 1, 2]}, "seeds": "0-9"}}; every part optional, numbers and booleans allowed for values.
     */
    public static SweepPlan readFile(Path file) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UsageException("cannot read the plan file " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new UsageException("the plan file " + file + " must hold one JSON object with \"options\","
                    + " \"grid\" and \"seeds\"");
        }
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!Set.of("options", "grid", "seeds").contains(key)) {
                throw new UsageException("the plan file " + file + " has an unknown field \"" + key
                        + "\"; its fields are options, grid and seeds");
            }
        }
        Map<String, String> options = new LinkedHashMap<>();
        root.path("options").fields().forEachRemaining(e -> options.put(e.getKey(), scalar(file, e.getValue())));
        List<Axis> grid = new ArrayList<>();
        root.path("grid").fields().forEachRemaining(e -> {
            if (!e.getValue().isArray()) {
                throw new UsageException("the plan file " + file + ": grid option \"" + e.getKey()
                        + "\" must be a list of values");
            }
            List<String> values = new ArrayList<>();
            e.getValue().forEach(v -> values.add(scalar(file, v)));
            try {
                grid.add(new Axis(e.getKey(), values));
            } catch (IllegalArgumentException bad) {
                throw new UsageException("the plan file " + file + ": " + bad.getMessage());
            }
        });
        JsonNode seedNode = root.path("seeds");
        List<Long> seeds = new ArrayList<>();
        if (seedNode.isMissingNode()) {
            seeds.add(0L);
        } else if (seedNode.isArray()) {
            seedNode.forEach(v -> seeds.addAll(parseSeeds(scalar(file, v))));
        } else {
            seeds.addAll(parseSeeds(scalar(file, seedNode)));
        }
        return new SweepPlan(options, grid, seeds);
    }

    private static String scalar(Path file, JsonNode value) {
        if (!value.isValueNode() || value.isNull()) {
            throw new UsageException("the plan file " + file + ": expected a string, number or boolean, got " + value);
        }
        return value.asText();
    }

    /** Every combination of grid values, the first grid option varying slowest. */
    public List<Cell> cells() {
        List<Map<String, String>> combinations = new ArrayList<>();
        combinations.add(new LinkedHashMap<>());
        for (Axis axis : grid) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : combinations) {
                for (String value : axis.values()) {
                    Map<String, String> more = new LinkedHashMap<>(partial);
                    more.put(axis.name(), value);
                    next.add(more);
                }
            }
            combinations = next;
        }
        List<Cell> cells = new ArrayList<>();
        Map<String, Map<String, String>> byName = new LinkedHashMap<>();
        for (Map<String, String> values : combinations) {
            String name = cellName(values);
            Map<String, String> clash = byName.put(name, values);
            if (clash != null) {
                throw new UsageException("the grid values " + clash + " and " + values + " give the same folder name "
                        + name + "; use values that differ in letters or digits");
            }
            cells.add(new Cell(name, java.util.Collections.unmodifiableMap(values)));
        }
        return cells;
    }

    /** {@code flip=random_epochs=2}: readable, and safe as a folder name (other characters become '+'). */
    static String cellName(Map<String, String> values) {
        if (values.isEmpty()) {
            return SINGLE_CELL;
        }
        return values.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().replaceAll("[^A-Za-z0-9.+-]", "+"))
                .collect(Collectors.joining("_"));
    }

    /** Every run, cell by cell, each cell's seeds ascending. */
    public List<RunSpec> runs() {
        List<RunSpec> runs = new ArrayList<>();
        for (Cell cell : cells()) {
            Map<String, String> options = runOptions(cell);
            for (long seed : seeds) {
                runs.add(new RunSpec(cell.name(), seed, options));
            }
        }
        return runs;
    }

    /**
     * The training options of the cell's runs, made the way the {@code train} command makes them: the
     * sweep-wide options and the cell's values written as flags and parsed by {@link TrainOptionTable#parse}.
     */
    public Map<String, String> runOptions(Cell cell) {
        Map<String, String> given = new LinkedHashMap<>(options);
        given.putAll(cell.values());
        Map<String, TrainOptionTable.Def> defs = TrainOptionTable.DEFS.stream()
                .collect(Collectors.toMap(TrainOptionTable.Def::name, d -> d));
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> e : given.entrySet()) {
            TrainOptionTable.Def def = defs.get(e.getKey());
            if (def.valueName() == null) {  // a switch: true or false
                if (!e.getValue().equalsIgnoreCase("true") && !e.getValue().equalsIgnoreCase("false")) {
                    throw new UsageException("bad value '" + e.getValue() + "' for the switch --" + e.getKey()
                            + " in a sweep; valid values: true, false");
                }
                if (e.getValue().equalsIgnoreCase("true")) {
                    args.add("--" + e.getKey());
                }
            } else {
                args.add("--" + e.getKey());
                args.add(e.getValue());
            }
        }
        return TrainOptionTable.parse(args.toArray(String[]::new), new Properties());
    }

    /** The plan as recorded in {@code sweep.json}. */
    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("options", options);
        Map<String, List<String>> axes = new LinkedHashMap<>();
        grid.forEach(a -> axes.put(a.name(), a.values()));
        map.put("grid", axes);
        map.put("seeds", seeds);
        return map;
    }

    /** Reads what {@link #toMap} wrote. */
    static SweepPlan fromJson(JsonNode node) {
        Map<String, String> options = new LinkedHashMap<>();
        node.path("options").fields().forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
        List<Axis> grid = new ArrayList<>();
        node.path("grid").fields().forEachRemaining(e -> {
            List<String> values = new ArrayList<>();
            e.getValue().forEach(v -> values.add(v.asText()));
            grid.add(new Axis(e.getKey(), values));
        });
        List<Long> seeds = new ArrayList<>();
        node.path("seeds").forEach(v -> seeds.add(v.asLong()));
        return new SweepPlan(options, grid, seeds);
    }

    /**
     * Whether {@code other} is the same sweep, as shards of one sweep must be: the same runs, though the data
     * folder may have another path on another machine (unless it is a grid option, where it names cells).
     */
    boolean sameSweep(SweepPlan other) {
        Map<String, String> mine = new LinkedHashMap<>(options);
        Map<String, String> theirs = new LinkedHashMap<>(other.options);
        mine.remove("data-dir");
        theirs.remove("data-dir");
        return mine.equals(theirs) && grid.equals(other.grid) && seeds.equals(other.seeds);
    }

    /** One line: the options, the grid, the seeds and the number of runs. */
    String describe() {
        String grid = this.grid.isEmpty() ? "no grid" : this.grid.stream()
                .map(a -> a.name() + " in " + a.values()).collect(Collectors.joining(" x "));
        return String.format("%d run(s): %d cell(s) (%s) x %d seed(s) %s; options %s", cells().size() * seeds.size(),
                cells().size(), grid, seeds.size(), seedText(), options);
    }

    private String seedText() {
        long first = seeds.get(0);
        long last = seeds.get(seeds.size() - 1);
        return last - first + 1 == seeds.size() && seeds.size() > 2 ? first + "-" + last : seeds.toString();
    }
}
