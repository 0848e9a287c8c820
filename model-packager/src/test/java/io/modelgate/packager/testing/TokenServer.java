package io.modelgate.packager.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.modelgate.packager.image.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * A token service for {@code docker-registry}'s token auth (distribution docs/spec/auth/token.md), so the Bearer
 * flow is tested against the real registry: it checks the caller's Basic credentials and answers with a JWT
 * granting the requested scopes, signed RS256 by a key whose self-signed certificate (made with the JDK's
 * keytool) is the registry's {@code rootcertbundle} and travels in the token's {@code x5c} header. It answers with
 * {@code access_token} only (the OAuth2 spelling), so clients must read that field as well as {@code token}.
 */
public final class TokenServer implements AutoCloseable {
    private static final String SERVICE = "modelgate-test-registry";
    private static final String ISSUER = "modelgate-test-token-issuer";

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final Path bundle;
    private final String user;
    private final String password;
    private final List<String> queries = Collections.synchronizedList(new ArrayList<>());

    private TokenServer(HttpServer server, PrivateKey key, X509Certificate certificate, Path bundle, String user, String password) {
        this.server = server;
        this.key = key;
        this.certificate = certificate;
        this.bundle = bundle;
        this.user = user;
        this.password = password;
    }

    /** Starts a token service that gives tokens to {@code user} with {@code password} only. */
    public static TokenServer start(Path dir, String user, String password) throws Exception {
        Files.createDirectories(dir);
        Path keystore = dir.resolve("token-signing.p12");
        Files.deleteIfExists(keystore);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Processes.runOk(List.of(keytool, "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048",
                "-sigalg", "SHA256withRSA", "-dname", "CN=modelgate test token signer", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass", "changeit"));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) store.getKey("token", "changeit".toCharArray());
        X509Certificate cert = (X509Certificate) store.getCertificate("token");
        Path bundle = dir.resolve("token-root.pem");
        Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        TokenServer tokens = new TokenServer(http, key, cert, bundle, user, password);
        http.createContext("/token", tokens::handle);
        http.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "token-server");
            t.setDaemon(true);
            return t;
        }));
        http.start();
        return tokens;
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public String service() {
        return SERVICE;
    }

    public String issuer() {
        return ISSUER;
    }

    public Path certificateBundle() {
        return bundle;
    }

    /** The query strings of every token request so far. */
    public List<String> queries() {
        synchronized (queries) {
            return List.copyOf(queries);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            answer(exchange);
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        try {
            String query = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
            queries.add(URLDecoder.decode(query, StandardCharsets.UTF_8));
            String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"invalid user name or password\"}]}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(401, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            List<String> scopes = new ArrayList<>();
            for (String pair : query.split("&")) {
                if (pair.startsWith("scope=")) {
                    scopes.add(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
                }
            }
            byte[] body = Json.write(java.util.Map.of("access_token", sign(scopes), "expires_in", 300));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            exchange.sendResponseHeaders(500, -1);
        }
    }

    /** A JWT granting every action asked for in each scope ({@code repository:<name>:<actions>}). */
    private String sign(List<String> scopes) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        ObjectNode header = Json.mapper().createObjectNode().put("typ", "JWT").put("alg", "RS256");
        header.putArray("x5c").add(Base64.getEncoder().encodeToString(certificate.getEncoded()));
        ObjectNode claims = Json.mapper().createObjectNode()
                .put("iss", ISSUER).put("sub", user).put("aud", SERVICE)
                .put("exp", now + 300).put("nbf", now - 10).put("iat", now).put("jti", UUID.randomUUID().toString());
        ArrayNode access = claims.putArray("access");
        for (String scope : scopes) {
            int first = scope.indexOf(':');
            int last = scope.lastIndexOf(':');
            if (first < 0 || last <= first) {
                continue;
            }
            ObjectNode grant = access.addObject().put("type", scope.substring(0, first)).put("name", scope.substring(first + 1, last));
            ArrayNode actions = grant.putArray("actions");
            for (String action : scope.substring(last + 1).split(",")) {
                actions.add(action);
            }
        }
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String signingInput = url.encodeToString(Json.write(header)) + "." + url.encodeToString(Json.write(claims));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key);
        rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + url.encodeToString(rsa.sign());
    }
}
