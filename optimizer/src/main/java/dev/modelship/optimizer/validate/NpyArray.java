package dev.modelship.optimizer.validate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NumPy {@code .npy} array (format versions 1-3; little-endian float32, float64, int32 or
 * int64 in C order), the format Python users save samples in. No maintained Java library
 * reads it, and the format is a short text header followed by the raw values.
 */
public record NpyArray(long[] shape, double[] values) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<|=]?[fi][48])'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static NpyArray read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (b.length < 10 || b[0] != (byte) 0x93 || !new String(b, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new IOException(file + " is not a .npy file");
        }
        int major = b[6];
        if (major < 1 || major > 3) {
            throw new IOException(file + ": unsupported .npy version " + major);
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? Short.toUnsignedInt(buf.getShort(8)) : buf.getInt(8);
        int start = (major == 1 ? 10 : 12) + headerLen;
        if (headerLen < 0 || start > b.length) {
            throw new IOException(file + " is truncated");
        }
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
        String type = d.group(1).replaceAll("[<|=]", "");
        int width = type.endsWith("8") ? 8 : 4;
        if (b.length - start < n * width) {
            throw new IOException(file + " is truncated: " + n + " values announced");
        }
        double[] v = new double[(int) n];
        buf.position(start);
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case "f4" -> buf.getFloat();
                case "f8" -> buf.getDouble();
                case "i4" -> buf.getInt();
                case "i8" -> buf.getLong();
                default -> throw new IOException(file + ": dtype " + type);
            };
        }
        return new NpyArray(shape, v);
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
