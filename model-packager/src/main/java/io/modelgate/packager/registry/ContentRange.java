package io.modelgate.packager.registry;

/**
 * The byte ranges of a chunked upload (distribution-spec, "Pushing a blob in chunks"): a PATCH carries
 * {@code Content-Range: <start>-<end>}, inclusive, without the "bytes " unit of RFC 9110; the registry answers
 * with {@code Range: 0-<end>}, the bytes it holds so far.
 */
final class ContentRange {
    private ContentRange() {
    }

    /** The Content-Range of a chunk of {@code length} bytes (at least one) starting at {@code offset}. */
    static String of(long offset, long length) {
        if (offset < 0 || length < 1) {
            throw new IllegalArgumentException("no chunk of " + length + " bytes at offset " + offset);
        }
        return offset + "-" + (offset + length - 1);
    }

    /**
     * How many bytes a registry says it holds, from its Range header ({@code 0-1023} means 1024; some registries
     * write {@code bytes=0-1023}); -1 when the header is missing or unreadable.
     */
    static long receivedBytes(String range) {
        if (range == null) {
            return -1;
        }
        String r = range.trim();
        if (r.startsWith("bytes=")) {
            r = r.substring(6);
        }
        int dash = r.indexOf('-');
        if (dash <= 0) {
            return -1;
        }
        try {
            long start = Long.parseLong(r.substring(0, dash).trim());
            long end = Long.parseLong(r.substring(dash + 1).trim());
            if (start != 0 || end < 0) {
                return -1;
            }
            return end + 1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
