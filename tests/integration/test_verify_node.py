"""test_verify_node - accord-verify against a real accord-node: bundles that
accordctl exported verify offline with the node's JWKS as the trust file; a
flipped bit, a wrong key, revocation and suspension (seen with --fetch), a
retired key with and without a log proof, a forked log history caught by the
witness state, and an unreachable status list each get their verdict, exit
code and reason. The forked checkpoint is built here from RFC 9162 (hashlib)
and c2sp.org/signed-note (PyNaCl), signed with the node's own key file."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile

from accordtest import BUILD, Node, check, h2_client, skip, skip_unless_built

skip_unless_built()
try:
    import cbor2
    import nacl.signing
except ImportError:
    skip("python3-cbor2 and python3-nacl are needed (tools/setup.sh)")

VERIFY = os.path.join(BUILD, "tools", "accord-verify")
if not os.access(VERIFY, os.X_OK):
    skip(VERIFY + " is not built")

# Exit codes documented in docs/records.md.
VALID, INVALID, INDETERMINATE = 0, 1, 2


class Ctx:
    """What the cases share: the node, an admin token, an HTTP/2 client and
    a scratch directory."""

    def __init__(self, n, admin, c, tmp):
        self.n, self.admin, self.c, self.tmp = n, admin, c, tmp
        self.count = 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def issue(self):
        self.count += 1
        r = self.n.ctl("credential", "issue", "--email", "earner%d@district.example" % self.count,
                       "--definition", "phonics-k2", "--version", "3", "--content-hash",
                       "ab" * 32, "--level", "proficient", token=self.admin, json_out=True)
        assert r.returncode == 0, r.stderr
        return r.json

    def export(self, rec, tag=""):
        """Exports |rec| into its own directory; returns (bundle, cose) paths."""
        d = self.path("export-%d%s" % (rec["id"], tag))
        os.makedirs(d)
        r = self.n.ctl("credential", "export", str(rec["id"]), "--out", d, token=self.admin)
        assert r.returncode == 0, r.stderr
        base = os.path.join(d, "credential-%d" % rec["id"])
        return base + ".bundle.cbor", base + ".cose"

    def jwks(self):
        return json.loads(self.c.get(self.n.url + "/.well-known/jwks.json").text)["keys"]

    def trust(self, name, keys=None):
        """A trust file naming the node as issuer with |keys| (default: the
        JWKS it serves now, exactly as served)."""
        with open(self.path(name), "w") as f:
            json.dump({"issuers": [{"iss": self.n.url,
                                    "keys": self.jwks() if keys is None else keys}]}, f)
        return self.path(name)

    def change(self, rec, verb, reason):
        r = self.n.ctl("credential", verb, str(rec["id"]), "--reason", reason, token=self.admin)
        assert r.returncode == 0, r.stderr


def expect(cond, what, r=None):
    """check(), with accord-verify's output added only when it fails."""
    check(cond, what if cond or r is None else what + "\n" + r.stdout + r.stderr)


# The node's status token asks for a refresh after 60 s (its ttl). Offline
# checks that expect "valid" accept a snapshot up to an hour old, so that they
# do not depend on how fast this machine runs; the ttl itself is tested with
# the verifier's clock moved on (verify_later).
FRESH_ENOUGH = ("--max-status-age", "3600")


def verify(*args, later_s=0):
    """Runs accord-verify --json on one input, |later_s| seconds in the
    future (libfaketime) when not 0; returns (exit code, {check: (result,
    reason)}, verdict)."""
    cmd, env = [VERIFY, "--json", *args], None
    if later_s:
        # libfaketime is preloaded before the sanitizer runtime of an ASan
        # build, which ASan would otherwise refuse.
        cmd = ["faketime", "-f", "+%d" % later_s] + cmd
        env = dict(os.environ, ASAN_OPTIONS="verify_asan_link_order=0")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    out = json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else {}
    checks = {c["check"]: (c["result"], c["reason"]) for c in out.get("checks", [])}
    return r.returncode, checks, out.get("verdict"), r


