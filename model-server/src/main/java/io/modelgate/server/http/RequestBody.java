package io.modelgate.server.http;

import com.sun.net.httpserver.HttpExchange;
import io.modelgate.server.v2.BadRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A request body read whole, but never more than the limit: a client that sends 10 MB of garbage gets a
 * 400 without the server holding 10 MB for it.
 */
record RequestBody(byte[] bytes, int length) {
  /**
   * Past the limit the rest of the body is read and thrown away, up to this much, so that the client
   * (still sending) gets the 400 instead of a reset connection; past this the connection is dropped.
   */
  private static final long DRAIN_LIMIT = 64L << 20;

  static RequestBody read(HttpExchange exchange, int limit) throws IOException {
    InputStream in = exchange.getRequestBody();
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long n;
      try {
        n = Long.parseLong(declared.strip());
      } catch (NumberFormatException e) {
        throw new BadRequestException("Content-Length '" + declared + "' is not a number");
      }
      if (n > limit) {
        drain(in);
        throw tooLarge(n + " bytes", limit);
      }
      byte[] body = in.readNBytes((int) n);
      if (body.length < n) {
        throw new BadRequestException("the request body ended after " + body.length + " of " + n + " bytes");
      }
      return new RequestBody(body, body.length);
    }
    // Chunked: no length up front, so read up to one byte past the limit to know whether it is over.
    byte[] buf = new byte[8192];
    int len = 0;
    while (true) {
      if (len == buf.length) {
        if (buf.length > limit) {
          drain(in);
          throw tooLarge("more than " + limit + " bytes", limit);
        }
        buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, (long) limit + 1));
      }
      int r = in.read(buf, len, buf.length - len);
      if (r < 0) {
        break;
      }
      len += r;
      if (len > limit) {
        drain(in);
        throw tooLarge("more than " + limit + " bytes", limit);
      }
    }
    return new RequestBody(buf, len);
  }

  private static BadRequestException tooLarge(String size, int limit) {
    return new BadRequestException("the request body is " + size + ", over this server's limit of " + limit
        + " bytes; send fewer rows per request or raise MAX_REQUEST_BYTES");
  }

  private static void drain(InputStream in) throws IOException {
    byte[] sink = new byte[65536];
    long total = 0;
    int r;
    while (total < DRAIN_LIMIT && (r = in.read(sink)) >= 0) {
      total += r;
    }
  }
}
