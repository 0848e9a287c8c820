package io.modelgate.runtime.gpu;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for what the NVIDIA kernel module says in /proc and /sys (reading the files is the caller's). */
final class NvidiaProc {
    private static final Pattern VERSION = Pattern.compile("\\b(\\d+\\.\\d+(?:\\.\\d+)?)\\b");

    /** One GPU's {@code /proc/driver/nvidia/gpus/<pci>/information}. */
    record Information(Optional<Integer> minor, Optional<String> uuid, Optional<String> model) {
    }

    private NvidiaProc() {
    }

    /**
     * The driver version from {@code /proc/driver/nvidia/version}, e.g. "NVRM version: NVIDIA UNIX x86_64 Kernel
     * Module  550.54.15  Tue Mar 5 …" or "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release
     * Build …": the first dotted number after "Module".
     */
    static Optional<String> driverVersionFromProc(String text) {
        for (String line : text.split("\n")) {
            int at = line.indexOf("Module");
            if (line.startsWith("NVRM version:") && at >= 0) {
                Matcher m = VERSION.matcher(line.substring(at));
                if (m.find()) {
                    return Optional.of(m.group(1));
                }
            }
        }
        return Optional.empty();
    }

    /** The driver version from {@code /sys/module/nvidia/version}: the version alone. */
    static Optional<String> driverVersionFromSys(String text) {
        String v = text.strip();
        return v.matches("\\d+\\.\\d+(\\.\\d+)?") ? Optional.of(v) : Optional.empty();
    }

    /** The character device majors of {@code /proc/devices}, by driver name ("nvidia-uvm" → 508). */
    static Map<String, Integer> characterMajors(String procDevices) {
        Map<String, Integer> majors = new HashMap<>();
        boolean character = false;
        for (String line : procDevices.split("\n")) {
            String l = line.strip();
            if (l.endsWith("devices:")) {
                character = l.equals("Character devices:");
            } else if (character && !l.isEmpty()) {
                String[] f = l.split("\\s+", 2);
                if (f.length == 2 && f[0].matches("\\d+")) {
                    majors.putIfAbsent(f[1], Integer.parseInt(f[0]));
                }
            }
        }
        return majors;
    }

    /** "Model: NVIDIA H100 80GB HBM3", "GPU UUID: GPU-…", "Device Minor: 0". */
    static Information information(String text) {
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        Optional<Integer> minor = Optional.ofNullable(fields.get("Device Minor"))
                .filter(s -> s.matches("\\d+")).map(Integer::parseInt);
        Optional<String> uuid = Optional.ofNullable(fields.get("GPU UUID"))
                .filter(s -> s.matches("[A-Za-z0-9][A-Za-z0-9_.:-]*"));
        Optional<String> model = Optional.ofNullable(fields.get("Model")).filter(s -> !s.isEmpty());
        return new Information(minor, uuid, model);
    }
}
