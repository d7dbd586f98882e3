package dev.modelship.server.protocol;

import java.nio.ByteBuffer;

/**
 * Tensors given by reference to registered shared memory regions (Triton's shared memory
 * extension) instead of in the request: the codecs read inputs from, and write outputs to, them.
 */
public interface SharedMemory {

    /** Where one input is read from or one output written to. */
    record Reference(String region, long offset, long byteSize) {
    }

    /** A copy of {@code byteSize} bytes at {@code offset} of a registered region. */
    ByteBuffer read(Reference reference);

    /** Writes {@code data} at the reference's offset; fails when it does not fit in the reference's size. */
    void write(Reference reference, String output, byte[] data);

    /** Fails unless the reference lies inside a registered region. */
    void check(Reference reference);

    /** No regions: every reference is refused. */
    SharedMemory NONE = new SharedMemory() {
        @Override
        public ByteBuffer read(Reference reference) {
            throw unknown(reference);
        }

        @Override
        public void write(Reference reference, String output, byte[] data) {
            throw unknown(reference);
        }

        @Override
        public void check(Reference reference) {
            throw unknown(reference);
        }

        private InferenceException unknown(Reference reference) {
            return InferenceException.badRequest("shared memory region '%s' is not registered", reference.region());
        }
    };
}
