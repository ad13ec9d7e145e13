"""test_reader_threads_federation - the catalogs and the federation reads
run on the reader threads (node/readers.c), so the loop answers while they
wait on the disk: the earner's catalog with a peer's kept, verified catalog
in it (all of it, one peer's, this node's only, and a page that starts
inside the peer's entries), this node's signed catalog, the peer's kept
catalog, the peers with their delivery state, the ledger and its receipts, the cosignatures, the batches lent
out and lent in, one lent item, the consortium file, one lending policy and
borrowing mode, one remote certification and its record, and one approval,
policy and presentation. Two real nodes: state.example issues a credential
and serves its signed catalog; district.example, which grants it the issuer
right, keeps that catalog and is the node read. The disk is made slow for
reads only (ACCORD_TEST_READ_DELAY_MS, compiled into test builds alone): on
one HTTP/2 connection the node receives the slow reads first and a health
check last, and the health check is answered before any of them; then every
read answers what it answered with no reader threads at all ([node] readers
= 0: each read on the loop with the writer's connection): the very bytes,
or for the signed catalog (whose envelope id and time are its own each
time) the same body under a signature that verifies with the node's key."""
import os

from accordtest import Api, Node, check, skip_unless_built
from federation_util import append_config, node_public_key, open_envelope
from lifecycle import active_credential, load_definition, new_user
from test_reader_threads import RawClient, set_readers

DELAY_MS = 1000
SIGNED = "/v1/federation/catalog"


def definition(id_, title, domains, stacks):
    d = load_definition()
    d.update({"id": id_, "title": title, "domains": domains, "stacks": stacks})
    return d


