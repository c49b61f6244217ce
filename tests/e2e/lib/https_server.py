#!/usr/bin/env python3
"""Serve a folder over HTTPS on loopback, for the end-to-end tests.

usage: https_server.py FOLDER CERT KEY PORTFILE

Listens on a free port of 127.0.0.1 and writes it to PORTFILE once it
accepts connections. GET /NAME answers FOLDER/NAME; when FOLDER/NAME.to
exists instead, the answer is a 302 redirect to the URL it holds.
Anything else is 404.
"""
import http.server
import os
import ssl
import sys


class Files(http.server.BaseHTTPRequestHandler):
    folder = "."

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        if "/" in name or name in ("", ".", ".."):
            return self.send(404, b"no such file\n")
        path = os.path.join(self.folder, name)
        if os.path.isfile(path + ".to"):
            with open(path + ".to") as f:
                return self.send(302, b"", [("Location", f.read().strip())])
        if not os.path.isfile(path):
            return self.send(404, b"no such file\n")
        with open(path, "rb") as f:
            self.send(200, f.read(), [("Content-Type", "application/json")])


class Server(http.server.HTTPServer):
    def handle_error(self, request, client_address):
        pass    # a client that hangs up on purpose (size limit) is no news


def main():
    folder, cert, key, portfile = sys.argv[1:5]
    Files.folder = os.path.abspath(folder)
    server = Server(("127.0.0.1", 0), Files)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