# ---- RFC 9162 §2.1 and c2sp.org/signed-note, written from the specs --------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes):
    """RFC 9162 §2.1.1 over leaf hashes."""
    if len(hashes) == 1:
        return hashes[0]
    k = split(len(hashes))
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def path(m, hashes):
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) over leaf hashes."""
    if len(hashes) == 1:
        return []
    k = split(len(hashes))
    if m < k:
        return path(m, hashes[:k]) + [mth(hashes[k:])]
    return path(m - k, hashes[k:]) + [mth(hashes[:k])]


def signed_checkpoint(origin, size, root, seed):
    """A tlog-checkpoint signed as a C2SP signed note: key id is the first 4
    bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    key = nacl.signing.SigningKey(seed)
    text = "%s\n%d\n%s\n" % (origin, size, base64.b64encode(root).decode())
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + bytes(key.verify_key)).digest()[:4]
    sig = key.sign(text.encode()).signature
    return text + "\n\u2014 %s %s\n" % (origin, base64.b64encode(key_id + sig).decode())


def current_seed(ctx):
    """The seed of the node's current key, from its key file (core/keyring.c:
    "seed <64 hex>" in keys/<kid>.key)."""
    kid = [k for k in ctx.jwks() if "valid_until" not in k][0]["kid"]
    with open(os.path.join(ctx.n.data_dir, "keys", kid + ".key")) as f:
        for line in f:
            if line.startswith("seed "):
                return bytes.fromhex(line.split()[1])
    raise AssertionError("no seed in the key file")


def log_leaf_hashes(ctx, size):
    hashes = []
    for start in range(0, size, 100):
        e = ctx.c.get(ctx.n.url + "/v1/log/entries?start=%d&end=%d"
                      % (start, min(size, start + 100))).json()
        hashes += [base64.b64decode(x["leaf_hash"]) for x in e["entries"]]
    return hashes


def forged_bundle(ctx, bundle_path, out_name):
    """The same record and status in a log of the same size whose other
    leaves differ: a second history, signed with the node's key."""
    with open(bundle_path, "rb") as f:
        b = cbor2.loads(f.read())
    size, index = b["log"]["size"], b["log"]["index"]
    assert size >= 2, "a fork needs another leaf"
    hashes = log_leaf_hashes(ctx, size)
    other = 0 if index != 0 else 1
    hashes[other] = leaf_hash(b"a record the node never issued")
    origin = b["checkpoint"].split("\n")[0]
    b["checkpoint"] = signed_checkpoint(origin, size, mth(hashes), current_seed(ctx))
    b["log"]["proof"] = path(index, hashes)
    with open(ctx.path(out_name), "wb") as f:
        f.write(cbor2.dumps(b, canonical=True))
    return ctx.path(out_name)


# ---- The cases --------------------------------------------------------------

def test_an_exported_bundle_verifies_offline_with_the_nodes_jwks(ctx):
    rec = ctx.issue()
    bundle, _ = ctx.export(rec)
    code, checks, verdict, r = verify("--trust", ctx.trust("trust.json"), *FRESH_ENOUGH, bundle)
    expect(code == VALID and verdict == "valid", "the exported bundle is valid offline", r)
    expect(checks["log"][0] == "pass" and "current" in checks["log"][1],
          "its log proof passes at a checkpoint the current key signed")
    expect(checks["status"][0] == "pass" and "bundle's snapshot" in checks["status"][1],
          "its status comes from the bundle's snapshot, and says so")


