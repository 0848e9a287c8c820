package io.modelgate.runtime.container;

/** No container answers to the name or id the user gave. */
public class ContainerNotFoundException extends RuntimeException {
    public ContainerNotFoundException(String nameOrId) {
        super("no container '" + nameOrId + "' (see 'modelgate ps -a')");
    }
}
