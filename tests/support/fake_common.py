"""What the fake services of the tests share: a JSON request handler and the server that
writes its port to the file it is given (fake_signin.py, fake_sso.py)."""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, headers=None, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


def serve(handler):
    """Serve `handler` on a free loopback port, written to the file named by argv[1]."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_port))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
