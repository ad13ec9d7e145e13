"""test_bad_input - each bad input gets the right status (or, for malformed
frames, a closed connection) and the node keeps serving."""
import json
import socket

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def raw_exchange(port, data):
    """Sends |data| on a fresh connection and reads until the node closes it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk
    except (ConnectionResetError, socket.timeout):
        return None
    finally:
        s.close()


def problem(r):
    check(r.headers.get("content-type", "").startswith("application/problem+json"),
          "status %d comes as problem+json" % r.status_code)
    return json.loads(r.content)


with Node(limits="max_body_bytes = 4096") as n:
    admin = n.init()
    n.start()
    auth = {"authorization": "Bearer " + admin}
    url = n.url

    # Malformed frames: garbage instead of the preface; a frame of an unknown
    # length; a HEADERS frame with a broken HPACK block.
    raw_exchange(n.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    raw_exchange(n.port, PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
                 + b"\xff\xff\xff\x01\x05\x00\x00\x00\x01" + b"\x00" * 64)
    raw_exchange(n.port, PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
                 + b"\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff")
    with h2_client() as c:
        check(c.get(url + "/healthz").status_code == 200,
              "the node serves after malformed frames")

        r = c.post(url + "/v1/users", headers=dict(auth, **{"content-type": "application/json"}),
                   content=b'{"name": "x", "roles": [')
        p = problem(r)
        check(r.status_code == 400 and "line 1" in p["detail"], "bad JSON gets 400 with its place")

        r = c.post(url + "/v1/users", headers=dict(auth, **{"content-type": "text/plain"}),
                   content=b'{"name":"x","roles":["earner"]}')
        check(r.status_code == 415 and problem(r)["field"] == "content-type",
              "a wrong content type gets 415")

        r = c.post(url + "/v1/users", headers=dict(auth, **{"content-type": "application/json"}),
                   content=b"[" + b"1," * 5000 + b"1]")
        check(r.status_code == 413, "a body over max_body_bytes gets 413")

        r = c.post(url + "/v1/users", headers=dict(auth, **{"content-type": "application/json"}),
                   content=b'{"name":"x","roles":["earner"],"shoe_size":9}')
        check(r.status_code == 400 and problem(r)["field"] == "shoe_size",
              "an unknown field gets 400 naming it")

        r = c.post(url + "/v1/users", headers=dict(auth, **{"content-type": "application/json"}),
                   content=b'{"name":"Bad Name","roles":["earner"]}')
        check(r.status_code == 400 and problem(r)["field"] == "name", "a bad name gets 400")

        r = c.get(url + "/v1/no/such/route", headers=auth)
        check(r.status_code == 404, "an unknown route gets 404")
        problem(r)
        r = c.put(url + "/v1/users", headers=auth, content=b"")
        check(r.status_code == 405, "a wrong method gets 405")

        r = c.get(url + "/v1/users?limit=0", headers=auth)
        check(r.status_code == 400 and problem(r)["field"] == "limit", "limit=0 gets 400")
        r = c.get(url + "/v1/users?cursor=zz", headers=auth)
        check(r.status_code == 400 and problem(r)["field"] == "cursor", "a bad cursor gets 400")
        r = c.get(url + "/v1/users/abc", headers=auth)
        check(r.status_code == 404, "a non-numeric user id gets 404")
        r = c.get(url + "/v1/users")
        p = problem(r)
        check(r.status_code == 401 and "server_time" in p, "401 carries server_time")

        r = c.get(url + "/v1/users/me", headers=auth)
        check(r.status_code == 200, "the node still serves after every bad input")
        r = c.get(url + "/metrics", headers=auth)
        check(r.status_code == 200 and 'status="415"' in r.text
              and "accord_database_size_bytes" in r.text,
              "/metrics counts the refused requests and the database size")
    check(n.stop() == 0, "the node stops cleanly afterwards")
