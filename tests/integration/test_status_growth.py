"""test_status_growth - a node's status list grows instead of filling: when
the next record would make it more than half assigned it doubles (random
indexes over the whole new list, every earlier status kept), the published
token has the new size, and a restarted node sizes its list from what is
stored, also for an index beyond the first 131,072 (which used to stop the
node at start). Expected sizes follow the rule written in docs/records.md,
computed here, and the token is read with cbor2 and zlib, not the node's code."""
import random
import zlib

from accordtest import Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
try:
    import cbor2
except ImportError:
    skip("python3-cbor2 is needed (tools/setup.sh)")
from test_records import issue

MIN = 131072


def token(c, n):
    """(entries, 2-bit list bytes) of the node's Token Status List."""
    tok = cbor2.loads(c.get(n.url + "/v1/status/token").content)
    sl = cbor2.loads(tok[2])[65533]
    bits = zlib.decompress(sl["lst"])
    return len(bits) * 4, bits


def state(bits, idx):
    return (bits[idx // 4] >> (2 * (idx % 4))) & 3


def fill(n, idxs, revoked):
    """Stores records (no log leaf: only their status matters here) holding
    the status indexes |idxs|, |revoked| among them revoked."""
    rows = []
    for k, idx in enumerate(idxs):
        rows.append((k.to_bytes(16, "big"), "sha256$fake", "fake", 1, "pass", "00", 0,
                     10_000_000 + k, idx, b"\xd2", 0))
    n.db_write("INSERT INTO records (cti, subject, definition_id, definition_version,"
               " achieved_level, kid, iat, log_index, status_idx, cose, created_ms)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?)", many=rows)
    n.db_write("INSERT INTO status_entries (idx, record_id, state, reason, changed_ms)"
               " SELECT status_idx, id, CASE WHEN status_idx = ? THEN 1 ELSE 0 END, '', 0"
               " FROM records WHERE definition_id = 'fake'", (revoked,))


with Node() as n:
    admin = n.init()
    n.start()
    n.stop()
    rng = random.Random(7)
    half = rng.sample(range(MIN), MIN // 2)
    revoked = half[0]
    fill(n, half, revoked)
    n.start()
    with h2_client() as c:
        entries, bits = token(c, n)
        check(entries == MIN and state(bits, revoked) == 1,
              "a list exactly half assigned keeps its 131,072 entries; the revoked one reads 1")
        rec = issue(n, admin)
        entries, bits = token(c, n)
        check(entries == 2 * MIN, "the next record doubles the list to 262,144 entries")
        check(state(bits, revoked) == 1 and all(state(bits, i) == 0 for i in half[1:50]),
              "every earlier status is kept at its index")
        check(rec["status_index"] not in set(half) and state(bits, rec["status_index"]) == 0,
              "the new record has a fresh index, valid")
    n.stop()
    n.start()
    with h2_client() as c:
        entries, bits = token(c, n)
        check(entries == 2 * MIN and state(bits, revoked) == 1,
              "a restarted node sizes its list from what is stored (262,144)")

with Node() as n:
    admin = n.init()
    n.start()
    n.stop()
    fill(n, [200_000], 200_000)
    n.start()
    with h2_client() as c:
        entries, bits = token(c, n)
        check(entries == 2 * MIN and state(bits, 200_000) == 1,
              "a stored index beyond 131,072 loads (list of 262,144) instead of stopping the node")
print("all passed")
