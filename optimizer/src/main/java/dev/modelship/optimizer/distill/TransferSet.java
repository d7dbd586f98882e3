package dev.modelship.optimizer.distill;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.fetch.FetchedSource;
import dev.modelship.optimizer.fetch.Fetcher;
import dev.modelship.optimizer.validate.NpyArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The transfer set named by {@code --data}: rows of the model's input that the user provides,
 * fetched like the model. A fixed, seeded share is held out: the distill pass learns from the
 * rest, validation runs on the held-out rows, so agreement is measured on rows the student never saw.
 */
public final class TransferSet {
    private static final long SPLIT_SEED = 20261130L;
    /** At most this share of the rows is held out for validation. */
    private static final double MAX_HELD_OUT = 0.2;

    private final String uri;
    private final String sha256Pin;
    private String sha256;
    private float[][] training;
    private float[][] heldOut;

    private TransferSet(String uri, String sha256Pin) {
        this.uri = uri;
        this.sha256Pin = sha256Pin;
    }

    /** The transfer set at {@code uri}, not yet fetched; null when no uri is given. */
    public static TransferSet named(String uri, String sha256Pin) {
        if (sha256Pin != null && (uri == null || !sha256Pin.matches("(sha256:)?[0-9a-fA-F]{64}"))) {
            throw OptimizerException.usage(uri == null ? "--data-sha256 pins a transfer set: give --data too"
                    : "--data-sha256 must be 64 hex digits, got '" + sha256Pin + "'");
        }
        return uri == null ? null : new TransferSet(uri, sha256Pin);
    }

    public String uri() {
        return uri;
    }

    /** Fetches and reads the rows, holding out up to {@code heldOutRows} of them for validation. */
    public void fetch(Fetcher fetcher, int heldOutRows) {
        try (FetchedSource source = fetcher.fetch(uri, sha256Pin)) {
            float[][] rows = read(source.file(), uri);
            sha256 = source.sha256();
            split(rows, heldOutRows);
        }
    }

    void split(float[][] rows, int heldOutRows) {
        List<float[]> shuffled = new ArrayList<>(Arrays.asList(rows));
        Collections.shuffle(shuffled, new Random(SPLIT_SEED));
        int held = (int) Math.min(heldOutRows, Math.floor(rows.length * MAX_HELD_OUT));
        if (heldOutRows > 0 && held == 0) {
            throw OptimizerException.usage("transfer set " + uri + " holds " + rows.length + " rows: too few to"
                    + " hold any out for validation (at least 5)");
        }
        heldOut = shuffled.subList(0, held).toArray(float[][]::new);
        training = shuffled.subList(held, rows.length).toArray(float[][]::new);
    }

    public String sha256() {
        return fetched(sha256);
    }

    /** The rows a student learns from. */
    public float[][] training() {
        return fetched(training);
    }

    /** The rows kept out of training, for validation. */
    public float[][] heldOut() {
        return fetched(heldOut);
    }

    private <T> T fetched(T value) {
        if (value == null) {
            throw new IllegalStateException("transfer set " + uri + " not fetched yet");
        }
        return value;
    }

    /** Reads a {@code .npy} 2-D array or a {@code .csv} of numbers (optional header row), by the name's ending. */
    static float[][] read(Path file, String name) {
        String lower = name.toLowerCase(Locale.ROOT).replaceFirst("[?#].*$", "");
        float[][] rows;
        if (lower.endsWith(".npy")) {
            rows = readNpy(file, name);
        } else if (lower.endsWith(".csv")) {
            rows = readCsv(file, name);
        } else {
            throw OptimizerException.usage("transfer set " + name + ": give a .npy or .csv file of input rows");
        }
        if (rows.length < 2) {
            throw OptimizerException.usage("transfer set " + name + " holds " + rows.length
                    + " row(s); a student needs rows to learn from");
        }
        return rows;
    }

    private static float[][] readNpy(Path file, String name) {
        NpyArray array;
        try {
            array = NpyArray.read(file);
        } catch (IOException e) {
            throw OptimizerException.usage("transfer set " + name + ": " + e.getMessage());
        }
        if (array.shape().length != 2) {
            throw OptimizerException.usage("transfer set " + name + " has shape " + Arrays.toString(array.shape())
                    + "; it must be 2-D: [rows, features]");
        }
        return array.rowsAsFloat();
    }

    private static float[][] readCsv(Path file, String name) {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
        List<float[]> rows = new ArrayList<>();
        try (MappingIterator<String[]> it = mapper.readerFor(String[].class).readValues(file.toFile())) {
            int line = 0;
            while (it.hasNext()) {
                String[] cells = it.next();
                line++;
                if (cells.length == 1 && cells[0].isBlank()) {
                    continue;
                }
                float[] row = parseRow(cells);
                if (row == null) {
                    if (line == 1) {
                        continue; // a header
                    }
                    throw OptimizerException.usage("transfer set " + name + " line " + line
                            + " holds a value that is not a number: " + firstNonNumber(cells));
                }
                if (!rows.isEmpty() && row.length != rows.get(0).length) {
                    throw OptimizerException.usage("transfer set " + name + " line " + line + " has " + row.length
                            + " columns, the rows before it " + rows.get(0).length);
                }
                rows.add(row);
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof OptimizerException oe) {
                throw oe;
            }
            throw OptimizerException.usage("transfer set " + name + " is not a readable CSV file: " + e.getMessage());
        }
        return rows.toArray(float[][]::new);
    }

    /** The cells as numbers (empty, NaN and NA are missing values), or null when one is not a number. */
    private static float[] parseRow(String[] cells) {
        float[] row = new float[cells.length];
        for (int i = 0; i < cells.length; i++) {
            Float v = number(cells[i]);
            if (v == null) {
                return null;
            }
            row[i] = v;
        }
        return row;
    }

    private static Float number(String cell) {
        String s = cell.trim();
        if (s.isEmpty() || s.equalsIgnoreCase("nan") || s.equals("NA")) {
            return Float.NaN;
        }
        try {
            return Float.parseFloat(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String firstNonNumber(String[] cells) {
        return Arrays.stream(cells).filter(c -> number(c) == null).findFirst().map(c -> "'" + c + "'").orElse("");
    }
}
