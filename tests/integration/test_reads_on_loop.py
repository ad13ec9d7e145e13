"""test_reads_on_loop - a record read the record cache misses is answered on
the event loop when every page it needs is in the kernel's page cache, and
handed to a reader thread when one is not: the loop reads through
preadv2(RWF_NOWAIT), which refuses instead of waiting for the disk
(docs/record-reads.md, "Cold reads on the loop"). Which path served each read
is read from /metrics (accord_reads_on_loop_total,
accord_reads_handed_off_total); the answers are checked against the record's
bytes read from the database file by this test, before the test drops the
file's pages from the page cache (fsync, then posix_fadvise DONTNEED).

SQLite only: on PostgreSQL the reader threads keep every record read. On a
file system that does not take RWF_NOWAIT reads the node says so in its log
and every read goes to a reader thread: then that is what is checked."""
import os
import re

from accordtest import Node, check, h2_client, skip, skip_unless_built, on_postgresql

skip_unless_built()
if on_postgresql():
    skip("reads on the loop are SQLite's (the reader threads keep PostgreSQL's)")

TOKEN = {}


def issue(n, token, subject):
    r = n.ctl("credential", "issue", "--email", subject, "--definition", "phonics-k2",
              "--version", "3", "--content-hash", "ab" * 32, "--level", "proficient",
              token=token, json_out=True)
    assert r.returncode == 0, r.stderr
    return r.json["id"]


def get(c, n, path):
    return c.get(n.url + path, headers={"authorization": "Bearer " + TOKEN["admin"]})


def counters(c, n):
    text = get(c, n, "/metrics").text
    found = {}
    for name in ("accord_reads_on_loop_total", "accord_reads_handed_off_total"):
        m = re.search(r"^%s (\d+)$" % name, text, re.M)
        assert m, "/metrics has no %s:\n%s" % (name, text)
        found[name] = int(m.group(1))
    return found["accord_reads_on_loop_total"], found["accord_reads_handed_off_total"]


def evict(n):
    """Drops the database's and the WAL's pages from the page cache: written
    to disk first (fsync: a dirty page cannot be dropped), then DONTNEED."""
    for name in ("accord.db", "accord.db-wal"):
        path = os.path.join(n.data_dir, name)
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def stored(n, rid):
    rows = n.db_rows("SELECT cose FROM records WHERE id = ?", (rid,))
    assert rows, "record %d is in the database" % rid
    return bytes(rows[0][0])


def test_reads_follow_the_page_cache(n, c, ids):
    a, b, d = ids
    want = {rid: stored(n, rid) for rid in ids}
    loop0, off0 = counters(c, n)
    evict(n)
    first = get(c, n, "/v1/credentials/%d" % a)
    check(first.status_code == 200 and first.content == want[a],
          "a read whose pages were dropped answers the record's stored bytes")
    loop1, off1 = counters(c, n)
    check(off1 == off0 + 1 and loop1 == loop0,
          "it was handed to a reader thread (the loop's read was refused, not waited for)")
    # The reader thread's read brought the records' pages back: the next
    # read of another record finds them in memory.
    second = get(c, n, "/v1/credentials/%d" % b)
    check(second.status_code == 200 and second.content == want[b],
          "a read whose pages are in memory answers the record's stored bytes")
    check(second.headers["etag"] != first.headers["etag"], "each record keeps its own ETag")
    loop2, off2 = counters(c, n)
    check(loop2 == loop1 + 1 and off2 == off1, "it was answered on the loop")
    summary = get(c, n, "/v1/credentials/%d?format=json" % d)
    check(summary.status_code == 200 and summary.json()["id"] == d and
          summary.json()["status"] == "valid", "the JSON summary is answered on the loop too")
    missing = get(c, n, "/v1/credentials/999999")
    check(missing.status_code == 404 and
          missing.headers["content-type"] == "application/problem+json",
          "an unknown id is 404 problem+json from the loop")
    loop3, off3 = counters(c, n)
    check(loop3 == loop2 + 2 and off3 == off2, "both were answered on the loop")
    # The first read filled the record cache: its next read is a cache hit,
    # neither path.
    again = get(c, n, "/v1/credentials/%d" % a)
    check(again.content == want[a] and counters(c, n) == (loop3, off3),
          "a record cache hit counts on neither path")


def test_without_nowait_reads_every_read_goes_to_a_reader_thread(n, c, ids):
    want = {rid: stored(n, rid) for rid in ids}
    for rid in ids:
        r = get(c, n, "/v1/credentials/%d" % rid)
        check(r.status_code == 200 and r.content == want[rid],
              "record %d reads its stored bytes through a reader thread" % rid)
    check(counters(c, n) == (0, 0), "no read was tried on the loop")


def main():
    with Node() as n:
        TOKEN["admin"] = n.init()
        n.start()
        ids = [issue(n, TOKEN["admin"], "loop%d@district.example" % i) for i in (1, 2, 3)]
        log = n.read_stderr()
        with h2_client() as c:
            if "RWF_NOWAIT" in log:
                print("# the data directory's file system takes no RWF_NOWAIT reads")
                test_without_nowait_reads_every_read_goes_to_a_reader_thread(n, c, ids)
            else:
                print("# test_reads_follow_the_page_cache")
                test_reads_follow_the_page_cache(n, c, ids)
    print("all passed")


if __name__ == "__main__":
    main()
