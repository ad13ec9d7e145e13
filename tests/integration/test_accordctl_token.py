"""test_accordctl_token - how accordctl gets its token without showing it to
every local user: --token-file PATH (the file's first line), ACCORD_TOKEN, or
a config file; --token on the command line still works but warns on stderr
(ps shows every argument); a config file or token file holding a token that
group or others may read gets a warning naming it. Against a real node."""
import importlib.util
import os
import shlex
import subprocess

from accordtest import BUILD, CTL_BIN, Node, check, skip_unless_built

skip_unless_built()


def ctl(n, *args, env_extra=None, config=None):
    """Runs accordctl --json user show me against |n| with exactly the token
    sources given here (no inherited ACCORD_TOKEN, a config file only when
    |config|)."""
    env = dict(os.environ)
    env.pop("ACCORD_TOKEN", None)
    env["ACCORDCTL_CONFIG"] = config or os.path.join(n.tmp, "no-such-accordctl.conf")
    env.update(env_extra or {})
    return subprocess.run([CTL_BIN, "--node", n.url, *args, "--json", "user", "show", "me"],
                          capture_output=True, text=True, timeout=30, env=env)


def write(path, text, mode):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


with Node() as n:
    admin = n.init()
    n.start()

    # ---- --token-file ------------------------------------------------------
    tf = write(os.path.join(n.tmp, "token"), admin + "\n", 0o600)
    r = ctl(n, "--token-file", tf)
    check(r.returncode == 0 and '"name":"admin"' in r.stdout.replace(" ", "")
          and r.stderr == "",
          "--token-file PATH authenticates with the file's first line, silently (%s)"
          % r.stderr.strip())
    r = ctl(n, "--token-file=" + tf)
    check(r.returncode == 0, "--token-file=PATH works too")
    os.chmod(tf, 0o644)
    r = ctl(n, "--token-file", tf)
    check(r.returncode == 0 and "warning" in r.stderr and tf in r.stderr
          and "0644" in r.stderr and "chmod 600" in r.stderr,
          "a token file others may read still works but warns, naming file and mode: "
          + r.stderr.strip())
    r = ctl(n, "--token-file", os.path.join(n.tmp, "missing"))
    check(r.returncode == 2 and "--token-file" in r.stderr and "missing" in r.stderr,
          "a missing token file is a usage error naming it")
    empty = write(os.path.join(n.tmp, "empty"), "\n", 0o600)
    r = ctl(n, "--token-file", empty)
    check(r.returncode == 2 and "first line must hold the token" in r.stderr,
          "an empty token file is a usage error saying what it must hold")
    r = ctl(n, "--token-file", tf, "--token", admin)
    check(r.returncode == 2 and "not both" in r.stderr, "--token-file with --token is refused")

    # ---- --token and ACCORD_TOKEN -------------------------------------------
    r = ctl(n, "--token", admin)
    check(r.returncode == 0 and "warning: --token puts the token on the command line" in r.stderr
          and "--token-file" in r.stderr,
          "--token still works, with a warning naming the risk and the alternative")
    check(admin not in r.stderr, "the warning does not repeat the token")
    r = ctl(n, env_extra={"ACCORD_TOKEN": admin})
    check(r.returncode == 0 and r.stderr == "", "ACCORD_TOKEN authenticates without a warning")

    # ---- the config file ------------------------------------------------------
    conf = write(os.path.join(n.tmp, "accordctl.conf"), "token = %s\n" % admin, 0o644)
    r = ctl(n, config=conf)
    check(r.returncode == 0 and "warning: config file " + conf in r.stderr
          and "readable by group or others" in r.stderr and "0644" in r.stderr,
          "a config file holding a token that others may read works but warns: "
          + r.stderr.strip())
    os.chmod(conf, 0o640)
    r = ctl(n, config=conf)
    check("warning" in r.stderr and "0640" in r.stderr, "readable by the group warns too")
    os.chmod(conf, 0o600)
    r = ctl(n, config=conf)
    check(r.returncode == 0 and r.stderr == "", "a 0600 config file with a token is silent")
    shared = write(os.path.join(n.tmp, "shared.conf"), "node = %s\n" % n.url, 0o644)
    r = ctl(n, "--token-file", tf, config=shared)
    check("config file" not in r.stderr,
          "a config file others may read but holding no token is not warned about")

    # ---- the demo ---------------------------------------------------------
    # tools/demo.py's own Tools, run through a wrapper that records the
    # command line accordctl gets (what ps would show) before running it.
    spec = importlib.util.spec_from_file_location(
        "demo", os.path.join(os.path.dirname(__file__), "..", "..", "tools", "demo.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    seen = os.path.join(n.tmp, "argv.txt")
    wrapper = write(os.path.join(n.tmp, "accordctl-wrapper"),
                    "#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\nexec %s \"$@\"\n"
                    % (shlex.quote(seen), shlex.quote(os.path.abspath(CTL_BIN))), 0o700)
    tools = demo.Tools(BUILD, n.url)
    tools.ctl_bin = wrapper
    r = tools.ctl_raw(admin, "user", "show", "me")
    with open(seen) as f:
        argv = f.read()
    check(r.returncode == 0 and "admin" in r.stdout and r.stderr == "",
          "the demo's accordctl call authenticates, with no warning")
    check("user show me" in argv and admin not in argv and "--token" not in argv,
          "the demo never puts a token on accordctl's command line")
print("all passed")
