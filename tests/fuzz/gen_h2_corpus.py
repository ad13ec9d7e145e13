#!/usr/bin/python3
"""gen_h2_corpus.py - writes the seed corpus of fuzz_h2_server: what an HTTP/2
client sends for a few requests, produced by the independent python-h2 library
(Debian's python3-h2). Run once with /usr/bin/python3; the bytes are committed.

Usage: /usr/bin/python3 tests/fuzz/gen_h2_corpus.py [OUTPUT_DIR]
"""
import os
import sys

import h2.config
import h2.connection
import h2.settings


def client_bytes(requests, window=None, pings=0):
    """Returns the preface, SETTINGS (with INITIAL_WINDOW_SIZE |window| when
    given), |pings| PINGs and every request's HEADERS (+DATA)."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    if window is not None:
        conn.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    conn.initiate_connection()
    for _ in range(pings):
        conn.ping(b"pingpong")
    for method, path, body, extra in requests:
        headers = [(":method", method), (":scheme", "http"),
                   (":authority", "127.0.0.1"), (":path", path)] + extra
        stream = conn.get_next_available_stream_id()
        if body is None:
            conn.send_headers(stream, headers, end_stream=True)
        else:
            headers.append(("content-length", str(len(body))))
            conn.send_headers(stream, headers)
            conn.send_data(stream, body, end_stream=True)
    return conn.data_to_send()


SEEDS = {
    "get": [("GET", "/echo?x=1", None, [])],
    "post": [("POST", "/echo", b'{"name":"a"}', [("content-type", "application/json")])],
    "param": [("GET", "/items/a%20b", None, [("accept", "*/*")])],
    "several": [("GET", "/echo", None, []), ("POST", "/items/1", b"x" * 100, []),
                ("DELETE", "/echo", None, []), ("GET", "/missing", None, [])],
}


# Seeds for the limits against hostile peers (docs/http.md): a PING flood, a
# zero window with many streams, HEAD, and bodies sent to routes refused at
# the end of their headers.
HOSTILE = {
    "ping_flood": ([("GET", "/echo", None, [])], None, 30),
    "zero_window": ([("GET", "/echo", None, [])] * 20, 0, 0),
    "head": ([("HEAD", "/echo", None, []), ("HEAD", "/missing", None, [])], None, 0),
    "body_refused": ([("POST", "/missing", b"x" * 300, []), ("PUT", "/echo", b"y" * 300, [])],
                     None, 0),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_h2_server")
    os.makedirs(out, exist_ok=True)
    for name, reqs in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(client_bytes(reqs))
    for name, (reqs, window, pings) in HOSTILE.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(client_bytes(reqs, window, pings))


if __name__ == "__main__":
    main()
