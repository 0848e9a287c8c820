package io.modelgate.gateway.logs;

import io.modelgate.gateway.auth.Management;
import io.modelgate.gateway.deploy.DeploymentStore;
import io.modelgate.gateway.problem.Problem;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.io.IOException;
import java.util.List;

/** GET /models/{name}/logs: what the deployment's replicas print, as {@code docker compose logs} shows it. */
@Path("/models/{name}/logs")
@Management
public class LogsResource {
    private final DeploymentStore store;
    private final ReplicaLogs logs;

    public LogsResource(DeploymentStore store, ReplicaLogs logs) {
        this.store = store;
        this.logs = logs;
    }

    @GET
    @Blocking
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "The replicas' stdout and stderr, each line prefixed with the replica's name ('iris-3fa2c1 | …')")
    @APIResponse(responseCode = "200", description = "The lines, oldest first; with follow=true a chunked stream that "
            + "stays open until the client disconnects or the deployment is deleted")
    @APIResponse(responseCode = "400", description = "tail is negative")
    @APIResponse(responseCode = "404", description = "No such deployment, or no such replica of it")
    public Multi<String> logs(@PathParam("name") String name,
                              @Parameter(description = "Only the last N lines of each replica (default: all)")
                              @QueryParam("tail") @DefaultValue("-1") String tail,
                              @Parameter(description = "Only this replica (a name from the lines' prefixes)")
                              @QueryParam("replica") String replica,
                              @Parameter(description = "Keep the response open and send new lines as they are written")
                              @QueryParam("follow") @DefaultValue("false") boolean follow) throws IOException {
        if (store.get(name).isEmpty()) {
            throw Problem.of(404, "Not deployed", "no model '" + name + "' is deployed (GET /models lists them)").toException();
        }
        int lines = tail(tail);
        List<String> replicas = logs.replicas(name);
        if (replica != null && !replicas.contains(replica)) {
            throw Problem.of(404, "No such replica", "model '" + name + "' has no replica '" + replica + "'; its replicas: "
                    + (replicas.isEmpty() ? "none now" : String.join(", ", replicas))).toException();
        }
        if (follow) {
            return logs.follow(name, replica, lines);
        }
        List<String> text = logs.lines(replica == null ? replicas : List.of(replica), lines);
        StringBuilder b = new StringBuilder();
        text.forEach(l -> b.append(l).append('\n'));
        return Multi.createFrom().item(b.toString());
    }

    private static int tail(String text) {
        if (text.equals("-1") || text.equals("all")) {
            return -1;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw Problem.badField("tail", "tail must be a number of lines, 0 or more (or 'all'), got '" + text + "'").toException();
    }
}
