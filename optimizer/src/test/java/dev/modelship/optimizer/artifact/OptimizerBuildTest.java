package dev.modelship.optimizer.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The optimizer's build in the artifact's key: the same compiled code gives the same key however it is
 * packaged (the runnable jar, the image's classes and library jars, the build's directories), and any
 * change to a class gives another.
 */
class OptimizerBuildTest {
    private static final String OPTIMIZER = "dev/modelship/optimizer/";
    private static final String CONTRACT = "dev/modelship/artifact/";

    @TempDir
    Path tmp;

    private static Map<String, byte[]> code() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(OPTIMIZER + "Optimizer.class", bytes("optimizer"));
        files.put(OPTIMIZER + "passes/Pass.class", bytes("pass"));
        files.put(CONTRACT + "Manifest.class", bytes("manifest"));
        return files;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path directory(String name, Map<String, byte[]> files) throws IOException {
        Path dir = tmp.resolve(name);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return dir;
    }

    private Path jar(String name, Map<String, byte[]> files) throws IOException {
        Path jar = tmp.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("dev/"));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                j.putNextEntry(new JarEntry(f.getKey()));
                j.write(f.getValue());
            }
        }
        return jar;
    }

    private static Map<String, byte[]> only(Map<String, byte[]> files, String prefix) {
        Map<String, byte[]> some = new LinkedHashMap<>();
        files.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                some.put(k, v);
            }
        });
        return some;
    }

    private String shaded(Map<String, byte[]> files, String name) throws IOException {
        Path jar = jar(name, files);
        return OptimizerBuild.codeDigest(List.of(Map.entry(jar, OPTIMIZER), Map.entry(jar, CONTRACT)));
    }

    @Test
    void theSameClassesGiveTheSameDigestInAShadedJarInAnImageAndInTheBuildDirectories() throws IOException {
        Map<String, byte[]> code = code();
        String shadedJar = shaded(code, "shaded.jar");
        // The image: the optimizer's classes as a directory, the contract as a library jar.
        String image = OptimizerBuild.codeDigest(List.of(
                Map.entry(directory("classes", only(code, OPTIMIZER)), OPTIMIZER),
                Map.entry(jar("artifact.jar", only(code, CONTRACT)), CONTRACT)));
        // The build: two class directories.
        String build = OptimizerBuild.codeDigest(List.of(
                Map.entry(directory("optimizer-classes", only(code, OPTIMIZER)), OPTIMIZER),
                Map.entry(directory("artifact-classes", only(code, CONTRACT)), CONTRACT)));
        assertThat(shadedJar).matches("[0-9a-f]{64}").isEqualTo(image).isEqualTo(build);
    }

    @Test
    void aChangedRenamedAddedOrRemovedClassChangesTheDigest() throws IOException {
        String before = shaded(code(), "before.jar");

        Map<String, byte[]> changed = code();
        changed.put(OPTIMIZER + "passes/Pass.class", bytes("pasS"));
        Map<String, byte[]> renamed = code();
        renamed.put(OPTIMIZER + "passes/Pass2.class", renamed.remove(OPTIMIZER + "passes/Pass.class"));
        Map<String, byte[]> added = code();
        added.put(CONTRACT + "Digests.class", bytes("digests"));
        Map<String, byte[]> removed = code();
        removed.remove(CONTRACT + "Manifest.class");
        // A name and its bytes are delimited: moving a byte from one to the other is a change too.
        Map<String, byte[]> shifted = code();
        shifted.remove(OPTIMIZER + "Optimizer.class");
        shifted.put(OPTIMIZER + "Optimizer.classo", bytes("ptimizer"));

        assertThat(List.of(shaded(changed, "changed.jar"), shaded(renamed, "renamed.jar"),
                shaded(added, "added.jar"), shaded(removed, "removed.jar"), shaded(shifted, "shifted.jar")))
                .doesNotHaveDuplicates().doesNotContain(before);
    }

    @Test
    void whatIsNotTheOptimizersOrTheContractsCodeDoesNotCount() throws IOException {
        Map<String, byte[]> more = code();
        more.put("com/example/Library.class", bytes("a dependency"));
        more.put(OPTIMIZER + "notes.txt", bytes("a resource"));
        more.put("dev/modelship/operator/Operator.class", bytes("another module"));
        assertThat(shaded(more, "more.jar")).isEqualTo(shaded(code(), "code.jar"));
    }

    @Test
    void theRunningBuildNamesItsCodeAndTheOnnxRuntimeItRunsOn() throws Exception {
        String description = OptimizerBuild.description();
        // The version ONNX Runtime reports from its native library, not the build's property.
        String ort = OrtEnvironment.getEnvironment().getVersion();
        assertThat(description).matches("\\S+ \\(code [0-9a-f]{16}, onnxruntime \\S+, xgboost4j \\S+\\)")
                .contains("onnxruntime " + ort + ",");
    }
}
