package io.modelgate.runtime.gpu;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What a container asks for, with Docker's {@code --gpus} meaning: {@code all}, a count ({@code 2}), or a list of
 * GPUs by host index or UUID ({@code 0,1}, {@code GPU-8d4f…}, {@code device=1}). A lone number is a count, as in
 * Docker: GPU 1 alone is {@code device=1}.
 */
public sealed interface GpuRequest permits GpuRequest.All, GpuRequest.Count, GpuRequest.Devices {

    /** Every GPU of the machine; refused unless all are free. */
    record All() implements GpuRequest {
        @Override
        public String describe() {
            return "all GPUs";
        }
    }

    /** Any {@code count} free GPUs (the lowest indices first); 0 asks for none. */
    record Count(int count) implements GpuRequest {
        public Count {
            if (count < 0) {
                throw new IllegalArgumentException("--gpus " + count + ": a GPU count cannot be negative");
            }
        }

        @Override
        public String describe() {
            return count == 1 ? "1 GPU" : count + " GPUs";
        }
    }

    /** These GPUs, by host index or UUID. */
    record Devices(List<String> ids) implements GpuRequest {
        public Devices {
            if (ids.isEmpty()) {
                throw new IllegalArgumentException("--gpus device= needs at least one GPU index or UUID");
            }
            for (String id : ids) {
                if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.:-]*")) {
                    throw new IllegalArgumentException("--gpus: '" + id + "' is neither a GPU index (0, 1) nor a UUID (GPU-…)");
                }
            }
            ids = List.copyOf(new LinkedHashSet<>(ids));
        }

        @Override
        public String describe() {
            return (ids.size() == 1 ? "GPU " : "GPUs ") + String.join(", ", ids);
        }
    }

    /** How error messages say it: "all GPUs", "2 GPUs", "GPU 0", "GPUs 0, 1". */
    String describe();

    static GpuRequest all() {
        return new All();
    }

    static GpuRequest count(int count) {
        return new Count(count);
    }

    static GpuRequest devices(String... ids) {
        return new Devices(List.of(ids));
    }

    /** Parses a {@code --gpus} value: {@code all}, {@code 2}, {@code 0,1}, {@code device=0,1}, {@code "device=GPU-…"}. */
    static GpuRequest parse(String value) {
        String v = value.trim();
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            v = v.substring(1, v.length() - 1).trim();
        }
        if (v.isEmpty()) {
            throw new IllegalArgumentException("--gpus needs all, a count (2) or a list of GPUs (0,1 or GPU-<uuid>)");
        }
        if (v.equals("all")) {
            return all();
        }
        boolean listed = v.startsWith("device=");
        if (listed) {
            v = v.substring("device=".length());
        }
        if (!listed && v.matches("\\d+")) {
            try {
                return count(Integer.parseInt(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--gpus " + v + " is not a sensible GPU count");
            }
        }
        List<String> ids = new ArrayList<>();
        for (String id : v.split(",", -1)) {
            if (id.isBlank()) {
                throw new IllegalArgumentException("--gpus " + value + " has an empty entry; write e.g. 0,1");
            }
            ids.add(id.trim());
        }
        return new Devices(ids);
    }
}
