"""test_h2_python - Python's hyper-h2 (driven by hand over a socket) and httpx
(http2=True) talk to the node."""
import json
import socket

import h2.config
import h2.connection
import h2.events

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()


def raw_get(port, path, headers=()):
    """One GET with the h2 state machine over a plain socket (prior knowledge)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                            (":authority", "127.0.0.1:%d" % port)] + list(headers),
                      end_stream=True)
    s.sendall(conn.data_to_send())
    status, body, done = None, b"", False
    while not done:
        data = s.recv(65536)
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = int(dict(ev.headers)[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                done = True
        s.sendall(conn.data_to_send())
    conn.close_connection()
    s.sendall(conn.data_to_send())
    s.close()
    return status, body


with Node(node_id="python.test") as n:
    admin = n.init()
    n.start()
    status, body = raw_get(n.port, "/v1/node")
    check(status == 200 and json.loads(body)["node_id"] == "python.test",
          "hyper-h2 reads /v1/node")
    status, body = raw_get(n.port, "/v1/users/me", [("authorization", "Bearer " + admin)])
    check(status == 200 and json.loads(body)["roles"] == ["admin"], "hyper-h2 authenticates")

    with h2_client() as c:
        r = c.get(n.url + "/v1/node")
        check(r.http_version == "HTTP/2" and r.status_code == 200, "httpx speaks HTTP/2 to the node")
        r = c.post(n.url + "/v1/users", json={"name": "hx", "roles": ["expert"]},
                   headers={"authorization": "Bearer " + admin})
        check(r.status_code == 201 and r.json()["roles"] == ["expert"], "httpx creates a user")
        r = c.get(n.url + "/v1/users?limit=1", headers={"authorization": "Bearer " + admin})
        page = r.json()
        check(len(page["items"]) == 1 and "next_cursor" in page, "a full page carries a cursor")
        r = c.get(n.url + "/v1/users?limit=1&cursor=" + page["next_cursor"],
                  headers={"authorization": "Bearer " + admin})
        check(r.json()["items"][0]["name"] == "hx", "the cursor leads to the next page")
    check(n.stop() == 0, "the node stops cleanly")
