"""storm.py - a storm of acknowledged writes for the integration tests of
group commit (test_group_commit, test_group_turns): writers, each on an
HTTP/2 connection of its own, create users as fast as the node acknowledges
them, until the node is SIGKILLed; what was acknowledged is kept, to be
looked for after the restart. Every wait is bounded."""
import threading
import time

from accordtest import h2_client


class UserStorm:
    """|writers| writers creating users named |tag|<writer>x<n> with |token|
    (an admin's). With |keyed|, every other write carries an
    Idempotency-Key. httpx's HTTP/2 client is not safe to share between
    threads (its stream table changes under a reader), hence one each."""

    def __init__(self, url, token, tag, writers, keyed=False):
        self.url, self.token, self.tag, self.keyed = url, token, tag, keyed
        self.acked = []   # (name, key or None, body of the answer)
        self.errors = []  # failures before the kill
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.killed = threading.Event()
        self.clients = [h2_client() for _ in range(writers)]
        self.threads = [threading.Thread(target=self.writer, args=(c,))
                        for c in range(writers)]

    def writer(self, c):
        i = 0
        while not self.stop.is_set():
            name = "%s%dx%d" % (self.tag, c, i)
            headers = {"authorization": "Bearer " + self.token,
                       "content-type": "application/json"}
            key = None
            if self.keyed and i % 2 == 0:
                key = "k-" + name
                headers["idempotency-key"] = key
            try:
                r = self.clients[c].post(
                    self.url + "/v1/users", headers=headers,
                    content=b'{"name":"%s","roles":["earner"]}' % name.encode())
            except Exception as e:
                # After the kill the node died mid-request: this write was
                # never acknowledged. Before it, the failure is the test's.
                if not self.killed.is_set():
                    with self.lock:
                        self.errors.append(repr(e))
                return
            with self.lock:
                if r.status_code == 201:
                    self.acked.append((name, key, r.content))
                elif not self.killed.is_set():
                    self.errors.append("%s: %d %s" % (name, r.status_code, r.text[:200]))
            i += 1

    def names(self):
        with self.lock:
            return [a[0] for a in self.acked]

    def start(self):
        for t in self.threads:
            t.start()

    def wait_acked(self, count, timeout=300):
        # How fast the writes come depends on the machine (fsync, ASan, other
        # tests under ctest -j): wait for the count, with a bound only a
        # stuck node reaches.
        deadline = time.monotonic() + timeout
        while (len(self.acked) < count and time.monotonic() < deadline
               and all(t.is_alive() for t in self.threads)):
            time.sleep(0.01)

    def end(self, node):
        """SIGKILLs |node| with every writer mid-stream, then stops them."""
        self.killed.set()
        node.kill()
        self.stop.set()
        for t in self.threads:
            t.join()
        for c in self.clients:
            c.close()
