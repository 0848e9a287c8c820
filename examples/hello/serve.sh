#!/bin/sh
# Serves www/ on $PORT in the foreground, so the container lives as long as the server.
exec httpd -f -v -p "${PORT:-8080}" -h /model/www
