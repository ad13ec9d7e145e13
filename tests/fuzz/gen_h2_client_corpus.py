#!/usr/bin/python3
"""gen_h2_client_corpus.py - writes the seed corpus of fuzz_h2_client: what an
HTTP/2 server sends back for the target's three requests (stream 1: GET /a,
stream 3: POST /b, stream 5: GET /c), produced by the independent python-h2
library (Debian's python3-h2). Run once with /usr/bin/python3; the bytes are
committed.

Usage: /usr/bin/python3 tests/fuzz/gen_h2_client_corpus.py [OUTPUT_DIR]
"""
import os
import sys

import h2.config
import h2.connection


def server_bytes(answers):
    """Returns the server preface (SETTINGS) and the answers to streams 1, 3, 5."""
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    for path in ("/a", "/b", "/c"):
        sid = client.get_next_available_stream_id()
        client.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                                  (":authority", "fuzz.example"), (":path", path)],
                            end_stream=True)
    server = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=False, validate_outbound_headers=False,
        normalize_outbound_headers=False))
    server.initiate_connection()
    server.receive_data(client.data_to_send())
    out = bytearray()
    for kind, sid, arg in answers:
        if kind == "headers":
            server.send_headers(sid, arg[0], end_stream=arg[1])
        elif kind == "data":
            server.send_data(sid, arg[0], end_stream=arg[1])
        elif kind == "reset":
            server.reset_stream(sid, arg)
        elif kind == "goaway":
            server.close_connection(last_stream_id=arg)
    out += server.data_to_send()
    return bytes(out)


def ok(body):
    return [(":status", "200"), ("content-type", "application/json"),
            ("content-length", str(len(body)))]


SEEDS = {
    "three_answers": [
        ("headers", 1, (ok(b'{"a":1}'), False)), ("data", 1, (b'{"a":1}', True)),
        ("headers", 3, ([(":status", "404")], True)),
        ("headers", 5, (ok(b"x" * 300), False)), ("data", 5, (b"x" * 300, True))],
    "informational_then_final": [
        ("headers", 1, ([(":status", "103"), ("link", "</s>; rel=preload")], False)),
        ("headers", 1, (ok(b"{}"), False)), ("data", 1, (b"{}", True))],
    "trailers": [
        ("headers", 1, ([(":status", "200")], False)), ("data", 1, (b"abc", False)),
        ("headers", 1, ([("x-checksum", "1")], True))],
    "reset_and_goaway": [
        ("headers", 1, ([(":status", "500")], True)), ("reset", 3, 2), ("goaway", 0, 1)],
    "bad_status": [("headers", 1, ([(":status", "2x0")], True)),
                   ("headers", 3, ([(":status", "20")], True))],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_h2_client")
    os.makedirs(out, exist_ok=True)
    for name, answers in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(server_bytes(answers))


if __name__ == "__main__":
    main()
