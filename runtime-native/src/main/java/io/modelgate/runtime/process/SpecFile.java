package io.modelgate.runtime.process;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The spec as mg-monitor and mg-exec read it (src/main/c/spec.h): NUL-terminated strings, a header, then a key per
 * record followed by its fields. Paths and arguments may hold any byte but NUL, so nothing needs escaping.
 */
final class SpecFile {
    static final String HEADER = "modelgate-spec";
    static final String VERSION = "1";

    private SpecFile() {
    }

    static byte[] write(ContainerSpec spec) {
        Writer w = new Writer();
        w.put(HEADER).put(VERSION);
        w.put("id").put(spec.id());
        w.put("hostname").put(spec.hostname());
        w.put("cwd").put(spec.workingDir());
        w.put("user").put(spec.user());
        w.put("readonly").put(spec.readOnlyRoot() ? "1" : "0");
        w.put("net").put(spec.network().specValue());
        w.put("log.max").put(Long.toString(spec.logLimitBytes()));
        spec.lowerDirs().forEach(dir -> w.put("lower").put(dir.toString()));
        spec.argv().forEach(arg -> w.put("arg").put(arg));
        spec.env().forEach(entry -> w.put("env").put(entry));
        spec.cgroupDirs().forEach(dir -> w.put("cgroup").put(dir.toString()));
        spec.mounts().forEach(m -> w.put("bind").put(m.source().toString()).put(m.target()).put(m.readOnly() ? "ro" : "rw"));
        spec.tmpfs().forEach(t -> w.put("tmpfs").put(t.target()).put(t.options()));
        return w.out.toByteArray();
    }

    /** Reads back what {@link #write} wrote; the state dir is not in the file, it is where the file is. */
    static ContainerSpec read(byte[] data, Path stateDir) throws ContainerException {
        List<String> fields = split(data, stateDir);
        if (fields.size() < 2 || !fields.get(0).equals(HEADER) || !fields.get(1).equals(VERSION)) {
            throw new ContainerException(stateDir.resolve("spec") + " is not a version " + VERSION + " modelgate spec");
        }
        String id = null;
        String hostname = null;
        String cwd = "/";
        String user = "";
        boolean readOnly = false;
        NetworkMode net = NetworkMode.NONE;
        long logMax = ContainerSpec.DEFAULT_LOG_LIMIT;
        List<Path> lower = new ArrayList<>();
        List<String> argv = new ArrayList<>();
        List<String> env = new ArrayList<>();
        List<Path> cgroups = new ArrayList<>();
        List<BindMount> binds = new ArrayList<>();
        List<TmpfsMount> tmpfs = new ArrayList<>();
        try {
            for (int i = 2; i < fields.size(); ) {
                String key = fields.get(i++);
                switch (key) {
                    case "id" -> id = fields.get(i++);
                    case "hostname" -> hostname = fields.get(i++);
                    case "cwd" -> cwd = fields.get(i++);
                    case "user" -> user = fields.get(i++);
                    case "readonly" -> readOnly = fields.get(i++).equals("1");
                    case "net" -> net = NetworkMode.fromSpecValue(fields.get(i++));
                    case "log.max" -> logMax = Long.parseLong(fields.get(i++));
                    case "lower" -> lower.add(Path.of(fields.get(i++)));
                    case "arg" -> argv.add(fields.get(i++));
                    case "env" -> env.add(fields.get(i++));
                    case "cgroup" -> cgroups.add(Path.of(fields.get(i++)));
                    case "bind" -> {
                        binds.add(new BindMount(Path.of(fields.get(i)), fields.get(i + 1), fields.get(i + 2).equals("ro")));
                        i += 3;
                    }
                    case "tmpfs" -> {
                        tmpfs.add(new TmpfsMount(fields.get(i), fields.get(i + 1)));
                        i += 2;
                    }
                    default -> throw new ContainerException(stateDir.resolve("spec") + ": unknown key " + key);
                }
            }
            return new ContainerSpec(id, hostname, lower, stateDir, argv, env, cwd, user, binds, tmpfs, readOnly, net,
                    cgroups, logMax);
        } catch (IndexOutOfBoundsException | IllegalArgumentException | NullPointerException e) {
            throw new ContainerException(stateDir.resolve("spec") + " is damaged: " + e.getMessage(), e);
        }
    }

    private static List<String> split(byte[] data, Path stateDir) throws ContainerException {
        if (data.length == 0 || data[data.length - 1] != 0) {
            throw new ContainerException(stateDir.resolve("spec") + " is truncated");
        }
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                fields.add(new String(data, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return fields;
    }

    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer put(String field) {
            out.writeBytes(field.getBytes(StandardCharsets.UTF_8));
            out.write(0);
            return this;
        }
    }
}
