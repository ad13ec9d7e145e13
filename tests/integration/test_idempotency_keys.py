"""test_idempotency_keys - a write carrying an Idempotency-Key against a real
accord-node (docs/api.md): a repeat gets the stored answer and is not
applied again, the key with another body is refused 422, a malformed key
400 naming the header, another credential's use of the key is its own, and
a key expires after [node] idempotency_key_hours (the test clock)."""
import json

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()


def post(c, node, token, path, body, key=None):
    headers = {"authorization": "Bearer " + token, "content-type": "application/json"}
    if key is not None:
        headers["idempotency-key"] = key
    return c.post(node.url + path, headers=headers, content=json.dumps(body))


def users(c, node, token):
    r = c.get(node.url + "/v1/users?limit=200", headers={"authorization": "Bearer " + token})
    assert r.status_code == 200, r.text
    return [u["name"] for u in r.json()["items"]]


with Node(node_id="idem.test") as n, h2_client() as c:
    admin = n.init()
    n.start()

    body = {"name": "erin", "roles": ["earner"]}
    first = post(c, n, admin, "/v1/users", body, key="create-erin-1")
    check(first.status_code == 201, "a keyed write is applied: %s" % first.text)
    again = post(c, n, admin, "/v1/users", body, key="create-erin-1")
    check(again.status_code == 201 and again.content == first.content,
          "its repeat with the same key gets the same answer, byte for byte")
    check(again.headers.get("idempotent-replayed") == "true"
          and again.headers.get("content-type") == first.headers.get("content-type"),
          "the repeat is marked as replayed and keeps the answer's content type")
    check(users(c, n, admin).count("erin") == 1, "the repeat was not applied again")

    unkeyed = post(c, n, admin, "/v1/users", body)
    check(unkeyed.status_code == 409, "without a key a repeat runs again (and finds the name taken)")

    other = post(c, n, admin, "/v1/users", {"name": "rex", "roles": ["reviewer"]},
                 key="create-erin-1")
    p = other.json()
    check(other.status_code == 422 and p["type"].endswith("/idempotency-key-reused")
          and p["field"] == "Idempotency-Key",
          "the same key with another body is refused 422 idempotency-key-reused")
    check("rex" not in users(c, n, admin), "the refused request was not applied")

    for bad in ("has space", "k" * 256):
        r = post(c, n, admin, "/v1/users", {"name": "bad", "roles": ["earner"]}, key=bad)
        check(r.status_code == 400 and r.json()["field"] == "Idempotency-Key"
              and "Idempotency-Key" in r.json()["detail"],
              "a malformed key (%d bytes) is refused 400 naming the header" % len(bad))
    check("bad" not in users(c, n, admin), "a request with a malformed key is not applied")
    r = post(c, n, admin, "/v1/users", {"name": "kim", "roles": ["earner"]}, key="k" * 255)
    check(r.status_code == 201, "a key of 255 visible characters is accepted")

    # A failure answered by the handler is an answer too: stored and replayed.
    r1 = post(c, n, admin, "/v1/users", {"name": "erin", "roles": ["earner"]}, key="dup")
    r2 = post(c, n, admin, "/v1/users", {"name": "erin", "roles": ["earner"]}, key="dup")
    check(r1.status_code == 409 and r2.status_code == 409 and r2.content == r1.content
          and r2.headers.get("idempotent-replayed") == "true",
          "a refusal is stored and replayed like a success")

    # Another credential's key is its own.
    tok = post(c, n, admin, "/v1/users/1/tokens", {"label": "second"})
    check(tok.status_code == 201, "a second admin token is made: %s" % tok.text)
    second = tok.json()["token"]
    r = post(c, n, second, "/v1/users", {"name": "lee", "roles": ["earner"]},
             key="create-erin-1")
    check(r.status_code == 201, "another credential's request with the same key is its own")

    # Expiry: after the configured 24 h the key names a new request.
    r = post(c, n, admin, "/v1/test/clock", {"advance_seconds": 24 * 3600 + 60})
    check(r.status_code == 200, "the test clock moves a day on: %s" % r.text)
    r = post(c, n, admin, "/v1/users", {"name": "max", "roles": ["earner"]},
             key="create-erin-1")
    check(r.status_code == 201 and "idempotent-replayed" not in r.headers,
          "an expired key is free again: the new request is applied")
    r2 = post(c, n, admin, "/v1/users", {"name": "max", "roles": ["earner"]},
              key="create-erin-1")
    check(r2.status_code == 201 and r2.content == r.content,
          "and its repeat is answered from the new row")

print("ok")
