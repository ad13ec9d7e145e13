"""test_tlog_subtrees - the transparency log keeps the hashes of its complete
subtrees, so proofs cost O(log n) reads: every inclusion and consistency proof
of a 37-record log verifies with hashlib (RFC 9162 recomputed here, not the
node's code); the subtree rows are exactly those RFC 9162's tree has; and a log
from before they were stored (rows deleted while the node is down) is filled
in at start, after which every proof still verifies."""
import base64
import hashlib

from accordtest import Node, check, h2_client, skip_unless_built
from test_records import issue, leaf_hash, mth, node_hash, verify_consistency

skip_unless_built()

N = 37


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def subtree_rows(n):
    return n.db_rows("SELECT level, idx, hash FROM log_subtrees ORDER BY level, idx")


def expected_rows(leaves):
    rows = []
    level = 1
    while (1 << level) <= len(leaves):
        size = 1 << level
        for idx in range(len(leaves) // size):
            rows.append((level, idx, mth(leaves[idx * size:(idx + 1) * size])))
        level += 1
    return rows


def check_every_proof(c, n, leaves, label):
    size = len(leaves)
    roots = [mth(leaves[:k]) for k in range(size + 1)]
    for i in range(size):
        p = c.get(n.url + "/v1/log/inclusion?index=%d&size=%d" % (i, size)).json()
        proof = [base64.b64decode(h) for h in p["hashes"]]
        if not verify_inclusion(i, size, leaf_hash(leaves[i]), proof, roots[size]):
            check(False, "%s: inclusion proof of leaf %d in %d verifies" % (label, i, size))
    for old in range(0, size + 1, 3):
        p = c.get(n.url + "/v1/log/consistency?from=%d&to=%d" % (old, size)).json()
        proof = [base64.b64decode(h) for h in p["hashes"]]
        if not verify_consistency(old, size, proof, roots[old], roots[size]):
            check(False, "%s: consistency %d -> %d verifies" % (label, old, size))
    check(True, "%s: all %d inclusion proofs and every third consistency proof verify"
          % (label, size))


def main():
    with Node() as n:
        admin = n.init()
        n.start()
        with h2_client() as c:
            leaves = []
            for _ in range(N):
                rec = issue(n, admin)
                leaves.append(c.get(n.url + "/v1/credentials/%d" % rec["id"],
                                    headers={"authorization": "Bearer " + admin}).content)
            check_every_proof(c, n, leaves, "with stored subtrees")
        rows = subtree_rows(n)
        want = expected_rows(leaves)
        check(len(want) == N - bin(N).count("1"), "a log of n leaves has n - popcount(n) subtrees")
        check([(l, i, bytes(h)) for l, i, h in rows] == want,
              "the stored subtrees are exactly RFC 9162's, hash for hash")

        n.stop()
        n.db_write("DELETE FROM log_subtrees")
        n.start()
        rows = subtree_rows(n)
        check([(l, i, bytes(h)) for l, i, h in rows] == want,
              "a log without stored subtrees has them filled in at start")
        with h2_client() as c:
            check_every_proof(c, n, leaves, "after the fill")
            rec = issue(n, admin)
            leaves.append(c.get(n.url + "/v1/credentials/%d" % rec["id"],
                                    headers={"authorization": "Bearer " + admin}).content)
            check_every_proof(c, n, leaves, "after one more record")
        check(len(subtree_rows(n)) == len(expected_rows(leaves)),
              "the next record adds the subtrees it completes")
    print("all passed")


if __name__ == "__main__":
    main()
