"""test_artifacts_bad_input - an artifact upload whose sha256 or media_type
query value is unusable (too long, or with a malformed %-escape) is refused
with a 400 naming the field, instead of being stored unchecked; an upload that
is stored and then fetched shows the check did not get in the way."""
import hashlib
import json
import socket

import h2.config
import h2.connection
import h2.events

from accordtest import Api, Node, check, skip_unless_built
from lifecycle import new_user

skip_unless_built()

with Node() as n:
    token = n.init()
    n.start()
    admin = Api(n, token)
    _, earner, etoken = new_user(n, admin, "ellen", ["earner"])
    work = b"Lesson plan with feedback notes.\n" * 20
    digest = hashlib.sha256(work).hexdigest()  # computed here, not by the node

    def upload(query):
        """POSTs |work| with |query| sent byte for byte (httpx would re-encode
        a malformed escape); returns (status, parsed body)."""
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        sock = socket.create_connection(("127.0.0.1", n.port), timeout=10)
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "POST"), (":scheme", "http"),
                              (":authority", "127.0.0.1:%d" % n.port),
                              (":path", "/v1/artifacts" + query),
                              ("authorization", "Bearer " + etoken),
                              ("content-type", "application/octet-stream"),
                              ("content-length", str(len(work)))])
        conn.send_data(1, work, end_stream=True)
        sock.sendall(conn.data_to_send())
        status, body, done = None, b"", False
        while not done:
            data = sock.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    status = int(dict(ev.headers)[b":status"])
                elif isinstance(ev, h2.events.DataReceived):
                    body += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, 1)
                elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                    done = True
            sock.sendall(conn.data_to_send())
        sock.close()
        return status, json.loads(body) if body else None

    st, r = upload("?sha256=" + "ab" * 64)
    check(st == 400 and r["field"] == "sha256" and "longer than" in r["detail"],
          "a sha256 value too long to hold is refused (400 naming sha256 and the rule)")
    st, r = upload("?sha256=%zz" + digest)
    check(st == 400 and r["field"] == "sha256" and "percent-encoding" in r["detail"],
          "a sha256 value with a malformed escape is refused (400 naming sha256)")
    check(admin.get("/v1/artifacts/" + digest)[0] == 404, "... and neither stored anything")
    st, r = upload("?media_type=" + "x" * 300)
    check(st == 400 and r["field"] == "media_type",
          "a media_type value too long to hold is refused (400 naming media_type)")
    st, r = upload("?media_type=text%2")
    check(st == 400 and r["field"] == "media_type",
          "a media_type value with a malformed escape is refused (400 naming media_type)")
    check(admin.get("/v1/artifacts/" + digest)[0] == 404, "... and those stored nothing")
    st, r = upload("?sha256=" + digest + "&media_type=text%2Fplain")
    check(st == 201 and r["sha256"] == digest and r["media_type"] == "text/plain",
          "the same upload with a matching sha256 and a media type is stored")
    earner.close()
    admin.close()
