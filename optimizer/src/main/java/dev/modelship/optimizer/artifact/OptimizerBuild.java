package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * What built an artifact: the optimizer's version, a digest of its code, and the versions of the
 * runtimes that shape the model it writes (ONNX Runtime optimizes, quantizes and validates; XGBoost
 * trains students). It enters the artifact's digest, so a rebuilt optimizer never reuses what an older
 * one made — a snapshot's code, or its ONNX Runtime, changes while the version string stays.
 *
 * <p>The code digest is over the class files (names and bytes, in name order) of the optimizer and of
 * the artifact contract, wherever they were loaded from: the runnable jar, the image's class directory
 * and library jars, or the build's class directories give the same digest for the same compiled code.
 */
public final class OptimizerBuild {
    private static final String DESCRIPTION = describe();

    private OptimizerBuild() {
    }

    /** {@code <version> (code <16 hex>, onnxruntime <v>, xgboost4j <v>)}. */
    public static String description() {
        return DESCRIPTION;
    }

    private static String describe() {
        Properties p = properties();
        String code;
        try {
            code = codeDigest(List.of(
                    Map.entry(location(OptimizerBuild.class), "dev/modelship/optimizer/"),
                    Map.entry(location(Digests.class), "dev/modelship/artifact/"))).substring(0, 16);
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // Classes not on a file system (another class loader's URLs): the key falls back to the
            // version and runtimes, as before the code was in it.
            code = "unknown";
        }
        return p.getProperty("version", "dev") + " (code " + code + ", onnxruntime "
                + p.getProperty("onnxruntime", "unknown") + ", xgboost4j " + p.getProperty("xgboost4j", "unknown")
                + ")";
    }

    private static Properties properties() {
        Properties p = new Properties();
        try (InputStream in = OptimizerBuild.class.getResourceAsStream("/modelship-optimizer.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // describe() then names what it could not read "unknown".
        }
        return p;
    }

    private static Path location(Class<?> type) throws IOException, URISyntaxException {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null) {
            throw new IOException(type + " has no code source");
        }
        return Path.of(source.getLocation().toURI());
    }

    /**
     * sha256 (hex) over the {@code .class} files under each (location, package prefix): a directory of
     * classes or a jar. A location may come twice with different prefixes: a shaded jar holds both.
     */
    static String codeDigest(List<Map.Entry<Path, String>> locations) throws IOException {
        TreeMap<String, byte[]> classes = new TreeMap<>();
        for (Map.Entry<Path, String> e : locations) {
            collect(e.getKey(), e.getValue(), classes);
        }
        MessageDigest sha = Digests.newSha256();
        for (Map.Entry<String, byte[]> c : classes.entrySet()) {
            sha.update(c.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(c.getValue());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void collect(Path location, String prefix, Map<String, byte[]> classes) throws IOException {
        if (Files.isDirectory(location)) {
            Path root = location.resolve(prefix);
            if (!Files.isDirectory(root)) {
                return;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    classes.put(location.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                }
            }
            return;
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().startsWith(prefix) && entry.getName().endsWith(".class")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        classes.put(entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
    }
}