def test_a_flipped_bit_anywhere_in_the_bundle_makes_it_invalid(ctx):
    rec = ctx.issue()
    bundle, _ = ctx.export(rec)
    with open(bundle, "rb") as f:
        data = f.read()
    lines = []
    for i in range(len(data) * 8):
        d = bytearray(data)
        d[i // 8] ^= 1 << (i % 8)
        lines.append(base64.urlsafe_b64encode(bytes(d)).decode().rstrip("="))
    with open(ctx.path("flips.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run([VERIFY, "--json", "--trust", ctx.trust("trust.json"),
                        ctx.path("flips.txt")], capture_output=True, text=True, timeout=300)
    verdicts = [json.loads(line)["verdict"] for line in r.stdout.splitlines()]
    expect(r.returncode == INVALID and len(verdicts) == len(lines),
          "%d flipped variants give exit 1" % len(lines))
    expect(all(v == "invalid" for v in verdicts), "every flipped variant is invalid")


def test_a_key_the_node_does_not_hold_makes_the_bundle_invalid(ctx):
    rec = ctx.issue()
    bundle, cose = ctx.export(rec)
    other = bytes(nacl.signing.SigningKey(bytes(32)).verify_key)
    x = base64.urlsafe_b64encode(other).decode().rstrip("=")
    trust = ctx.trust("wrong.json", [{"kty": "OKP", "crv": "Ed25519", "x": x}])
    code, checks, _, r = verify("--trust", trust, bundle)
    expect(code == INVALID and "unknown key" in checks["issuer"][1],
          "a trust file with another key: invalid, unknown key", r)
    code, checks, _, r = verify("--key", other.hex(), cose)
    expect(code == INVALID and "is not the pinned key's id" in checks["issuer"][1],
          "another pinned key: invalid, not the pinned key", r)


def test_revoked_is_seen_with_fetch_while_the_old_snapshot_says_valid(ctx):
    rec = ctx.issue()
    bundle, cose = ctx.export(rec)
    trust = ctx.trust("trust.json")
    ctx.change(rec, "revoke", "plagiarised evidence")
    code, checks, _, _ = verify("--trust", trust, *FRESH_ENOUGH, bundle)
    expect(code == VALID and "as of" in checks["status"][1],
          "offline, inside --max-status-age, the bundle's earlier snapshot still says valid, "
          "dated")
    code, checks, verdict, r = verify("--trust", trust, "--fetch", bundle)
    expect(code == INVALID and verdict == "invalid" and "REVOKED" in checks["status"][1],
          "with --fetch the bundle is invalid and the reason says REVOKED", r)
    code, checks, _, r = verify("--trust", trust, "--fetch", cose)
    expect(code == INVALID and "REVOKED" in checks["status"][1],
          "the bare record with --fetch is REVOKED too")


def test_suspended_then_reinstated_is_valid_again_with_fetch(ctx):
    rec = ctx.issue()
    _, cose = ctx.export(rec)
    trust = ctx.trust("trust.json")
    ctx.change(rec, "suspend", "under review")
    code, checks, _, r = verify("--trust", trust, "--fetch", cose)
    expect(code == INVALID and "SUSPENDED" in checks["status"][1],
          "suspended: invalid with --fetch, reason SUSPENDED", r)
    ctx.change(rec, "reinstate", "cleared")
    code, checks, verdict, r = verify("--trust", trust, "--fetch", cose)
    expect(code == VALID and verdict == "valid" and "fetched now" in checks["status"][1],
          "reinstated: valid with --fetch, status fetched now", r)
    expect(checks["log-fetch"][0] == "pass" and "holds the record" in checks["log-fetch"][1],
          "--fetch also proved the record is in the node's log")


def test_a_forked_checkpoint_is_a_log_fork_against_the_witness_state(ctx):
    rec = ctx.issue()
    bundle, cose = ctx.export(rec)
    trust = ctx.trust("trust.json")
    forged = forged_bundle(ctx, bundle, "forged.cbor")
    code, _, _, r = verify("--trust", trust, *FRESH_ENOUGH, "--witness-state",
                           ctx.path("w-fresh.json"), forged)
    expect(code == VALID, "alone, the forged bundle verifies: a fork needs a witness to see it")

    state = ctx.path("witness.json")
    code, checks, _, r = verify("--trust", trust, *FRESH_ENOUGH, "--witness-state", state,
                                bundle)
    expect(code == VALID and "first checkpoint seen" in checks["history"][1],
          "the real bundle is valid and its checkpoint is remembered", r)
    with open(state, "rb") as f:
        before = f.read()
    code, checks, verdict, r = verify("--trust", trust, "--witness-state", state, forged)
    expect(code == INVALID and verdict == "invalid", "the forged bundle is then invalid")
    expect(checks["history"][0] == "fail" and "log fork" in checks["history"][1],
          "offline, same size and another root: the reason says log fork: "
          + checks["history"][1])
    with open(state, "rb") as f:
        expect(f.read() == before, "the witness state is not updated by the fork")

    # Online: the witness remembers the forged checkpoint; the node's log
    # grows; its consistency proof cannot join the forged root.
    ctx.issue()
    fstate = ctx.path("w-forged.json")
    os.replace(ctx.path("w-fresh.json"), fstate)
    with open(fstate, "rb") as f:
        before = f.read()
    code, checks, _, r = verify("--trust", trust, "--fetch", "--witness-state", fstate, cose)
    expect(code == INVALID and "log fork" in checks["history"][1]
          and "consistency proof fails" in checks["history"][1],
          "with --fetch, a larger checkpoint that does not extend the remembered one is a "
          "log fork", r)
    with open(fstate, "rb") as f:
        expect(f.read() == before, "the witness state is not updated by the fork")
    code, checks, _, r = verify("--trust", trust, "--fetch", "--witness-state", state, cose)
    expect(code == VALID and "moves on" in checks["history"][1],
          "the real history's state accepts the node's larger checkpoint", r)


def test_a_retired_key_needs_a_log_proof_at_a_current_checkpoint(ctx):
    rec = ctx.issue()
    old_bundle, cose = ctx.export(rec, "-before")
    r = ctx.n.ctl("key", "rotate", token=ctx.admin)
    assert r.returncode == 0, r.stderr
    trust = ctx.trust("rotated.json")
    # --skip-status: only the key decides here.
    code, checks, verdict, r = verify("--trust", trust, "--skip-status", cose)
    expect(code == INDETERMINATE and verdict == "indeterminate"
          and "without a log inclusion proof" in checks["key-window"][1],
          "the record alone, signed by a retired key: indeterminate, no log proof", r)
    code, checks, _, r = verify("--trust", trust, old_bundle)
    expect(code == INDETERMINATE and "signed by a retired key too" in checks["key-window"][1],
          "a bundle whose checkpoint the retired key signed: indeterminate")
    bundle, _ = ctx.export(rec, "-after")
    code, checks, _, r = verify("--trust", trust, *FRESH_ENOUGH, bundle)
    expect(code == VALID and "signed by a current key" in checks["key-window"][1],
          "re-exported after rotation, the checkpoint is the new key's: valid", r)
    code, checks, _, r = verify("--trust", trust, "--fetch", cose)
    expect(code == VALID and "signed by a current key" in checks["key-window"][1],
          "the record alone with --fetch: valid through the fetched proof")


def test_a_bundle_exported_before_revocation_is_not_valid_offline_past_its_ttl(ctx):
    rec = ctx.issue()
    bundle, _ = ctx.export(rec)
    trust = ctx.trust("trust.json")
    ctx.change(rec, "revoke", "plagiarised evidence")
    # Two minutes on, past the snapshot's 60 s ttl: its "valid" no longer counts.
    code, checks, verdict, r = verify("--trust", trust, bundle, later_s=120)
    expect(code == INDETERMINATE and verdict == "indeterminate"
          and checks["status"][0] == "indeterminate"
          and "older than its ttl of 60 s" in checks["status"][1],
          "offline past the ttl: indeterminate (exit 2), the reason names the ttl", r)
    # Two hours on, the verifier accepts up to three: valid, and says why.
    code, checks, verdict, r = verify("--trust", trust, "--max-status-age", "10800", bundle,
                                      later_s=7200)
    expect(code == VALID and checks["status"][0] == "pass"
          and "status from a snapshot 2 h old, accepted by --max-status-age" in checks["status"][1],
          "with --max-status-age 10800 the 2 h old snapshot is accepted, and the reason says so",
          r)
    code, checks, _, r = verify("--trust", trust, "--max-status-age", "3600", bundle,
                                later_s=7200)
    expect(code == INDETERMINATE and "older than --max-status-age 3600 s" in checks["status"][1],
           "with --max-status-age 3600 the 2 h old snapshot is still too old", r)
    code, checks, _, r = verify("--trust", trust, "--fetch", bundle, later_s=120)
    expect(code == INVALID and "REVOKED" in checks["status"][1],
           "--fetch still finds it revoked", r)


def test_fetch_without_trust_says_signature_valid_issuer_not_trusted(ctx):
    rec = ctx.issue()
    bundle, cose = ctx.export(rec)
    # The node serves its keys, checkpoint, proofs and status: everything a
    # verdict of valid needs, except someone's word that it may issue.
    code, checks, verdict, r = verify("--fetch", cose)
    expect(code == INDETERMINATE and verdict == "indeterminate", "--fetch alone: exit 2", r)
    expect(checks["issuer"][0] == "indeterminate" and "issuer not trusted" in checks["issuer"][1]
           and checks["signature"][0] == "pass",
           "the signature passes with the fetched key; the issuer is not trusted", r)
    expect(json.loads(r.stdout.splitlines()[-1]).get("issuer_trusted") is False,
           "JSON output says issuer_trusted: false", r)
    t = subprocess.run([VERIFY, "--fetch", cose], capture_output=True, text=True, timeout=60)
    expect(t.returncode == INDETERMINATE
           and "INDETERMINATE (signature valid, issuer not trusted)" in t.stdout,
           "the text verdict line reads: signature valid, issuer not trusted", t)
    code, checks, _, r = verify("--fetch", *FRESH_ENOUGH, bundle)
    expect(code == INDETERMINATE and "issuer not trusted" in checks["issuer"][1],
           "a bundle with --fetch alone is indeterminate too", r)


def test_a_status_list_that_cannot_be_fetched_is_indeterminate(ctx):
    rec = ctx.issue()
    bundle, cose = ctx.export(rec)
    trust = ctx.trust("trust.json")
    ctx.n.stop()
    code, checks, verdict, r = verify("--trust", trust, "--fetch", cose)
    expect(code == INDETERMINATE and verdict == "indeterminate",
          "node stopped: the record with --fetch is indeterminate (exit 2)", r)
    expect(checks["status"][0] == "indeterminate"
          and "status list could not be fetched" in checks["status"][1]
          and "cannot be ruled out" in checks["status"][1],
          "the status reason says it could not be fetched", r)
    code, checks, _, r = verify("--trust", trust, "--fetch", bundle)
    expect(code == INDETERMINATE and checks["status"][0] == "indeterminate",
          "the bundle with --fetch does not fall back to its snapshot: indeterminate")


def main():
    tests = [
        test_an_exported_bundle_verifies_offline_with_the_nodes_jwks,
        test_a_flipped_bit_anywhere_in_the_bundle_makes_it_invalid,
        test_a_key_the_node_does_not_hold_makes_the_bundle_invalid,
        test_revoked_is_seen_with_fetch_while_the_old_snapshot_says_valid,
        test_suspended_then_reinstated_is_valid_again_with_fetch,
        test_a_forked_checkpoint_is_a_log_fork_against_the_witness_state,
        test_a_retired_key_needs_a_log_proof_at_a_current_checkpoint,
        test_a_bundle_exported_before_revocation_is_not_valid_offline_past_its_ttl,
        test_fetch_without_trust_says_signature_valid_issuer_not_trusted,
        test_a_status_list_that_cannot_be_fetched_is_indeterminate,  # stops the node
    ]
    with Node() as n, tempfile.TemporaryDirectory() as tmp:
        admin = n.init()
        n.start()
        with h2_client() as c:
            ctx = Ctx(n, admin, c, tmp)
            for t in tests:
                print("# " + t.__name__)
                t(ctx)
    print("all passed")


if __name__ == "__main__":
    main()
