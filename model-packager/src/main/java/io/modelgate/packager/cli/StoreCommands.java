package io.modelgate.packager.cli;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.io.Sizes;
import io.modelgate.packager.store.ImageNotFoundException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** The store commands, named and behaving as Docker's: images, inspect, tag, rmi, system df|prune. */
final class StoreCommands {
    private StoreCommands() {
    }

    /** Shared plumbing: the store under --home and the command's output streams. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        ImageStore store() {
            Main main = (Main) spec.root().userObject();
            return ImageStore.open(main.home());
        }

        Main main() {
            return (Main) spec.root().userObject();
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }
    }

    @Command(name = "images", description = "List the images in the store.")
    static final class Images extends Base {
        @Option(names = {"-q", "--quiet"}, description = "Only print image IDs.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            ImageStore store = store();
            PrintWriter out = out();
            if (!quiet) {
                out.printf("%-40s %-16s %-14s %-16s %s%n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
            }
            for (ImageStore.TaggedImage t : store.list()) {
                if (quiet) {
                    out.println(t.manifest().digest().shortHex());
                    continue;
                }
                StoredImage image = store.resolve(t.ref().toString());
                out.printf("%-40s %-16s %-14s %-16s %s%n", t.ref().name(), t.ref().tag(), t.manifest().digest().shortHex(),
                        ago(image.config().created()), Sizes.human(image.manifest().totalSize()));
            }
            out.flush();
            return 0;
        }

        private static String plural(long n, String unit) {
            return n == 1 ? "1 " + unit + " ago" : n + " " + unit + "s ago";
        }

        private static String ago(String created) {
            if (created == null) {
                return "N/A";
            }
            try {
                Duration d = Duration.between(Instant.parse(created), Instant.now());
                if (d.toDays() >= 365) {
                    return plural(d.toDays() / 365, "year");
                }
                if (d.toDays() >= 1) {
                    return plural(d.toDays(), "day");
                }
                if (d.toHours() >= 1) {
                    return plural(d.toHours(), "hour");
                }
                return plural(Math.max(1, d.toMinutes()), "minute");
            } catch (DateTimeParseException e) {
                return created;
            }
        }
    }

    @Command(name = "inspect", description = "Print a container's state, or an image's manifest and config, as JSON.")
    static final class Inspect extends Base {
        @Parameters(arity = "1..*", paramLabel = "REF", description = "Container name or id, image reference or ID.")
        List<String> refs;

        @Override
        public Integer call() throws Exception {
            ImageStore store = store();
            java.util.ArrayList<Object> all = new java.util.ArrayList<>();
            for (String r : refs) {
                Optional<Object> other = Main.providers().stream().map(p -> {
                    try {
                        return p.inspect(main().home(), r);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).flatMap(Optional::stream).findFirst();
                if (other.isPresent()) {
                    all.add(other.get());
                    continue;
                }
                StoredImage image = store.resolve(r);
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("ref", image.ref().toString());
                doc.put("digest", image.digest().toString());
                doc.put("mediaType", image.manifestDescriptor().mediaType());
                doc.put("size", image.manifest().totalSize());
                doc.put("manifest", image.manifest());
                doc.put("config", image.config());
                all.add(doc);
            }
            out().println(Json.pretty(all));
            out().flush();
            return 0;
        }
    }

    @Command(name = "tag", description = "Give an image another name: tag SOURCE TARGET.")
    static final class Tag extends Base {
        @Parameters(index = "0", paramLabel = "SOURCE")
        String source;

        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        public Integer call() throws Exception {
            ImageStore store = store();
            StoredImage image = store.resolve(source);
            store.tag(ImageRef.parse(target), image.manifestDescriptor());
            return 0;
        }
    }

    @Command(name = "rmi", description = "Remove image tags; blobs no other tag uses are deleted.")
    static final class Rmi extends Base {
        @Parameters(arity = "1..*", paramLabel = "REF", description = "name:tag, name@digest, or image ID.")
        List<String> refs;

        @Option(names = {"-f", "--force"}, description = "Remove an image given by ID even when tagged in several repositories.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            ImageStore store = store();
            int status = 0;
            for (String r : refs) {
                try {
                    StoredImage image = store.resolve(r);
                    List<ImageStore.TaggedImage> tags = tagsNamedBy(store, r, image);
                    Set<String> repositories = new TreeSet<>();
                    tags.forEach(t -> repositories.add(t.ref().name()));
                    if (repositories.size() > 1 && !force) {
                        // As Docker: an ID names the image, and removing it from several repositories at once
                        // is rarely what was meant.
                        err().println("modelgate: error: image " + image.digest().shortHex() + " is tagged in several repositories ("
                                + String.join(", ", tags.stream().map(t -> t.ref().toString()).toList())
                                + "): remove the tags by name, or use -f to remove them all");
                        status = 1;
                        continue;
                    }
                    for (ImageStore.TaggedImage t : tags) {
                        if (store.untag(t.ref())) {
                            out().println("Untagged: " + t.ref());
                        }
                    }
                    if (store.list().stream().noneMatch(t -> t.manifest().digest().equals(image.digest()))) {
                        out().println("Deleted: " + image.digest());
                    }
                } catch (ImageNotFoundException | IllegalArgumentException e) {
                    // one bad name does not stop the others, as with docker rmi
                    err().println("modelgate: error: " + e.getMessage());
                    status = 1;
                }
            }
            ImageStore.Usage freed = store.collectGarbage(false);
            if (freed == null) {
                err().println("note: another modelgate process is writing to the store; run 'modelgate system prune' later to free space");
            }
            out().flush();
            err().flush();
            return status;
        }

        /** The tags that what the user typed names: one tag, the tags of name@digest, or every tag of an ID. */
        private static List<ImageStore.TaggedImage> tagsNamedBy(ImageStore store, String text, StoredImage image) throws java.io.IOException {
            ImageRef typed = null;
            try {
                typed = ImageRef.parse(text);
            } catch (IllegalArgumentException notAReference) {
                // an ID such as sha256:abcd
            }
            if (typed != null && typed.digest() == null && typed.equals(image.ref())) {
                return List.of(new ImageStore.TaggedImage(image.ref(), image.manifestDescriptor()));
            }
            String name = typed != null && typed.digest() != null ? typed.name() : null;
            return store.list().stream()
                    .filter(t -> t.manifest().digest().equals(image.digest()))
                    .filter(t -> name == null || t.ref().name().equals(name))
                    .toList();
        }
    }

    @Command(name = "system", description = "Store-wide commands.", subcommands = {SystemDf.class, SystemPrune.class})
    static final class SystemCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return 2;
        }
    }

    @Command(name = "df", description = "Show how much disk the store uses.")
    static final class SystemDf extends Base {
        @Override
        public Integer call() throws Exception {
            ImageStore.Usage u = store().usage();
            out().printf("%-12s %-8s %-12s %s%n", "TYPE", "TOTAL", "SIZE", "RECLAIMABLE");
            out().printf("%-12s %-8d %-12s %s%n", "Images", u.images(), "", "");
            out().printf("%-12s %-8d %-12s %s (%d blobs)%n", "Blobs", u.blobs(), Sizes.human(u.bytes()),
                    Sizes.human(u.reclaimableBytes()), u.unreferencedBlobs());
            out().flush();
            return 0;
        }
    }

    @Command(name = "prune", description = "Remove stopped containers, unused snapshots and blobs no image uses.")
    static final class SystemPrune extends Base {
        @Override
        public Integer call() throws Exception {
            for (CommandProvider p : Main.providers()) {
                p.prune(main().home()).forEach(out()::println);
            }
            ImageStore.Usage freed = store().collectGarbage(true);
            out().println("Deleted " + freed.blobs() + " blobs");
            out().println("Total reclaimed space: " + Sizes.human(freed.bytes()));
            out().flush();
            return 0;
        }
    }
}
