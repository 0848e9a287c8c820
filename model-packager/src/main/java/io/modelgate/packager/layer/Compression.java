package io.modelgate.packager.layer;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import io.modelgate.packager.image.MediaTypes;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/** How a layer tar is compressed, and the media type that says so. */
public enum Compression {
    GZIP(MediaTypes.OCI_LAYER_GZIP),
    ZSTD(MediaTypes.OCI_LAYER_ZSTD),
    NONE(MediaTypes.OCI_LAYER);

    /** Fixed so that the same tar always compresses to the same bytes. */
    static final int GZIP_LEVEL = 6;
    static final int GZIP_FAST_LEVEL = 1;
    static final int ZSTD_LEVEL = 3;

    /**
     * How hard to compress. Weights (float tensors) barely compress at any level, so their layers use
     * {@link #FAST}: several times less CPU for a blob a few percent larger. The level is part of what a layer
     * is, so the same input still gives the same bytes.
     */
    public enum Effort { DEFAULT, FAST }

    private final String mediaType;

    Compression(String mediaType) {
        this.mediaType = mediaType;
    }

    public String mediaType() {
        return mediaType;
    }

    public static Compression parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown compression '" + name + "' (use gzip, zstd or none)");
        }
    }

    /** The compression a layer media type implies. */
    public static Compression ofMediaType(String mediaType) {
        return switch (MediaTypes.requireLayer(mediaType)) {
            case MediaTypes.OCI_LAYER_GZIP, MediaTypes.DOCKER_LAYER_GZIP -> GZIP;
            case MediaTypes.OCI_LAYER_ZSTD -> ZSTD;
            default -> NONE;
        };
    }

    /** Recognises gzip and zstd by their magic numbers; anything else is taken as an uncompressed tar. */
    public static Compression sniff(byte[] head, int length) {
        if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (length >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    /** Wraps an output stream so that what is written to it is compressed; closing finishes the stream. */
    public OutputStream compress(OutputStream out, int threads) throws IOException {
        return compress(out, threads, Effort.DEFAULT);
    }

    public OutputStream compress(OutputStream out, int threads, Effort effort) throws IOException {
        return switch (this) {
            case GZIP -> new ParallelGzipOutputStream(out, effort == Effort.FAST ? GZIP_FAST_LEVEL : GZIP_LEVEL, threads);
            case ZSTD -> {
                ZstdOutputStream z = new ZstdOutputStream(out, ZSTD_LEVEL);
                z.setChecksum(true);
                yield z;
            }
            case NONE -> out;
        };
    }

    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> new ZstdInputStream(in);
            case NONE -> in;
        };
    }

    /** Opens a possibly compressed tar stream, recognising the compression from its first bytes. */
    public static InputStream decompressAuto(InputStream in) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(4);
        byte[] head = new byte[4];
        int n = buffered.readNBytes(head, 0, 4);
        buffered.reset();
        return sniff(head, n).decompress(buffered);
    }
}
