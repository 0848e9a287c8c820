package io.modelgate.runtime.gpu;

import java.util.Optional;

/** One GPU: its host index (N of /dev/nvidiaN), its UUID and model where the driver says, and its device node. */
public record Gpu(int index, Optional<String> uuid, Optional<String> model, DeviceNode device) {

    public Gpu {
        if (index < 0) {
            throw new IllegalArgumentException("GPU index " + index + " is negative");
        }
        uuid.ifPresent(u -> {
            if (!u.matches("[A-Za-z0-9][A-Za-z0-9_.:-]*")) {
                throw new IllegalArgumentException("GPU " + index + " has a malformed UUID '" + u + "'");
            }
        });
    }

    /** Whether a user's name for a GPU ({@code 1}, {@code GPU-8d4f…}) means this one. */
    public boolean isNamed(String id) {
        return id.equals(Integer.toString(index)) || uuid.map(id::equalsIgnoreCase).orElse(false);
    }

    @Override
    public String toString() {
        return "GPU " + index + ": " + device + uuid.map(u -> " " + u).orElse("") + model.map(m -> " " + m).orElse("");
    }
}
