package dev.modelship.server.triton;

import dev.modelship.server.ServerConfig;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.SharedMemory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Triton's system shared memory extension: regions of POSIX shared memory objects that a client on
 * the same host (or in the same pod) created with {@code shm_open}, registered by name, from which
 * inputs are read and into which outputs are written instead of travelling in the request.
 *
 * <p>A key names an object in the shared memory directory ({@code /dev/shm}, where {@code
 * shm_open("/name")} puts it) and nothing else: no sub-directories, no links. A region is mapped
 * once, at registration; Java 17 cannot unmap a file explicitly, so an unregistered region's
 * mapping goes when the garbage collector drops it (the client's object may be unlinked at once:
 * the kernel keeps the pages while mapped).
 */
@ApplicationScoped
public class SharedMemoryRegions implements SharedMemory {

    private static final Logger LOG = Logger.getLogger(SharedMemoryRegions.class);
    /** A shm_open name: one optional leading slash, then a file name. */
    private static final Pattern KEY = Pattern.compile("/?[A-Za-z0-9_][A-Za-z0-9._-]{0,254}");

    /** A registered region as the status call reports it. */
    public record Region(String name, String key, long offset, long byteSize) {
    }

    private record Mapped(Region region, MappedByteBuffer buffer) {
    }

    private final Path directory;
    private final int maxRegions;
    private final Map<String, Mapped> regions = new ConcurrentHashMap<>();

    @Inject
    public SharedMemoryRegions(ServerConfig config) {
        this(Path.of(config.sharedMemory().directory()), config.sharedMemory().maxRegions());
    }

    SharedMemoryRegions(Path directory, int maxRegions) {
        this.directory = directory;
        this.maxRegions = maxRegions;
    }

    /** The answer to every CUDA shared memory registration: this server has no GPU to share memory with. */
    public static InferenceException cudaUnsupported() {
        return InferenceException.badRequest("CUDA shared memory is not supported on this server: it runs on CPUs"
                + " only; use system shared memory (/v2/systemsharedmemory) or send the tensors in the request");
    }

    public void register(String name, String key, long offset, long byteSize) {
        if (name == null || name.isEmpty()) {
            throw InferenceException.badRequest("a shared memory region needs a name");
        }
        if (key == null || !KEY.matcher(key).matches()) {
            throw InferenceException.badRequest("shared memory key '%s' is not a shm_open name ('/name' of letters,"
                    + " digits, '.', '_' and '-'); the object must be in %s", key, directory);
        }
        if (offset < 0 || byteSize <= 0 || byteSize > Integer.MAX_VALUE) {
            throw InferenceException.badRequest("shared memory region '%s': offset %d and byte_size %d must be"
                    + " non-negative, and byte_size between 1 and %d", name, offset, byteSize, Integer.MAX_VALUE);
        }
        if (regions.containsKey(name)) {
            throw InferenceException.badRequest("shared memory region '%s' is already registered; unregister it"
                    + " first", name);
        }
        if (regions.size() >= maxRegions) {
            throw InferenceException.badRequest("%d shared memory regions are registered, the most this server"
                    + " holds (modelship.shared-memory.max-regions); unregister some first", regions.size());
        }
        Path file = directory.resolve(key.startsWith("/") ? key.substring(1) : key);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw InferenceException.badRequest("shared memory key '%s': no shared memory object %s on this"
                    + " server's host; create it with shm_open on the same host or in the same pod", key, file);
        }
        MappedByteBuffer buffer;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            if (offset > size || byteSize > size - offset) {
                throw InferenceException.badRequest("shared memory region '%s': offset %d + byte_size %d exceeds"
                        + " the %d bytes of %s", name, offset, byteSize, size, key);
            }
            buffer = channel.map(FileChannel.MapMode.READ_WRITE, offset, byteSize);
        } catch (IOException e) {
            throw InferenceException.badRequest("shared memory key '%s' cannot be opened for reading and"
                    + " writing: %s", key, e.getMessage());
        }
        if (regions.putIfAbsent(name, new Mapped(new Region(name, key, offset, byteSize), buffer)) != null) {
            throw InferenceException.badRequest("shared memory region '%s' is already registered", name);
        }
        LOG.debugf("registered shared memory region '%s' (%s, offset %d, %d bytes)", name, key, offset, byteSize);
    }

    /** Unregisters one region, or every region when {@code name} is empty; an unknown name is not an error. */
    public void unregister(String name) {
        if (name == null || name.isEmpty()) {
            regions.clear();
        } else {
            regions.remove(name);
        }
    }

    /** One region, or all when {@code name} is empty. */
    public List<Region> status(String name) {
        if (name == null || name.isEmpty()) {
            return regions.values().stream().map(Mapped::region).sorted(Comparator.comparing(Region::name)).toList();
        }
        return List.of(mapped(name).region());
    }

    @Override
    public ByteBuffer read(Reference reference) {
        ByteBuffer view = slice(reference);
        ByteBuffer copy = ByteBuffer.allocate(view.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(view).flip();
        return copy;
    }

    @Override
    public void write(Reference reference, String output, byte[] data) {
        ByteBuffer view = slice(reference);
        if (data.length > view.remaining()) {
            throw InferenceException.badRequest("output '%s' is %d bytes but shared memory region '%s' was given"
                    + " %d bytes for it", output, data.length, reference.region(), view.remaining());
        }
        view.put(data);
    }

    @Override
    public void check(Reference reference) {
        slice(reference);
    }

    private ByteBuffer slice(Reference reference) {
        Mapped m = mapped(reference.region());
        long size = m.region().byteSize();
        long offset = reference.offset();
        if (offset < 0 || reference.byteSize() < 0 || offset > size || reference.byteSize() > size - offset) {
            throw InferenceException.badRequest("shared memory region '%s' holds %d bytes; offset %d and byte size"
                    + " %d do not lie inside it", reference.region(), size, reference.offset(), reference.byteSize());
        }
        return m.buffer().slice((int) offset, (int) reference.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private Mapped mapped(String name) {
        Mapped m = regions.get(name);
        if (m == null) {
            throw InferenceException.badRequest("shared memory region '%s' is not registered", name);
        }
        return m;
    }
}
