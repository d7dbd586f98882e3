package dev.modelship.optimizer.passes;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelship.artifact.BuildReason;
import dev.modelship.optimizer.OptimizerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Lets ONNX Runtime load a model and save what its optimizer made of it. */
final class OrtSave {
    private OrtSave() {
    }

    static byte[] optimize(byte[] model, OrtSession.SessionOptions.OptLevel level, boolean ortFormat, String pass) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("modelship-" + pass);
            Path out = dir.resolve(ortFormat ? "model.ort" : "model.onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(level);
                options.setOptimizedModelFilePath(out.toString());
                if (ortFormat) {
                    options.addConfigEntry("session.save_model_format", "ORT");
                }
                try (OrtSession ignored = OrtEnvironment.getEnvironment().createSession(model, options)) {
                    // Creating the session runs the optimizer and writes the file.
                }
            }
            return Files.readAllBytes(out);
        } catch (OrtException e) {
            throw OptimizerException.badModel("pass '" + pass + "': ONNX Runtime cannot load the model: "
                    + e.getMessage());
        } catch (IOException e) {
            // Scratch space, not the store: a full or failing /tmp is the machine's fault, worth a retry.
            throw new OptimizerException(BuildReason.INTERNAL_ERROR, "pass '" + pass + "': cannot use the scratch directory ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // A leftover in the system temp directory only.
                }
            }
        }
    }

    static OrtSession.SessionOptions.OptLevel level(String name) {
        return switch (name) {
            case "none" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
            case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            default -> throw new IllegalArgumentException(name);
        };
    }
}
