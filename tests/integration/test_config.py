"""test_config - accord-node's command line and configuration errors: every
bad config stops it with file, line, key and rule; init is once only."""
import os
import subprocess

from accordtest import NODE_BIN, Node, check, on_postgresql, skip_unless_built

skip_unless_built()


def run(*args):
    return subprocess.run([NODE_BIN] + list(args), capture_output=True, text=True, timeout=30)


r = run("--version")
check(r.returncode == 0 and r.stdout.startswith("accord-node "), "--version prints the version")
r = run("--help")
check(r.returncode == 0 and "init --config" in r.stdout, "--help shows init")
r = run()
check(r.returncode == 2 and "--config" in r.stderr, "no --config is a usage error")

with Node() as n:
    bad = os.path.join(n.tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[node]\nid = x\ndata_dir = d\n[http]\nlisten = 127.0.0.1:99999\n")
    r = run("--config", bad)
    check(r.returncode == 2 and 'bad.conf:5: listen: "127.0.0.1:99999" port must be 1-65535'
          in r.stderr, "a bad port names file, line, key and rule")
    with open(bad, "w") as f:
        f.write("[node]\nid = x\ndata_dir = d\ncolour = blue\n")
    r = run("--config", bad)
    check(r.returncode == 2 and "bad.conf:4: colour: unknown key in [node]" in r.stderr,
          "an unknown key is refused")
    r = run("--config", os.path.join(n.tmp, "missing.conf"))
    check(r.returncode == 2 and "cannot read" in r.stderr, "a missing config file is named")

    n.init()
    r = run("init", "--config", n.config)
    check(r.returncode == 1 and "already has users" in r.stderr, "a second init refuses")
    # On PostgreSQL the database is the server's, not a file here.
    for name in ("node.secret", "keys") + (() if on_postgresql() else ("accord.db",)):
        check(os.path.exists(os.path.join(n.data_dir, name)), "init created " + name)
    mode = os.stat(os.path.join(n.data_dir, "node.secret")).st_mode & 0o777
    check(mode == 0o600, "the node secret is mode 0600")
    keys = os.listdir(os.path.join(n.data_dir, "keys"))
    check(len(keys) == 1 and oct(os.stat(os.path.join(n.data_dir, "keys", keys[0])).st_mode
                                 & 0o777) == "0o600", "the signing key file is mode 0600")

    # A port already taken: the node says so and exits 1.
    n.start()
    with Node() as other:
        text = open(other.config).read().replace(str(other.port), str(n.port))
        with open(other.config, "w") as f:
            f.write(text)
        other.start(wait=False)
        rc = other.proc.wait(timeout=20)
        check(rc == 1 and "listen" in other.read_stderr(), "a taken port stops the node with 1")
    n.stop()
