"""test_h2_nghttp - nghttp (the nghttp2 project's client) fetches from the
node with prior knowledge and checks the response status and body."""
import json
import re
import subprocess

from accordtest import Node, check, require_tool, skip_unless_built

skip_unless_built()
require_tool("nghttp")

with Node(node_id="nghttp.test") as n:
    admin = n.init()
    n.start()
    r = subprocess.run(["nghttp", "-v", "--no-dep", n.url + "/v1/node"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and ":status: 200" in r.stdout, "nghttp gets 200 for /v1/node")
    r = subprocess.run(["nghttp", n.url + "/v1/node"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and json.loads(r.stdout)["node_id"] == "nghttp.test",
          "nghttp reads the node's JSON")
    # Several streams on one connection.
    r = subprocess.run(["nghttp", "-n", "-s", "-H", "authorization: Bearer " + admin,
                        n.url + "/healthz", n.url + "/v1/node",
                        n.url + "/metrics"], capture_output=True, text=True, timeout=30)
    # The statistics table: "id responseEnd requestStart process code size path".
    rows = re.findall(r"^\s*\d+\s+\S+\s+\S+\s+\S+\s+(\d{3})\s+\S+\s+(/\S*)$", r.stdout, re.M)
    check(r.returncode == 0 and sorted(rows) == [("200", "/healthz"), ("200", "/metrics"),
                                                 ("200", "/v1/node")],
          "nghttp multiplexes three requests on one connection")
    r = subprocess.run(["nghttp", "-v", "-H", "authorization: Bearer " + admin,
                        n.url + "/v1/nope"], capture_output=True, text=True, timeout=30)
    check(":status: 404" in r.stdout, "nghttp sees 404 for an unknown route")
    check(n.stop() == 0, "the node stops cleanly")
