"""test_token_cache - bearer tokens are verified from memory, yet a change
another process makes in the shared database (a token revoked, a user
disabled or given other roles) reaches the running node within its check
period: the auth generation bumped by triggers in the same transaction."""
import time

from accordtest import Api, Node, check, skip_unless_built

skip_unless_built()


def until(cond, limit=60.0):
    """Polls |cond| until it holds or |limit| seconds pass (a bound only a
    stuck node reaches: the node checks every second)."""
    deadline = time.monotonic() + limit
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.1)
    return cond()


with Node() as n:
    admin_token = n.init()
    n.start()
    admin = Api(n, admin_token)
    r = admin.post("/v1/users", {"name": "erin", "roles": ["earner"]})
    erin_id = r[1]["id"]
    r = admin.post("/v1/users/%d/tokens" % erin_id, {"label": "laptop"})
    erin = Api(n, r[1]["token"])
    tok_id = r[1]["id"]
    for _ in range(3):  # the first read fills the cache, the others hit it
        r = erin.get("/v1/users/me")
    check(r[0] == 200 and r[1]["roles"] == ["earner"], "erin's token is served (and cached)")

    # Another process: a direct write to the shared database.
    n.db_write("UPDATE users SET roles = roles | (SELECT roles FROM users WHERE id = 1)"
               " WHERE id = ?", (erin_id,))
    check(until(lambda: "admin" in (erin.get("/v1/users/me")[1] or {}).get("roles", [])),
          "a role given by another process is seen by the running node")

    n.db_write("UPDATE tokens SET revoked_ms = 1 WHERE id = ?", (tok_id,))
    check(until(lambda: erin.get("/v1/users/me")[0] == 401),
          "a token revoked by another process is refused by the running node")
    r = erin.get("/v1/users/me")
    check(r[0] == 401 and "revoked" in r[1]["detail"], "... saying it was revoked")
    r = admin.get("/v1/users/me")
    check(r[0] == 200, "other tokens still work")
    erin.close()
    admin.close()
    check(n.stop() == 0, "the node stops cleanly")
