#!/usr/bin/env python3
"""A webhook receiver for a local trial: prints every POST it gets.

    python3 scripts/webhook-sink.py 9000

Verify signatures as docs/notifications.md shows; this sink only prints.
"""
import http.server
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        print(self.path, self.headers.get("steward-signature"), body.decode("utf-8", "replace"), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
http.server.HTTPServer(("127.0.0.1", port), Sink).serve_forever()