def main():
    skip_unless_built()
    os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
    with Node(node_id="state.example") as a, Node(node_id="district.example",
                                                  grace_ms=1000) as b:
        ta, tb = a.init(), b.init()
        a.start()
        b.start()
        pa = node_public_key(a)
        a.stop()
        b.stop()
        append_config(b, "[peer state.example]\nurl = %s\nkey = %s\nrights = issuer\n"
                      % (a.url, pa.hex()))
        a.start()
        b.start()
        pb = node_public_key(b)
        active_credential(a, ta, definition("state-reading", "State Reading", ["ELA"],
                                            ["literacy"]), reviewers=2)
        active_credential(a, ta, definition("state-math", "State Math", ["Math"],
                                            ["numeracy"]), reviewers=2)
        active_credential(b, tb, definition("district-feedback", "District Feedback", ["ELA"],
                                            ["assessment"]), reviewers=2)
        B = Api(b, tb)
        _, T, tt = new_user(b, B, "tina", ["earner"])
        rid, R, tr = new_user(b, B, "rita", ["recognizer"])
        _, V, tv = new_user(b, B, "vic", ["reviewer"])
        status, fetched = B.post("/v1/federation/peers/state.example/catalog")
        assert status == 200, fetched
        hashes = {d["id"]: d["hash"] for d in fetched["definitions"]}
        status, pol = R.post("/v1/recognition/policies",
                             {"peer": "state.example", "credential_id": "state-reading",
                              "content_hash": hashes["state-reading"], "purpose": "ceu",
                              "requires_approval": True})
        assert status == 201, pol
        status, ap = T.post("/v1/approvals", {"recognizer_id": rid,
                                              "credential_id": "state-reading",
                                              "issuer": a.url})
        assert status == 201, ap
        status, page = T.get("/v1/catalog?limit=2")
        assert status == 200 and page.get("next_cursor"), page
        cursor = page["next_cursor"]
        for api in (B, T, R, V):
            api.close()

        who = {"admin": tb, "earner": tt, "recognizer": tr, "reviewer": tv, None: None}
        reads = [("/v1/catalog", "earner"),
                 ("/v1/catalog?peer=state.example", "earner"),
                 ("/v1/catalog?peer=self&domain=ELA", "earner"),
                 ("/v1/catalog?limit=2&cursor=" + cursor, "earner"),
                 ("/v1/catalog?recognizer=%d" % rid, "earner"),
                 (SIGNED, None),
                 ("/v1/federation/peers/state.example/catalog", "admin"),
                 ("/v1/federation/peers", "admin"),
                 ("/v1/federation/peers/state.example", "admin"),
                 ("/v1/federation/ledger", "admin"),
                 ("/v1/federation/ledger?peer=state.example", "admin"),
                 ("/v1/federation/ledger/receipts?limit=5", "admin"),
                 ("/v1/federation/cosignatures?size=1", None),
                 ("/v1/federation/borrowed", "admin"),
                 ("/v1/borrowed/batches", "admin"),
                 ("/v1/borrowed/items/1", "reviewer"),                        # 404
                 ("/v1/federation/consortium", None),                         # none adopted
                 ("/v1/federation/lending/state.example/state-math", "admin"),  # 404
                 ("/v1/federation/borrowing/district-feedback", "admin"),
                 ("/v1/remote-certifications/1", "admin"),                    # 404
                 ("/v1/remote-certifications/1/record", "admin"),             # 404
                 ("/v1/approvals/%d" % ap["id"], "earner"),
                 ("/v1/approvals/%d" % ap["id"], "reviewer"),                 # not a party
                 ("/v1/recognition/policies/%d" % pol["id"], "recognizer"),
                 ("/v1/recognition/presentations/1", "recognizer")]           # 404
        paths = []
        heads = {}
        for p, role in reads:
            # The same path asked by another role: a fragment the node
            # ignores keeps the answers apart.
            while p in heads:
                p += ("&" if "?" in p else "?") + "as=%s" % role
            paths.append(p)
            heads[p] = [("authorization", "Bearer " + who[role])] if role else []
        check(b.stop() == 0, "the district stops cleanly")
        a.stop()

        # The old answers: no reader threads, every read on the loop.
        set_readers(b, 0)
        b.start()
        raw = RawClient(b.port)
        expected = raw.wait(raw.send(paths, heads))
        raw.close()
        ok = [p for p, (s, _) in expected.items() if s == 200]
        check(len(ok) >= 15 and b'"items":[]' not in expected["/v1/catalog"][1],
              "with no reader threads most reads answer 200 with rows to compare (%s)"
              % [(p, s) for p, (s, _) in expected.items()])
        body = expected["/v1/catalog"][1].decode()
        check("state.example" in body and "district-feedback" in body,
              "the earner's catalog lists the district's own and the kept peer entries")
        check(b.stop() == 0, "the district stops cleanly")
        set_readers(b, None)

        # The same data directory, with every read on a reader thread
        # waiting DELAY_MS first.
        os.environ["ACCORD_TEST_READ_DELAY_MS"] = str(DELAY_MS)
        try:
            b.start()
            raw = RawClient(b.port)
            read_ids = raw.send(paths, heads)
            health = raw.send(["/healthz"], [])
            raw.wait(health)
            pending = [raw.streams[i][0] for i in read_ids
                       if raw.streams[i][0] not in raw.finished]
            check(len(pending) == len(paths),
                  "the health check sent after %d slow reads on one connection is answered "
                  "before any of them (%d still pending)" % (len(paths), len(pending)))
            got = raw.wait(read_ids)
            raw.close()
        finally:
            os.environ.pop("ACCORD_TEST_READ_DELAY_MS", None)
        for p in paths:
            if p == SIGNED:
                continue
            check(got[p] == expected[p],
                  "%s answers the same status and bytes off the loop as on it (%d, %d bytes)"
                  % (p, got[p][0], len(got[p][1])))
        old, new = open_envelope(expected[SIGNED][1], pb), open_envelope(got[SIGNED][1], pb)
        check(got[SIGNED][0] == 200 and new["type"] == "catalog" and
              new["body"] == old["body"],
              "the signed catalog read off the loop verifies with the node's key and carries "
              "the same body")
        check(b.stop() == 0, "the district stops cleanly")
        log = b.read_stderr()
        check("2 reader threads answer" in log and "cannot start" not in log,
              "both reader threads started")
    print("all passed")


if __name__ == "__main__":
    main()
