#!/usr/bin/env python3
"""An RFC 3161 time-stamp authority for the end-to-end tests.

usage: tsa_server.py DIR

DIR holds tsa.key and tsa.crt (the TSA's key and a certificate with the
critical timeStamping extended key usage). The server listens on a free
loopback port, which it writes to DIR/port once it accepts connections,
and signs each query with `openssl ts -reply`. DIR/mode, read at each
query, makes it misbehave on purpose:
  good     answer the query
  down     HTTP 503, as a TSA in maintenance
  other    answer a query of its own (imprint and nonce do not match)
  garbage  HTTP 200 with a body that is no time-stamp reply
DIR/count counts the queries answered with a token.
"""
import http.server
import os
import subprocess
import sys
import tempfile

CONFIG = """\
[ tsa ]
default_tsa = sbx_e2e
[ sbx_e2e ]
serial = {dir}/serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
ess_cert_id_chain = no
"""


class TSA(http.server.BaseHTTPRequestHandler):
    base = "."

    def log_message(self, fmt, *args):
        pass

    def mode(self):
        try:
            with open(os.path.join(self.base, "mode")) as f:
                return f.read().strip()
        except OSError:
            return "good"

    def reply(self, status, body=b"", ctype="application/timestamp-reply"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def sign(self, query_path, reply_path):
        return subprocess.run(
            ["openssl", "ts", "-reply", "-config",
             os.path.join(self.base, "tsa.cnf"), "-queryfile", query_path,
             "-signer", os.path.join(self.base, "tsa.crt"),
             "-inkey", os.path.join(self.base, "tsa.key"),
             "-out", reply_path],
            capture_output=True).returncode == 0

    def do_POST(self):
        query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.mode()
        if mode == "down":
            return self.reply(503, b"maintenance", "text/plain")
        if mode == "garbage":
            return self.reply(200, b"<html>no token here</html>")
        with tempfile.TemporaryDirectory() as tmp:
            q = os.path.join(tmp, "query.tsq")
            r = os.path.join(tmp, "reply.tsr")
            if mode == "other":
                other = os.path.join(tmp, "other")
                with open(other, "wb") as f:
                    f.write(b"some other client's signature")
                subprocess.run(["openssl", "ts", "-query", "-data", other,
                                "-sha256", "-cert", "-out", q], check=True,
                               capture_output=True)
            else:
                with open(q, "wb") as f:
                    f.write(query)
            if not self.sign(q, r):
                return self.reply(500, b"openssl ts failed", "text/plain")
            with open(r, "rb") as f:
                body = f.read()
        count = os.path.join(self.base, "count")
        n = int(open(count).read()) if os.path.exists(count) else 0
        with open(count, "w") as f:
            f.write(str(n + 1))
        self.reply(200, body)


def main():
    base = os.path.abspath(sys.argv[1])
    with open(os.path.join(base, "tsa.cnf"), "w") as f:
        f.write(CONFIG.format(dir=base))
    if not os.path.exists(os.path.join(base, "serial")):
        with open(os.path.join(base, "serial"), "w") as f:
            f.write("1000\n")
    TSA.base = base
    server = http.server.HTTPServer(("127.0.0.1", 0), TSA)
    tmp = os.path.join(base, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(base, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
