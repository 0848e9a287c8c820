package io.modelgate.packager.cli;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.io.Sizes;
import io.modelgate.packager.registry.AuthFile;
import io.modelgate.packager.registry.BlobProgress;
import io.modelgate.packager.registry.Credentials;
import io.modelgate.packager.registry.ProgressListener;
import io.modelgate.packager.registry.PullResult;
import io.modelgate.packager.registry.PushResult;
import io.modelgate.packager.registry.RegistryClient;
import io.modelgate.packager.registry.Transport;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The registry commands, named and behaving as Docker's: push, pull, login. */
final class RegistryCommands {
    private RegistryCommands() {
    }

    /** What every registry command shares: --plain-http and a client set up from config.json and auth.json. */
    abstract static class RegistryBase extends StoreCommands.Base {
        @Option(names = "--plain-http", description = "Talk to the registry over plain HTTP instead of HTTPS"
                + " (also for registries listed under insecureRegistries in <home>/config.json).")
        boolean plainHttp;

        RegistryClient client(String registry, Optional<Credentials> credentials) {
            RegistryClient.Builder builder = RegistryClient.to(registry).home(main().home()).credentials(credentials);
            if (plainHttp) {
                builder.transport(Transport.PLAIN_HTTP);
            }
            return builder.build();
        }

        AuthFile authFile() {
            return AuthFile.in(main().home());
        }
    }

    @Command(name = "push", description = {"Upload an image from the store to a registry.",
            "Blobs the registry has are skipped, blobs it holds in another repository are mounted, large blobs go up in chunks.",
            "Prints the manifest digest as the last line."})
    static final class Push extends RegistryBase {
        @Parameters(paramLabel = "REF", description = "The image to push, named as it should be in the registry: host[:port]/repository[:tag].")
        String ref;

        @Override
        public Integer call() throws Exception {
            ImageStore store = store();
            StoredImage image = store.resolve(ref);
            ImageRef target = ImageRef.parse(ref);
            RegistryClient client = client(target.registryHost(), authFile().find(target.registryHost()));
            PushResult result = client.push(store, image, target, new ProgressPrinter(err(), "pushing", "pushed"));
            err().println("Pushed " + target);
            err().flush();
            out().println(result.manifestDigest());
            out().flush();
            return 0;
        }
    }

    @Command(name = "pull", description = {"Download an image from a registry into the store.",
            "For a multi-platform image, the one for linux and this machine's architecture.",
            "An image pulled by digest alone is tagged sha256-<hex> in the store. Prints the manifest digest as the last line."})
    static final class Pull extends RegistryBase {
        @Parameters(paramLabel = "REF", description = "host[:port]/repository[:tag] or host[:port]/repository@sha256:<hex>.")
        String ref;

        @Override
        public Integer call() throws Exception {
            ImageRef source = ImageRef.parse(ref);
            RegistryClient client = client(source.registryHost(), authFile().find(source.registryHost()));
            PullResult result = client.pull(store(), source, new ProgressPrinter(err(), "pulling", "pulled"));
            err().println("Pulled " + result.image().ref());
            err().flush();
            out().println(result.manifestDigest());
            out().flush();
            return 0;
        }
    }

    @Command(name = "login", description = {"Check credentials against a registry and keep them in <home>/auth.json (mode 0600).",
            "Without --password-stdin or -p, the password is asked for on the terminal."})
    static final class Login extends RegistryBase {
        @Parameters(paramLabel = "REGISTRY", description = "The registry host, e.g. localhost:5000 or ghcr.io.")
        String registry;

        @Option(names = {"-u", "--username"}, paramLabel = "USER")
        String username;

        @Option(names = "--password-stdin", description = "Read the password from standard input.")
        boolean passwordStdin;

        @Option(names = {"-p", "--password"}, paramLabel = "PASSWORD",
                description = "The password (visible to other users in the process list: prefer --password-stdin).")
        String password;

        @Override
        public Integer call() throws Exception {
            String host = normalizeRegistry(registry);
            Console console = System.console();
            String user = username;
            if (user == null || user.isBlank()) {
                if (console == null || passwordStdin) {
                    throw new IllegalArgumentException("login " + host + ": no user name given: use -u USER");
                }
                user = console.readLine("Username: ");
            }
            String secret = readPassword(console, host);
            Credentials credentials = Credentials.of(user, secret);
            client(host, Optional.of(credentials)).checkAccess();
            AuthFile file = authFile();
            file.save(host, credentials);
            err().println("Credentials for " + host + " stored in " + file.path());
            err().flush();
            out().println("Login Succeeded");
            out().flush();
            return 0;
        }

        private String readPassword(Console console, String host) throws IOException {
            if (passwordStdin && password != null) {
                throw new IllegalArgumentException("login " + host + ": use either --password-stdin or --password, not both");
            }
            if (passwordStdin) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line = in.readLine();
                if (line == null || line.isEmpty()) {
                    throw new IllegalArgumentException("login " + host + ": --password-stdin read no password from standard input");
                }
                return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            }
            if (password != null) {
                err().println("WARNING: a password on the command line can be seen by other users; use --password-stdin.");
                return password;
            }
            if (console == null) {
                throw new IllegalArgumentException("login " + host + ": no terminal to ask for the password: pipe it in with --password-stdin");
            }
            char[] typed = console.readPassword("Password: ");
            if (typed == null || typed.length == 0) {
                throw new IllegalArgumentException("login " + host + ": no password given");
            }
            return new String(typed);
        }

        /** Accepts what users paste: a URL or a host with a trailing slash. */
        static String normalizeRegistry(String text) {
            String host = text.trim();
            if (host.contains("://")) {
                host = host.substring(host.indexOf("://") + 3);
            }
            if (host.contains("/")) {
                host = host.substring(0, host.indexOf('/'));
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("login: '" + text + "' names no registry host");
            }
            return host.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Per-blob progress lines on stderr: one when a blob starts, one at most every second while it moves, one at the
     * end ({@code sha256:0123456789ab pushing 1.05MB/3.15MB}, {@code … exists}, {@code … mounted}).
     */
    static final class ProgressPrinter implements ProgressListener {
        private static final long INTERVAL_NANOS = 1_000_000_000L;
        private final PrintWriter err;
        private final String moving;
        private final String moved;
        private final Map<Digest, Long> lastPrinted = new HashMap<>();

        ProgressPrinter(PrintWriter err, String moving, String moved) {
            this.err = err;
            this.moving = moving;
            this.moved = moved;
        }

        @Override
        public synchronized void onProgress(BlobProgress p) {
            String id = p.digest().algorithm() + ":" + p.digest().shortHex();
            long now = System.nanoTime();
            switch (p.stage()) {
                case EXISTS -> err.println(id + " exists");
                case MOUNTED -> err.println(id + " mounted");
                case PUSHED, PULLED -> err.println(id + " " + moved + " " + Sizes.human(p.size()));
                case PUSHING, PULLING -> {
                    Long last = lastPrinted.get(p.digest());
                    if (last != null && now - last < INTERVAL_NANOS) {
                        return;
                    }
                    lastPrinted.put(p.digest(), now);
                    err.println(id + " " + moving + " " + Sizes.human(p.transferred()) + "/" + Sizes.human(p.size()));
                }
            }
            err.flush();
        }
    }
}
