#!/usr/bin/env python3
# HTTPS server on loopback for tests/e2e/81-deploy.sh. The first path
# segment picks how it misbehaves; the rest names a file under ROOT
# (folders allowed, ".." not):
#   /files/NAME     serve NAME (404 when there is none)
#   /404/NAME       404 Not Found
#   /huge/NAME      NAME's bytes, then 64 MiB of zeros, with Content-Length
#   /chunked/NAME   the same without Content-Length (chunked)
#   /stall/NAME     headers and 10 bytes, then nothing for 60 s
#   /flaky/NAME     503 for the first request of each path, then serve
#   /tohttp/NAME    302 to http://127.0.0.1:PORT/files/NAME
# Every request is logged as "METHOD PATH STATUS" to LOG.
# usage: https_server.py ROOT CERT KEY PORTFILE LOG
import http.server
import os
import ssl
import sys
import threading
import time

ROOT, CERT, KEY, PORTFILE, LOG = sys.argv[1:6]
HUGE = 64 << 20
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        with lock, open(LOG, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def status(self, code, body=b"", headers=()):
        self.note(code)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def file(self, name):
        name = name.split("?", 1)[0]
        if not name or ".." in name.split("/"):
            return None
        path = os.path.join(ROOT, name)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def do_GET(self):
        parts = self.path.split("/", 2)
        mode = parts[1] if len(parts) > 1 else ""
        name = parts[2] if len(parts) > 2 else ""
        data = self.file(name)
        if mode == "404":
            return self.status(404, b"not here\n")
        if mode == "flaky":
            with lock:
                first = self.path not in seen
                seen.add(self.path)
            if first:
                return self.status(503, b"try later\n")
        if mode == "tohttp":
            port = self.server.server_address[1]
            loc = "http://127.0.0.1:%d/files/%s" % (port, name)
            return self.status(302, b"", [("Location", loc)])
        if data is None:
            return self.status(404, b"no such file\n")
        if mode in ("files", "flaky"):
            return self.status(200, data)
        if mode == "huge":
            return self.huge(data, True)
        if mode == "chunked":
            return self.huge(data, False)
        if mode == "stall":
            return self.stall()
        return self.status(400, b"unknown mode\n")

    def huge(self, data, length):
        self.note(200)
        self.send_response(200)
        if length:
            self.send_header("Content-Length", str(len(data) + HUGE))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        zeros = bytes(1 << 20)
        try:
            self.write(data, length)
            for _ in range(HUGE >> 20):
                self.write(zeros, length)
            if not length:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def write(self, b, length):
        if length:
            self.wfile.write(b)
        else:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))

    def stall(self):
        self.note(200)
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            self.wfile.write(b"0123456789")
            self.wfile.flush()
            time.sleep(60)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


main()
