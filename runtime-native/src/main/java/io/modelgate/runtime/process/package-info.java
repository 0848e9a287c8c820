/**
 * Running one container: {@link io.modelgate.runtime.process.ContainerProcess} starts it from a
 * {@link io.modelgate.runtime.process.ContainerSpec} through the native {@code mg-monitor}, which stays with it
 * (logs, exit status) whether or not this JVM does, and attaches to it again from its state directory.
 */
package io.modelgate.runtime.process;
