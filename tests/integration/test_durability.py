"""test_durability - kill -9 during a stream of writes loses no acknowledged
write: two writers create users as fast as the node acknowledges them, the
node is SIGKILLed mid-stream, restarted, and every acknowledged user is there."""
import threading
import time

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()

acked = []
lock = threading.Lock()
stop = threading.Event()


def writer(url, token, prefix):
    headers = {"authorization": "Bearer " + token, "content-type": "application/json"}
    i = 0
    with h2_client() as c:
        while not stop.is_set():
            name = "%s%d" % (prefix, i)
            try:
                r = c.post(url + "/v1/users", headers=headers,
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            except Exception:
                return  # the node died mid-request: this write was never acknowledged
            if r.status_code == 201:
                with lock:
                    acked.append(name)
            i += 1


with Node() as n:
    admin = n.init()
    n.start()
    threads = [threading.Thread(target=writer, args=(n.url, admin, p)) for p in ("a", "b")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    n.kill()  # SIGKILL while both writers are mid-stream
    stop.set()
    for t in threads:
        t.join()
    check(len(acked) >= 200, "the node acknowledged %d writes before SIGKILL" % len(acked))

    n.start()
    r = n.ctl("user", "list", token=admin, json_out=True)
    present = {u["name"] for u in r.json["items"]}
    missing = [a for a in acked if a not in present]
    check(r.returncode == 0 and not missing,
          "every acknowledged write is present after restart (missing: %s)" % missing[:5])
    check(n.stop() == 0, "the restarted node stops cleanly")
