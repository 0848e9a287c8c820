package io.modelgate.packager.registry;

/** How to reach a registry: TLS, or plain HTTP for a local or test registry the user named as insecure. */
public enum Transport {
    HTTPS("https"),
    PLAIN_HTTP("http");

    private final String scheme;

    Transport(String scheme) {
        this.scheme = scheme;
    }

    public String scheme() {
        return scheme;
    }
}
