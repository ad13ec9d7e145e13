"""test_reads_during_writes - with durability = async a write's answer waits
for the storage thread's fsync while reads go on being served: the fsync is
made slow (ACCORD_TEST_FSYNC_DELAY_MS, test builds only), a writer creates
users one after another, and a reader keeps asking for GET /v1/node and
/metrics. Answers to writes are seen held, reads are answered while they are,
and every write is there at the end. With durability = inline the same load
holds nothing and makes no fsync on a storage thread."""
import os
import threading

from accordtest import Node, check, h2_client, metric, skip_unless_built, sqlite_only

skip_unless_built()
# The storage thread that holds answers for the fsync is SQLite's: on
# PostgreSQL the server commits and no such thread runs.
sqlite_only("test_reads_during_writes", "the storage thread's fsync")

WRITES = 6


def run(mode, delay_ms):
    if delay_ms:
        os.environ["ACCORD_TEST_FSYNC_DELAY_MS"] = str(delay_ms)
    else:
        os.environ.pop("ACCORD_TEST_FSYNC_DELAY_MS", None)
    stats = {"reads": 0, "reads_while_held": 0, "max_held": 0, "errors": []}
    done = threading.Event()
    with Node(durability=mode) as n:
        admin = n.init()
        n.start()
        auth = {"authorization": "Bearer " + admin}

        def writer():
            headers = dict(auth, **{"content-type": "application/json"})
            with h2_client() as c:
                for i in range(WRITES):
                    r = c.post(n.url + "/v1/users", headers=headers,
                               content=b'{"name":"w%d","roles":["earner"]}' % i)
                    if r.status_code != 201:
                        stats["errors"].append("write %d: %d" % (i, r.status_code))
            done.set()

        def reader():
            with h2_client() as c:
                held = 0
                while not done.is_set():
                    r = c.get(n.url + "/metrics", headers=auth)
                    if r.status_code != 200:
                        stats["errors"].append("metrics: %d" % r.status_code)
                        return
                    held = metric(r.text, "accord_http_answers_held")
                    stats["max_held"] = max(stats["max_held"], held)
                    r = c.get(n.url + "/v1/node")
                    if r.status_code != 200:
                        stats["errors"].append("read: %d" % r.status_code)
                        return
                    stats["reads"] += 1
                    if held > 0:
                        stats["reads_while_held"] += 1

        threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(not stats["errors"], "%s: every request was answered (%s)"
              % (mode, stats["errors"][:3]))
        with h2_client() as c:
            m = c.get(n.url + "/metrics", headers=auth).text
            users = c.get(n.url + "/v1/users", headers=auth).json()["items"]
        names = {u["name"] for u in users}
        check(all("w%d" % i in names for i in range(WRITES)),
              "%s: every acknowledged write is stored" % mode)
        commits = metric(m, "accord_store_commits_total")
        durable = metric(m, "accord_store_durable_commits")
        fsyncs = metric(m, "accord_store_fsyncs_total")
        check(commits >= WRITES and durable == commits,
              "%s: every commit is durable once answered (%d of %d)" % (mode, durable, commits))
        if mode == "async":
            check(stats["max_held"] >= 1, "async: answers to writes were held for the fsync")
            # Each held write waits at least one slow fsync, during which the
            # reader makes many cheap requests; 20 over six writes is far
            # below what even a loaded machine manages.
            check(stats["reads_while_held"] >= 20,
                  "async: reads were answered while writes waited on the disk (%d)"
                  % stats["reads_while_held"])
            check(1 <= fsyncs <= commits,
                  "async: the storage thread made %d fsyncs for %d commits" % (fsyncs, commits))
        else:
            check(stats["max_held"] == 0 and fsyncs == 0,
                  "inline: nothing is held and the storage thread is not running")
        check(n.stop() == 0, "%s: the node stops cleanly" % mode)


run("async", 300)
run("inline", 0)
