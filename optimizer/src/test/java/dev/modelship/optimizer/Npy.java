package dev.modelship.optimizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the little-endian float32/float64 C-order .npy fixture files of examples/models (test only). */
public record Npy(long[] shape, double[] values) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<|=]?[fi][48])'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static Npy read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (b.length < 10 || b[0] != (byte) 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + " is not a .npy file");
        }
        int major = b[6];
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? Short.toUnsignedInt(buf.getShort(8)) : buf.getInt(8);
        int start = (major == 1 ? 10 : 12) + headerLen;
        String header = new String(b, major == 1 ? 10 : 12, headerLen, StandardCharsets.US_ASCII);
        if (header.contains("'fortran_order': True")) {
            throw new IOException(file + ": Fortran order is not supported");
        }
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new IOException(file + ": unexpected header " + header);
        }
        String[] dims = s.group(1).split(",");
        long[] shape = java.util.Arrays.stream(dims).map(String::trim).filter(x -> !x.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        long n = java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        double[] v = new double[(int) n];
        buf.position(start);
        String type = d.group(1).replaceAll("[<|=]", "");
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case "f4" -> buf.getFloat();
                case "f8" -> buf.getDouble();
                case "i4" -> buf.getInt();
                case "i8" -> buf.getLong();
                default -> throw new IOException(file + ": dtype " + type);
            };
        }
        return new Npy(shape, v);
    }

    public float[][] rowsAsFloat() {
        int rows = (int) shape[0];
        int cols = shape.length > 1 ? (int) shape[1] : 1;
        float[][] out = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i][j] = (float) values[i * cols + j];
            }
        }
        return out;
    }
}
