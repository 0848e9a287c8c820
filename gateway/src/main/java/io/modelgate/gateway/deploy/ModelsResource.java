package io.modelgate.gateway.deploy;

import io.modelgate.gateway.auth.Management;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelgate.gateway.problem.Problem;
import io.modelgate.gateway.route.Router;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.PATCH;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The management API: deploy, list, show and delete models. The body is read and mapped by hand
 * ({@link DeploymentJson}) so that every refusal is problem+json naming the field; a deployment is durable before
 * 202 is answered.
 *
 * <p>PATCH changes a deployment in place (RFC 7396 merge patch): bounds and concurrency apply at once; a new image,
 * resources or env makes a new revision, rolled out without failing a request or, with {@code rollout.weight}, given
 * a share of the requests beside the current one ({@link Rollout}).
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
    private final GpuCapacity gpus;
    private final Router router;
    @Inject
    ModelUpload uploads;

    public ModelsResource(DeploymentStore store, ImageLookup images, Clock clock, DeploymentListener listener,
                          ReplicaStatus replicas, GpuCapacity gpus, Router router,
                          @ConfigProperty(name = "modelgate.max-body-bytes", defaultValue = "65536") int maxBodyBytes) {
        this.store = store;
        this.gpus = gpus;
        this.router = router;
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
    @Parameter(name = "minReplicas", in = ParameterIn.QUERY, description = "Upload only; also maxReplicas, containerConcurrency, timeout, cpus, "
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
        DeploymentSpec spec = parse(readBody(body));
        requireNewName(spec);
        return accept(spec, images.require(spec.image()), uri);
    }

    /** A model directory as a tar: unpacked, packed into the store, deployed; the unpacked directory always goes. */
    private Response deployUpload(InputStream body, UriInfo uri) throws IOException {
        try (ModelUpload.Received upload = uploads.receive(body)) {
            DeploymentSpec spec = parse(upload.deployment(uri.getQueryParameters()));
            requireNewName(spec);
            upload.pack(uri.getQueryParameters());
            return accept(spec, images.require(spec.image()), uri);
        }
    }

    /** Refused before an image is pulled or packed for nothing; store.create checks again, atomically. */
    private void requireNewName(DeploymentSpec spec) throws IOException {
        if (store.get(spec.name()).isPresent()) {
            throw alreadyDeployed(new DeploymentStore.AlreadyDeployedException(spec.name()).getMessage());
        }
    }

    private DeploymentSpec parse(byte[] json) {
        try {
            DeploymentSpec spec = DeploymentJson.parseRequest(json);
            checkGpus(spec);
            return spec;
        } catch (FieldException e) {
            throw Problem.badField(e.field(), e.getMessage()).toException();
        }
    }

    private Response accept(DeploymentSpec spec, String digest, UriInfo uri) throws IOException {
        Deployment d = new Deployment(spec, clock.instant().truncatedTo(ChronoUnit.MILLIS),
                List.of(Revision.first(spec, digest)));
        try {
            store.create(d);
        } catch (DeploymentStore.AlreadyDeployedException e) {
            throw alreadyDeployed(e.getMessage());
        }
        listener.deploymentsChanged();
        URI location = uri.getBaseUriBuilder().path("models").path(spec.name()).build();
        return Response.accepted(DeploymentJson.write(d).toString()).location(location).build();
    }

    @PATCH
    @Path("{name}")
    @Consumes({"application/merge-patch+json", MediaType.APPLICATION_JSON})
    @Operation(summary = "Change a deployed model", description = """
            A JSON merge patch (RFC 7396) of the deployment: members given replace the stored ones, null resets one
            to its default, objects (resources, env, autoscaling) merge. minReplicas, maxReplicas, containerConcurrency,
            timeout and autoscaling apply at once, without restarting replicas. A change of image (by digest: a tag that now
            names another image counts), resources or env makes a new revision, rolled out without failing a request:
            its replicas start beside the old ones, and only once they are ready are the old ones taken out of routing,
            drained and stopped.

            rollout.weight (0 to 100) splits requests between revisions: with a new image it gives the new revision
            that percent and leaves the rest with the current one (a canary); alone, it moves the share of the newest
            revision: {"rollout":{"weight":100}} promotes it, {"rollout":{"weight":0}} rolls back to the other one.
            GET /models/{name} lists the revisions with their weights and replicas.""")
    @RequestBody(content = @Content(mediaType = "application/merge-patch+json", examples = {
            @ExampleObject(name = "scale", value = "{\"minReplicas\": 1, \"maxReplicas\": 8}"),
            @ExampleObject(name = "rolling update", value = "{\"image\": \"iris:2\"}"),
            @ExampleObject(name = "canary", value = "{\"image\": \"iris:2\", \"rollout\": {\"weight\": 20}}"),
            @ExampleObject(name = "promote", value = "{\"rollout\": {\"weight\": 100}}"),
            @ExampleObject(name = "roll back", value = "{\"rollout\": {\"weight\": 0}}")}))
    @APIResponse(responseCode = "202", description = "Stored durably; the answer is the new deployment (spec and "
            + "revisions); replicas follow asynchronously")
    @APIResponse(responseCode = "400", description = "A field is invalid (problem+json names it)")
    @APIResponse(responseCode = "404", description = "No model of that name is deployed")
    @APIResponse(responseCode = "413", description = "The body is over the limit")
    public Response patch(@PathParam("name") String name, InputStream body) throws IOException {
        byte[] bytes = readBody(body);
        Optional<String> image = patchedImage(bytes);
        if (image.isPresent()) {
            images.require(image.get()); // a registry reference is pulled before the change is stored
        }
        Optional<Deployment> changed;
        try {
            changed = store.update(name, current -> {
                Deployment withRevisions = current.revisions().isEmpty()
                        ? new Deployment(current.spec(), current.createdAt(),
                        List.of(Revision.first(current.spec(), uncheckedDigest(current.spec().image()))))
                        : current;
                DeploymentJson.Patch patch = DeploymentJson.parsePatch(bytes, current.spec());
                checkGpus(patch.spec());
                Optional<String> digest = patch.imageGiven()
                        ? Optional.of(uncheckedDigest(patch.spec().image())) : Optional.empty();
                return Rollout.apply(withRevisions, patch.spec(), digest, patch.weight());
            });
        } catch (FieldException e) {
            throw Problem.badField(e.field(), e.getMessage()).toException();
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        Deployment d = changed.orElseThrow(() -> notDeployed(name));
        listener.deploymentsChanged();
        return Response.accepted(DeploymentJson.write(d).toString()).build();
    }

    /** The image a patch names, if it names one; a malformed body is left for the patch parser to refuse. */
    private static Optional<String> patchedImage(byte[] patch) {
        try {
            var image = DeploymentJson.MAPPER.readTree(patch).get("image");
            return image != null && image.isTextual() ? Optional.of(image.asText()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private byte[] readBody(InputStream body) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxBodyBytes + 1);
        if (bytes.length > maxBodyBytes) {
            throw Problem.of(413, "Body too large", "the deployment description is over " + maxBodyBytes
                    + " bytes; it should be a small JSON object (a model directory is uploaded as a tar, "
                    + "with Content-Type application/x-tar)")
                    .toException();
        }
        return bytes;
    }

    private void checkGpus(DeploymentSpec spec) {
        int wanted = spec.resources().gpus();
        if (wanted > 0) {
            int total = gpus.total();
            if (wanted > total) {
                throw new FieldException("resources.gpus", "model '" + spec.name() + "' needs " + wanted
                        + " GPU(s) per replica but this machine has " + total + (total == 0
                        ? "; set resources.gpus to 0 or deploy on a machine with GPUs" : "; ask for at most " + total));
            }
        }
    }


    private String uncheckedDigest(String image) {
        Optional<String> found;
        try {
            found = images.digest(image);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new FieldException("image", "image reference '" + image + "' is not valid: " + e.getMessage());
        }
        return found.orElseThrow(() -> new FieldException("image", "no image '" + image + "' in the store; pack it "
                + "first ('modelgate pack <dir>') or pull it ('modelgate pull " + image + "')"));
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

    /**
     * The stored deployment plus, once the reconciler has seen it, its replicas (name, revision, state, address,
     * restarts, last exit), the ready count and requests served per revision, and the last error.
     */
    private ObjectNode withStatus(Deployment d) {
        ObjectNode n = DeploymentJson.write(d);
        Map<Integer, Long> served = router.served(d.name());
        Optional<Reconciler.Status> status = replicas.of(d.name());
        if (n.get("revisions") instanceof ArrayNode revisions) {
            for (var r : revisions) {
                int number = r.get("revision").asInt();
                ((ObjectNode) r).put("readyReplicas", status.map(s -> s.replicas().stream()
                        .filter(x -> x.revision() == number && x.state() == Reconciler.State.READY).count()).orElse(0L));
                ((ObjectNode) r).put("requestsServed", served.getOrDefault(number, 0L));
            }
        }
        status.ifPresent(s -> {
            ObjectNode st = n.putObject("status");
            st.put("desiredReplicas", s.desired());
            st.put("readyReplicas", s.ready());
            st.put("startingReplicas", s.starting());
            s.lastError().ifPresent(e -> st.put("lastError", e));
            st.put("replicaExits", s.exits());
            s.lastExit().ifPresent(e -> st.put("lastExit", e));
            ArrayNode list = st.putArray("replicas");
            for (Reconciler.ReplicaView v : s.replicas()) {
                ObjectNode r = list.addObject();
                r.put("name", v.name());
                r.put("revision", v.revision());
                r.put("state", v.state().label());
                v.address().ifPresent(a -> r.put("address", a.toString()));
                r.put("restarts", v.restarts());
                v.lastExit().ifPresent(e -> r.put("lastExit", e));
                v.lastOutput().ifPresent(o -> {
                    ObjectNode output = r.putObject("lastOutput");
                    output.put("replica", o.replica());
                    o.lines().forEach(output.putArray("lines")::add);
                });
                v.reason().ifPresent(e -> r.put("reason", e));
            }
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
