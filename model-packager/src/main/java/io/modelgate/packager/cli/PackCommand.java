package io.modelgate.packager.cli;

import picocli.CommandLine.Command;

@Command(name = "pack", description = "Package a model directory as an OCI image.")
final class PackCommand extends StoreCommands.Base {
    @Override
    public Integer call() {
        throw new UnsupportedOperationException("pack is being written");
    }
}
