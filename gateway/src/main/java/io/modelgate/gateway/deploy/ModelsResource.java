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
 * <p>Not done yet: GET shows replica counts, the last error and the last exit, not each replica's address; PATCH, logs, registry references and uploads of model directories are not implemented.
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
    @Operation(summary = "Deploy a model from an image in the store")
    @APIResponse(responseCode = "202", description = "Accepted and stored; replicas follow asynchronously")
    @APIResponse(responseCode = "400", description = "A field is invalid (problem+json names it)")
    @APIResponse(responseCode = "409", description = "A model of that name is already deployed")
    @APIResponse(responseCode = "413", description = "The body is over the limit")
    public Response deploy(InputStream body, @Context UriInfo uri) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxBodyBytes + 1);
        if (bytes.length > maxBodyBytes) {
            throw Problem.of(413, "Body too large", "the deployment description is over " + maxBodyBytes
                    + " bytes; it should be a small JSON object (models are deployed from images, not uploaded here)")
                    .toException();
        }
        DeploymentSpec spec;
        try {
            spec = DeploymentJson.parseRequest(bytes);
        } catch (FieldException e) {
            throw Problem.badField(e.field(), e.getMessage()).toException();
        }
        boolean found;
        try {
            found = images.exists(spec.image());
        } catch (RuntimeException e) {
            throw Problem.badField("image", "image reference '" + spec.image() + "' is not valid: " + e.getMessage())
                    .toException();
        }
        if (!found) {
            throw Problem.badField("image", "no image '" + spec.image() + "' in the store; pack it first "
                    + "('modelgate pack <dir>') or pull it ('modelgate pull " + spec.image() + "')").toException();
        }
        Deployment d = new Deployment(spec, clock.instant().truncatedTo(ChronoUnit.MILLIS));
        try {
            store.create(d);
        } catch (DeploymentStore.AlreadyDeployedException e) {
            throw new Problem(409, "Already deployed", e.getMessage(), "name", null).toException();
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

    private static RuntimeException notDeployed(String name) {
        return Problem.of(404, "Not deployed", "no model '" + name + "' is deployed (GET /models lists them)")
                .toException();
    }
}
