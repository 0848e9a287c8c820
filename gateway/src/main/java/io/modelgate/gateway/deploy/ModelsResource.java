package io.modelgate.gateway.deploy;

import io.modelgate.gateway.auth.Management;
import io.modelgate.gateway.problem.Problem;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.inject.Inject;
import io.modelgate.gateway.source.ModelUpload;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.temporal.ChronoUnit;

/**
 * The management API: deploy, list, show and delete models. The body is read and mapped by hand
 * ({@link DeploymentJson}) so that every refusal is problem+json naming the field; a deployment is durable before
 * 202 is answered.
 *
 * <p>Not done yet: GET shows replica counts, the last error and the last exit, not each replica's address; PATCH is not implemented.
 */
@Path("/models")
@Management
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private final DeploymentStore store;
    private final ImageLookup images;
    private final Clock clock;
    private final int maxBodyBytes;
    private final DeploymentListener listener;
    private final ReplicaStatus replicas;
    @Inject
    ModelUpload uploads;

    public ModelsResource(DeploymentStore store, ImageLookup images, Clock clock, DeploymentListener listener,
                          ReplicaStatus replicas, @ConfigProperty(name = "modelgate.max-body-bytes", defaultValue = "65536") int maxBodyBytes) {
        this.store = store;
        this.listener = listener;
        this.replicas = replicas;
        this.images = images;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    @POST
    @Operation(summary = "Deploy a model", description = "From an image in the store or a registry reference (pulled "
            + "into the store before the answer) named in a JSON body, or from a model directory uploaded as a tar "
            + "(model.yaml at its root; gzip allowed) with the deployment's fields as query parameters: "
            + "tar -C iris -cf - . | curl -X POST 'http://localhost:8080/models?name=iris&maxReplicas=2' "
            + "-H 'Authorization: Bearer TOKEN' -H 'Content-Type: application/x-tar' --data-binary @-")
    @RequestBody(content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, example = "{\"name\":\"iris\",\"image\":\"iris:1\",\"minReplicas\":0,\"maxReplicas\":4}"),
            @Content(mediaType = "application/x-tar", schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @Parameter(name = "name", in = ParameterIn.QUERY, description = "Upload only: the deployment's name (default: model.yaml's name)")
    @Parameter(name = "tag", in = ParameterIn.QUERY, description = "Upload only: the packed image's name:tag (default: name:version from model.yaml)")
    @Parameter(name = "minReplicas", in = ParameterIn.QUERY, description = "Upload only; also maxReplicas, containerConcurrency, cpus, "
            + "memory, gpus, target, stableWindow, scaleToZeroGrace and env=KEY=VALUE (repeated), as in the JSON body")
    @APIResponse(responseCode = "202", description = "Accepted and stored; replicas follow asynchronously")
    @APIResponse(responseCode = "400", description = "A field, the image reference, the uploaded tar or its model.yaml is invalid (problem+json names it)")
    @APIResponse(responseCode = "409", description = "A model of that name is already deployed")
    @APIResponse(responseCode = "413", description = "The body is over the limit (modelgate.max-body-bytes; modelgate.max-upload-bytes for uploads)")
    @APIResponse(responseCode = "502", description = "The registry the image names could not be reached or failed")
    public Response deploy(InputStream body, @Context UriInfo uri, @Context HttpHeaders headers) throws IOException {
        if (ModelUpload.accepts(headers.getMediaType())) {
            return deployUpload(body, uri);
        }
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxBodyBytes + 1);
        if (bytes.length > maxBodyBytes) {
            throw Problem.of(413, "Body too large", "the deployment description is over " + maxBodyBytes
                    + " bytes; it should be a small JSON object (a model directory is uploaded as a tar, "
                    + "with Content-Type application/x-tar)")
                    .toException();
        }
        DeploymentSpec spec = parse(bytes);
        requireNewName(spec);
        images.require(spec.image());
        return accept(spec, uri);
    }

    /** A model directory as a tar: unpacked, packed into the store, deployed; the unpacked directory always goes. */
    private Response deployUpload(InputStream body, UriInfo uri) throws IOException {
        try (ModelUpload.Received upload = uploads.receive(body)) {
            DeploymentSpec spec = parse(upload.deployment(uri.getQueryParameters()));
            requireNewName(spec);
            upload.pack(uri.getQueryParameters());
            return accept(spec, uri);
        }
    }

    /** Refused before an image is pulled or packed for nothing; store.create checks again, atomically. */
    private void requireNewName(DeploymentSpec spec) throws IOException {
        if (store.get(spec.name()).isPresent()) {
            throw alreadyDeployed(new DeploymentStore.AlreadyDeployedException(spec.name()).getMessage());
        }
    }

    private static DeploymentSpec parse(byte[] json) {
        try {
            return DeploymentJson.parseRequest(json);
        } catch (FieldException e) {
            throw Problem.badField(e.field(), e.getMessage()).toException();
        }
    }

    private Response accept(DeploymentSpec spec, UriInfo uri) throws IOException {
        Deployment d = new Deployment(spec, clock.instant().truncatedTo(ChronoUnit.MILLIS));
        try {
            store.create(d);
        } catch (DeploymentStore.AlreadyDeployedException e) {
            throw alreadyDeployed(e.getMessage());
        }
        listener.deploymentsChanged();
        URI location = uri.getBaseUriBuilder().path("models").path(spec.name()).build();
        return Response.accepted(DeploymentJson.write(d).toString()).location(location).build();
    }

    @GET
    @Operation(summary = "List deployed models")
    public String list() throws IOException {
        var array = DeploymentJson.MAPPER.createArrayNode();
        for (Deployment d : store.list()) {
            array.add(withStatus(d));
        }
        return array.toString();
    }

    @GET
    @Path("{name}")
    @Operation(summary = "Show one deployed model")
    public String get(@PathParam("name") String name) throws IOException {
        return withStatus(store.get(name).orElseThrow(() -> notDeployed(name))).toString();
    }

    /** The stored deployment plus, once the reconciler has seen it, its replica counts and last error. */
    private com.fasterxml.jackson.databind.node.ObjectNode withStatus(Deployment d) {
        var n = DeploymentJson.write(d);
        replicas.of(d.name()).ifPresent(s -> {
            var status = n.putObject("status");
            status.put("desiredReplicas", s.desired());
            status.put("readyReplicas", s.ready());
            status.put("startingReplicas", s.starting());
            s.lastError().ifPresent(e -> status.put("lastError", e));
            status.put("replicaExits", s.exits());
            s.lastExit().ifPresent(e -> status.put("lastExit", e));
        });
        return n;
    }

    @DELETE
    @Path("{name}")
    @Operation(summary = "Delete a deployed model")
    @APIResponse(responseCode = "204", description = "Deleted from the store")
    public Response delete(@PathParam("name") String name) throws IOException {
        if (!store.delete(name)) {
            throw notDeployed(name);
        }
        listener.deploymentsChanged();
        return Response.noContent().build();
    }

    private static RuntimeException alreadyDeployed(String detail) {
        return new Problem(409, "Already deployed", detail, "name", null).toException();
    }

    private static RuntimeException notDeployed(String name) {
        return Problem.of(404, "Not deployed", "no model '" + name + "' is deployed (GET /models lists them)")
                .toException();
    }
}
