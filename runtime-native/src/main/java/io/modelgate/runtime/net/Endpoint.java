package io.modelgate.runtime.net;

/** A container's place on the bridge: its address, the host side of its veth pair, and the gateway. */
public record Endpoint(String containerId, String address, int prefix, String hostInterface, String gateway) {
}
