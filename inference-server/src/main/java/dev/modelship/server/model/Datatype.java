package dev.modelship.server.model;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo.OnnxTensorType;

import java.util.Locale;
import java.util.Optional;

/**
 * The Open Inference Protocol's tensor datatypes, each with the ONNX element type it
 * names and the ONNX Runtime Java type that carries it.
 *
 * <p>ONNX Runtime's Java API has no carrier for UINT16, UINT32 and UINT64 tensors
 * ({@link OnnxJavaType} lacks them), so a model may declare them but a request cannot
 * feed them: {@link #javaType()} is empty for those and the server says so.
 */
public enum Datatype {
    BOOL(1, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, OnnxJavaType.BOOL),
    UINT8(1, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, OnnxJavaType.UINT8),
    UINT16(2, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, null),
    UINT32(4, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, null),
    UINT64(8, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, null),
    INT8(1, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, OnnxJavaType.INT8),
    INT16(2, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, OnnxJavaType.INT16),
    INT32(4, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, OnnxJavaType.INT32),
    INT64(8, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, OnnxJavaType.INT64),
    FP16(2, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, OnnxJavaType.FLOAT16),
    BF16(2, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, OnnxJavaType.BFLOAT16),
    FP32(4, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, OnnxJavaType.FLOAT),
    FP64(8, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, OnnxJavaType.DOUBLE),
    /** Variable-length elements; ONNX calls them strings. */
    BYTES(0, OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, OnnxJavaType.STRING);

    private final int elementSize;
    private final OnnxTensorType onnxType;
    private final OnnxJavaType javaType;

    Datatype(int elementSize, OnnxTensorType onnxType, OnnxJavaType javaType) {
        this.elementSize = elementSize;
        this.onnxType = onnxType;
        this.javaType = javaType;
    }

    /** Bytes per element in the little-endian binary form; 0 for BYTES. */
    /** Signed and unsigned integers. */
    public boolean isIntegral() {
        return switch (this) {
            case INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64 -> true;
            default -> false;
        };
    }

    public int elementSize() {
        return elementSize;
    }

    public boolean isFixedSize() {
        return this != BYTES;
    }

    public Optional<OnnxJavaType> javaType() {
        return Optional.ofNullable(javaType);
    }

    public static Optional<Datatype> fromOnnx(OnnxTensorType type) {
        for (Datatype d : values()) {
            if (d.onnxType == type) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Parses a V2 datatype name; empty when it is not one. */
    public static Optional<Datatype> parse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
