package io.modelgate.runtime.gpu;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * NVIDIA's management library, opened once ({@code nvmlInit_v2}) and closed once ({@code nvmlShutdown}): reads each
 * GPU's utilisation and memory for the metrics. {@link #open()} loads the driver's libnvidia-ml.so.1, which exists
 * only where the NVIDIA driver is installed; callers on a machine without one get an {@link NvmlException} saying so,
 * and go on without GPU metrics. Thread-safe.
 *
 * @see <a href="https://docs.nvidia.com/deploy/nvml-api/">NVML API reference</a>
 */
public final class Nvml implements AutoCloseable {
    /** The name the driver installs the library under (the unversioned .so comes only with the development files). */
    public static final String LIBRARY = "libnvidia-ml.so.1";

    private final NvmlLibrary nvml;
    private final String library;
    private boolean closed;

    private Nvml(NvmlLibrary nvml, String library) {
        this.nvml = nvml;
        this.library = library;
    }

    /** Loads {@value #LIBRARY} through the dynamic linker's search path and initialises NVML. */
    public static Nvml open() {
        return open(LIBRARY);
    }

    /**
     * Loads NVML from {@code library} (a file name for the linker's search path, or an absolute path) and
     * initialises it.
     *
     * @throws NvmlException when the library does not load (no NVIDIA driver) or nvmlInit_v2 fails
     */
    public static Nvml open(String library) {
        NvmlLibrary nvml;
        try {
            nvml = Native.load(library, NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
            // JNA's message goes on to list every place it looked (the whole class path); the linker's reason is enough
            String[] lines = String.valueOf(e.getMessage()).split("\n");
            String reason = lines.length > 1 ? lines[1].strip() : lines[0].strip();
            throw new NvmlException("cannot load " + library + " (is the NVIDIA driver installed?): " + reason, e);
        }
        int rc = nvml.nvmlInit_v2();
        if (rc != NvmlLibrary.NVML_SUCCESS) {
            throw new NvmlException("nvmlInit_v2 in " + library + " failed: " + reason(nvml, rc)
                    + " (is the nvidia kernel module loaded?)");
        }
        return new Nvml(nvml, library);
    }

    /** Every GPU NVML sees, ordered by NVML's index. */
    public synchronized List<GpuSample> sample() {
        requireOpen();
        IntByReference count = new IntByReference();
        check(nvml.nvmlDeviceGetCount_v2(count), "nvmlDeviceGetCount_v2");
        List<GpuSample> samples = new ArrayList<>(count.getValue());
        for (int i = 0; i < count.getValue(); i++) {
            PointerByReference handle = new PointerByReference();
            check(nvml.nvmlDeviceGetHandleByIndex_v2(i, handle), "nvmlDeviceGetHandleByIndex_v2(" + i + ")");
            samples.add(sample(handle.getValue(), "GPU at NVML index " + i));
        }
        return samples;
    }

    /** One GPU, by its UUID. */
    public synchronized GpuSample sample(String uuid) {
        requireOpen();
        PointerByReference handle = new PointerByReference();
        check(nvml.nvmlDeviceGetHandleByUUID(uuid, handle), "nvmlDeviceGetHandleByUUID(" + uuid + ")");
        return sample(handle.getValue(), "GPU " + uuid);
    }

    private GpuSample sample(Pointer device, String which) {
        IntByReference minor = new IntByReference();
        check(nvml.nvmlDeviceGetMinorNumber(device, minor), "nvmlDeviceGetMinorNumber of " + which);
        byte[] uuid = new byte[NvmlLibrary.UUID_BUFFER_SIZE];
        check(nvml.nvmlDeviceGetUUID(device, uuid, uuid.length), "nvmlDeviceGetUUID of " + which);
        byte[] name = new byte[NvmlLibrary.NAME_BUFFER_SIZE];
        Optional<String> product = nvml.nvmlDeviceGetName(device, name, name.length) == NvmlLibrary.NVML_SUCCESS
                ? Optional.of(string(name)).filter(s -> !s.isEmpty()) : Optional.empty();
        int[] utilization = new int[2];
        int rc = nvml.nvmlDeviceGetUtilizationRates(device, utilization);
        OptionalInt busy;
        if (rc == NvmlLibrary.NVML_SUCCESS) {
            busy = OptionalInt.of(utilization[0]);
        } else if (rc == NvmlLibrary.NVML_ERROR_NOT_SUPPORTED) {
            busy = OptionalInt.empty(); // MIG instances and some older boards have no utilisation counter
        } else {
            throw new NvmlException("nvmlDeviceGetUtilizationRates of " + which + " failed: " + reason(nvml, rc));
        }
        long[] memory = new long[3];
        check(nvml.nvmlDeviceGetMemoryInfo(device, memory), "nvmlDeviceGetMemoryInfo of " + which);
        return new GpuSample(minor.getValue(), string(uuid), product, busy, memory[2], memory[0]);
    }

    /** Shuts NVML down; the library stays mapped (JNA keeps it) and a later {@link #open} initialises it again. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            nvml.nvmlShutdown();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("NVML from " + library + " was shut down");
        }
    }

    private void check(int rc, String call) {
        if (rc != NvmlLibrary.NVML_SUCCESS) {
            throw new NvmlException(call + " failed: " + reason(nvml, rc));
        }
    }

    private static String reason(NvmlLibrary nvml, int rc) {
        String text;
        try {
            text = nvml.nvmlErrorString(rc);
        } catch (UnsatisfiedLinkError e) {
            text = null;
        }
        return (text == null ? "error" : text) + " (nvmlReturn_t " + rc + ")";
    }

    private static String string(byte[] nulTerminated) {
        int end = 0;
        while (end < nulTerminated.length && nulTerminated[end] != 0) {
            end++;
        }
        return new String(nulTerminated, 0, end, StandardCharsets.UTF_8);
    }
}
