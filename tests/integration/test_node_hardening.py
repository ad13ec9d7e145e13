"""test_node_hardening - what a node refuses about its own set-up and who may
read its metrics: /metrics needs an admin's token by default (its per-route
401 counts tell an outsider what is being probed), can be made public or
switched off; a data directory or database others may read stops the node at
start with the path and mode named (the database file: SQLite's alone); unfinished artifact uploads left by a
crash are removed at start."""
import os
import subprocess

from accordtest import NODE_BIN, Node, check, h2_client, on_postgresql, skip_unless_built
from lifecycle import new_user
from accordtest import Api

skip_unless_built()


def start_fails(n, what):
    r = subprocess.run([NODE_BIN, "--config", n.config], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode != 0 and what in r.stderr,
          "the node refuses to start: %s" % what)
    return r.stderr


with Node() as n:
    admin_token = n.init()
    n.start()
    admin = Api(n, admin_token)
    _, _, earner_token = new_user(n, admin, "erin", ["earner"])
    with h2_client() as c:
        r = c.get(n.url + "/metrics")
        check(r.status_code == 401 and "accord_http_requests_total" not in r.text,
              "/metrics without a token is 401 and shows no counts")
        r = c.get(n.url + "/metrics", headers={"authorization": "Bearer " + earner_token})
        check(r.status_code == 403, "/metrics with an earner's token is 403")
        r = c.get(n.url + "/metrics", headers={"authorization": "Bearer " + admin_token})
        check(r.status_code == 200 and "accord_http_requests_total" in r.text,
              "/metrics with an admin's token is served")
    admin.close()
    n.stop()

    with open(n.config) as f:
        base = f.read()
    for mode, want in (("public", 200), ("off", 404)):
        with open(n.config, "w") as f:
            f.write(base.replace("[http]\n", "[http]\nmetrics = %s\n" % mode))
        n.start()
        with h2_client() as c:
            check(c.get(n.url + "/metrics").status_code == want,
                  "[http] metrics = %s answers %d without a token" % (mode, want))
        n.stop()
    with open(n.config, "w") as f:
        f.write(base.replace("[http]\n", "[http]\nmetrics = sometimes\n"))
    start_fails(n, 'metrics: "sometimes" must be admin, public or off')
    with open(n.config, "w") as f:
        f.write(base)

    os.chmod(n.data_dir, 0o755)
    start_fails(n, "mode 755 lets others into the data directory; it must be 0700")
    os.chmod(n.data_dir, 0o700)
    if not on_postgresql():  # PostgreSQL keeps its files where the server runs
        db = os.path.join(n.data_dir, "accord.db")
        os.chmod(db, 0o644)
        start_fails(n, "mode 644 lets others read the database; it must be 0600")
        os.chmod(db, 0o600)

    sub = os.path.join(n.data_dir, "artifacts", "ab")
    os.makedirs(sub, exist_ok=True)
    orphan = os.path.join(sub, "." + "ab" * 32 + ".tmp")
    with open(orphan, "wb") as f:
        f.write(b"half an upload")
    keep = os.path.join(sub, "ab" * 32)
    with open(keep, "wb") as f:
        f.write(b"a stored artifact")
    n.start()
    check(not os.path.exists(orphan) and os.path.exists(keep),
          "an unfinished upload's .tmp file is removed at start; stored artifacts stay")
    n.stop()
print("all passed")
