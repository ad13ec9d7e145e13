"""test_users - init, the admin token, users and roles, token create/revoke and
user disable, all through accordctl against a real accord-node."""
from accordtest import Node, check, skip_unless_built

skip_unless_built()

with Node(node_id="issuer.test") as n:
    admin = n.init()
    n.start()

    r = n.ctl("node", "info", token=admin, json_out=True)
    check(r.returncode == 0 and r.json["node_id"] == "issuer.test", "node info shows the node id")
    check(len(r.json["public_key"]["kid"]) == 16, "node info shows a 16-hex-digit key id")

    r = n.ctl("user", "add", "erin", "--role", "earner", token=admin, json_out=True)
    check(r.returncode == 0 and r.json["roles"] == ["earner"], "an admin adds an earner")
    erin = r.json["id"]
    r = n.ctl("user", "add", "rex", "--role", "reviewer,expert", token=admin, json_out=True)
    check(r.returncode == 0 and sorted(r.json["roles"]) == ["expert", "reviewer"],
          "a user can hold two roles")

    r = n.ctl("user", "add", "erin", "--role", "earner", token=admin)
    check(r.returncode == 1 and "already taken" in r.stderr,
          "a taken name is refused with exit 1 and says why")
    r = n.ctl("user", "add", "zed", "--role", "wizard", token=admin)
    check(r.returncode == 1 and "roles[0]" in r.stderr, "an unknown role names the field")

    r = n.ctl("user", "list", token=admin)
    check(r.returncode == 0 and "erin" in r.stdout and "NAME" in r.stdout,
          "user list prints a table")
    r = n.ctl("user", "list", "--limit", "2", token=admin, json_out=True)
    check([u["name"] for u in r.json["items"]] == ["admin", "erin"], "user list honours --limit")

    r = n.ctl("token", "create", str(erin), "--label", "laptop", token=admin)
    erin_token = r.stdout.strip()
    check(r.returncode == 0 and erin_token.startswith("acc_"), "an admin creates a token for erin")

    r = n.ctl("user", "show", "me", token=erin_token, json_out=True)
    check(r.returncode == 0 and r.json["name"] == "erin", "erin's token identifies erin")
    r = n.ctl("user", "list", token=erin_token)
    check(r.returncode == 1 and "403" in r.stderr and "admin" in r.stderr,
          "an earner cannot list users (403 naming the role)")
    r = n.ctl("token", "create", str(erin), token=erin_token)
    check(r.returncode == 1 and "403" in r.stderr, "an earner cannot create tokens")
    r = n.ctl("user", "show", "1", token=erin_token)
    check(r.returncode == 1 and "403" in r.stderr, "an earner cannot read another user")

    r = n.ctl("token", "list", str(erin), token=admin, json_out=True)
    tok_id = r.json["items"][0]["id"]
    check(r.returncode == 0 and r.json["items"][0]["label"] == "laptop"
          and "token" not in r.json["items"][0], "token list never shows the token itself")
    r = n.ctl("token", "revoke", str(tok_id), token=admin)
    check(r.returncode == 0, "an admin revokes erin's token")
    r = n.ctl("user", "show", "me", token=erin_token)
    check(r.returncode == 1 and "401" in r.stderr and "revoked" in r.stderr,
          "a revoked token gets 401 saying it was revoked")

    r = n.ctl("token", "create", str(erin), token=admin)
    erin_token = r.stdout.strip()
    r = n.ctl("user", "disable", str(erin), token=admin, json_out=True)
    check(r.returncode == 0 and r.json["disabled"] is True, "an admin disables erin")
    r = n.ctl("user", "show", "me", token=erin_token)
    check(r.returncode == 1 and "401" in r.stderr and "disabled" in r.stderr,
          "a disabled user's token gets 401 saying why")
    r = n.ctl("user", "disable", "1", token=admin)
    check(r.returncode == 1 and "409" in r.stderr, "an admin cannot disable itself")

    r = n.ctl("user", "list", token="acc_" + "A" * 43)
    check(r.returncode == 1 and "not known" in r.stderr and "node time" in r.stderr,
          "an unknown token gets 401 with the server's time")
    r = n.ctl("user", "list")
    check(r.returncode == 1 and "401" in r.stderr, "no token gets 401")
    r = n.ctl("user", "add", token=admin)
    check(r.returncode == 2, "a command missing arguments exits 2")

    # Users and tokens survive a restart.
    check(n.stop() == 0, "SIGTERM stops the node with status 0")
    n.start()
    r = n.ctl("user", "show", "me", token=admin, json_out=True)
    check(r.returncode == 0 and r.json["name"] == "admin", "the admin token works after a restart")
    n.stop()
    r = n.ctl("node", "info", token=admin)
    check(r.returncode == 3 and "cannot reach" in r.stderr, "a stopped node means exit 3")
