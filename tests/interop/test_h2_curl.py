"""test_h2_curl - curl (libcurl's own HTTP/2 stack) talks to the node: h2c with
--http2-prior-knowledge, and TLS with ALPN h2 against a self-signed
certificate generated here with `openssl req`."""
import json
import shutil
import subprocess
import tempfile
import time

from accordtest import Node, check, make_self_signed, require_tool, skip_unless_built

skip_unless_built()
require_tool("curl")


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-w", "\n%{http_version} %{http_code}"]
                       + list(args), capture_output=True, text=True, timeout=30)
    body, _, tail = r.stdout.rpartition("\n")
    return r.returncode, body, tail


with Node(node_id="curl.test") as n:
    admin = n.init()
    n.start()
    rc, body, tail = curl("--http2-prior-knowledge", n.url + "/v1/node")
    check(rc == 0 and tail == "2 200" and json.loads(body)["node_id"] == "curl.test",
          "curl --http2-prior-knowledge gets /v1/node over HTTP/2")
    rc, body, tail = curl("--http2-prior-knowledge", "-H", "authorization: Bearer " + admin,
                          "-H", "content-type: application/json",
                          "--data", '{"name":"curly","roles":["recognizer"]}',
                          n.url + "/v1/users")
    check(rc == 0 and tail == "2 201" and json.loads(body)["name"] == "curly",
          "curl POSTs a user over h2c")
    n.stop()

certdir = tempfile.mkdtemp(prefix="accord-cert-")
try:
    cert, key = make_self_signed(certdir)
    with Node(node_id="tls.test", tls=(cert, key)) as n:
        n.init()
        n.start(wait=False)
        deadline = time.monotonic() + 15
        while True:
            rc, body, tail = curl("--http2", "--cacert", cert, n.url + "/healthz")
            if rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(rc == 0 and tail == "2 200" and body.strip() == "ok",
              "curl over TLS verifying the self-signed certificate negotiates h2")
        # RFC 9113 §3.2: over TLS, h2 only after ALPN chose it. A client that
        # skips ALPN and speaks h2 anyway is refused, not served.
        rc, body, tail = curl("--http2-prior-knowledge", "--no-alpn", "--cacert", cert,
                              n.url + "/healthz")
        check(rc != 0 and not tail.endswith(" 200"),
              "a TLS client that did not negotiate ALPN h2 is not served")
        rc, body, tail = curl("--http2", "--cacert", cert, n.url + "/v1/node")
        check(rc == 0 and json.loads(body)["node_id"] == "tls.test", "curl reads /v1/node over TLS")
        r = n.ctl("node", "info", json_out=True)
        check(r.returncode == 0 and r.json["node_id"] == "tls.test",
              "accordctl --insecure reads the node over TLS")
        check(n.stop() == 0, "the TLS node stops cleanly")
finally:
    shutil.rmtree(certdir, ignore_errors=True)
