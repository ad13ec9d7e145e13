"""test_durability - kill -9 during a stream of writes loses no acknowledged
write: two writers create users as fast as the node acknowledges them, the
node is SIGKILLed mid-stream, restarted, and every acknowledged user is there.
Run once with commits made durable on the storage thread (durability = async,
the default: answers wait for the group fsync) and once inline."""
import threading
import time

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()

acked = []
errors = []   # failures before the kill: a write the node should have answered
lock = threading.Lock()
stop = threading.Event()
killed = threading.Event()


def writer(url, token, prefix):
    headers = {"authorization": "Bearer " + token, "content-type": "application/json"}
    i = 0
    with h2_client() as c:
        while not stop.is_set():
            name = "%s%d" % (prefix, i)
            try:
                r = c.post(url + "/v1/users", headers=headers,
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            except Exception as e:
                # After the kill the node died mid-request: this write was
                # never acknowledged. Before it, the failure is the test's.
                if not killed.is_set():
                    with lock:
                        errors.append(repr(e))
                return
            if r.status_code == 201:
                with lock:
                    acked.append(name)
            i += 1



def run(mode):
    del acked[:]
    del errors[:]
    stop.clear()
    killed.clear()
    with Node(durability=mode) as n:
        admin = n.init()
        n.start()
        threads = [threading.Thread(target=writer, args=(n.url, admin, p)) for p in ("a", "b")]
        for t in threads:
            t.start()
        # How fast the writes come depends on the machine (fsync, ASan, other
        # tests under ctest -j): wait for the count, with a bound only a stuck
        # node reaches, rather than for a time that assumed a fast machine.
        deadline = time.monotonic() + 300
        while (len(acked) < 200 and time.monotonic() < deadline
               and all(t.is_alive() for t in threads)):
            time.sleep(0.01)
        killed.set()
        n.kill()  # SIGKILL while both writers are mid-stream
        stop.set()
        for t in threads:
            t.join()
        check(not errors, "no write failed before the kill (%s)" % errors[:2])
        check(len(acked) >= 200,
              "%s: the node acknowledged %d writes before SIGKILL" % (mode, len(acked)))

        n.start()
        r = n.ctl("user", "list", token=admin, json_out=True)
        present = {u["name"] for u in r.json["items"]}
        missing = [a for a in acked if a not in present]
        check(r.returncode == 0 and not missing,
              "%s: every acknowledged write is present after restart (missing: %s)"
              % (mode, missing[:5]))
        check(n.stop() == 0, "the restarted node stops cleanly")


for mode in ("async", "inline"):
    run(mode)
