"""test_group_commit - write requests committed in groups on the storage
writer thread (node/http/reqtx.c, store/writer.h) lose nothing they
acknowledged: twelve writers, each on a connection of its own, create users, some with an Idempotency-Key; the node is SIGKILLed
mid-stream, restarted, and every acknowledged user is there exactly once, and
a keyed write sent again is answered from its stored answer, not applied
twice. Then an answer is never sent before its commit: each of a few writes,
made while others storm, is followed at once by SIGKILL, and is present after
the restart. Run with durability = async (the default) and inline."""
import threading
import time

from accordtest import Node, check, h2_client, skip_unless_built

skip_unless_built()

# Writers, each on its own connection: httpx's HTTP/2 client is not safe to
# share between threads (its stream table changes under a reader).
WRITERS = 12


class Storm:
    """Writers creating users as fast as the node acknowledges them."""

    def __init__(self, url, token, tag):
        self.url, self.token, self.tag = url, token, tag
        self.acked = []     # (name, key or None, body of the answer)
        self.errors = []    # failures before the kill
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.killed = threading.Event()
        self.clients = [h2_client() for _ in range(WRITERS)]
        self.threads = [threading.Thread(target=self.writer, args=(self.clients[c], c))
                        for c in range(WRITERS)]

    def writer(self, client, c):
        i = 0
        while not self.stop.is_set():
            name = "%s%dx%d" % (self.tag, c, i)
            headers = {"authorization": "Bearer " + self.token,
                       "content-type": "application/json"}
            key = None
            if i % 2 == 0:  # every other write carries a key
                key = "k-" + name
                headers["idempotency-key"] = key
            try:
                r = client.post(self.url + "/v1/users", headers=headers,
                                content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            except Exception as e:
                # After the kill the node died mid-request: this write was
                # never acknowledged. Before it, the failure is the test's.
                if not self.killed.is_set():
                    with self.lock:
                        self.errors.append(repr(e))
                return
            if r.status_code == 201:
                with self.lock:
                    self.acked.append((name, key, r.content))
            elif not self.killed.is_set():
                with self.lock:
                    self.errors.append("%s: %d %s" % (name, r.status_code, r.text[:200]))
            i += 1

    def start(self):
        for t in self.threads:
            t.start()

    def wait_acked(self, count):
        # How fast the writes come depends on the machine (fsync, ASan, other
        # tests under ctest -j): wait for the count, with a bound only a
        # stuck node reaches.
        deadline = time.monotonic() + 300
        while (len(self.acked) < count and time.monotonic() < deadline
               and all(t.is_alive() for t in self.threads)):
            time.sleep(0.01)

    def end(self, node):
        self.killed.set()
        node.kill()
        self.stop.set()
        for t in self.threads:
            t.join()
        for c in self.clients:
            c.close()


def user_names(n, admin):
    r = n.ctl("user", "list", token=admin, json_out=True)
    check(r.returncode == 0, "accordctl user list answers after the restart")
    return [u["name"] for u in r.json["items"]]


def acknowledged_writes_survive_kill(mode):
    with Node(durability=mode) as n:
        admin = n.init()
        n.start()
        storm = Storm(n.url, admin, "g")
        storm.start()
        storm.wait_acked(300)
        storm.end(n)  # SIGKILL while every writer is mid-stream
        check(not storm.errors, "%s: no write failed before the kill (%s)"
              % (mode, storm.errors[:2]))
        check(len(storm.acked) >= 300, "%s: the node acknowledged %d writes from %d writers "
              "on as many connections before SIGKILL" % (mode, len(storm.acked), WRITERS))

        n.start()
        names = user_names(n, admin)
        missing = [a[0] for a in storm.acked if a[0] not in names]
        check(not missing, "%s: every acknowledged write is present after restart (missing: %s)"
              % (mode, missing[:5]))
        check(len(names) == len(set(names)), "%s: no write is present twice" % mode)

        # A keyed write sent again gets its stored answer: the key committed
        # in the same group as the user it created.
        keyed = [a for a in storm.acked if a[1]][:5]
        with h2_client() as c:
            for name, key, body in keyed:
                r = c.post(n.url + "/v1/users",
                           headers={"authorization": "Bearer " + admin,
                                    "content-type": "application/json",
                                    "idempotency-key": key},
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
                check(r.status_code == 201 and r.headers.get("idempotent-replayed") == "true"
                      and r.content == body,
                      "%s: %s sent again with its key is answered from the stored answer"
                      % (mode, name))
        check(user_names(n, admin).count(keyed[0][0]) == 1,
              "%s: the repeats applied nothing" % mode)
        check(n.stop() == 0, "%s: the restarted node stops cleanly" % mode)


def answer_goes_after_commit(mode):
    with Node(durability=mode) as n:
        admin = n.init()
        for round_ in range(3):
            n.start()
            storm = Storm(n.url, admin, "s%d" % round_)
            storm.start()
            storm.wait_acked(20)
            with h2_client() as c:
                name = "probe%d" % round_
                r = c.post(n.url + "/v1/users",
                           headers={"authorization": "Bearer " + admin,
                                    "content-type": "application/json"},
                           content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            storm.end(n)  # at once after the answer
            check(r.status_code == 201, "%s: %s was acknowledged during a storm" % (mode, name))
            n.start()
            check(name in user_names(n, admin),
                  "%s: %s, killed right after its answer, is present after restart"
                  % (mode, name))
            n.kill()


for mode in ("async", "inline"):
    acknowledged_writes_survive_kill(mode)
    answer_goes_after_commit(mode)
