"""h2attack - hostile and well-behaved HTTP/2 peers for the attack tests
(tests/integration/test_attack_*.py) and tests/bench/bench_attack.py, built
on python3-h2 over plain loopback sockets, plus the node's resident memory
read from /proc/PID/status.

Every attacker is bounded: a fixed number of connections and streams, and
every wait has a deadline. Nothing here asserts a time.
"""
import os
import socket
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


def keep_rss_meaningful_under_asan():
    """Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
    default) and counts in RSS, so every read buffer the node ever freed
    would look held. A 1 MiB quarantine keeps RSS a measure of what is held.
    Call before starting the node; no effect on a build without ASan."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=1"


def rss_kib(pid):
    """The VmRSS of process |pid| in KiB, or 0 once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssWatch:
    """Samples a process's RSS every 20 ms in a thread; .peak in KiB."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = rss_kib(pid)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_kib(self.pid))

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def _connect(port, source=None, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        s.bind((source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def _headers(method, path, extra=()):
    return [(":method", method), (":scheme", "http"), (":authority", "127.0.0.1"),
            (":path", path)] + list(extra)


class Peer:
    """One raw HTTP/2 client connection."""

    def __init__(self, port, source=None, window=None, rcvbuf=None):
        self.sock = _connect(port, source, rcvbuf)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=cfg)
        if window is not None:
            self.h2.local_settings = h2.settings.Settings(
                client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.h2.initiate_connection()
        self.flush()
        self.closed = False
        self.goaway = None  # error code of a GOAWAY received

    def flush(self):
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def ping(self):
        try:
            self.h2.ping(b"keepwarm")
            self.flush()
        except (OSError, h2.exceptions.ProtocolError):
            self.closed = True

    def request(self, method, path, extra=(), end_stream=True):
        sid = self.h2.get_next_available_stream_id()
        self.h2.send_headers(sid, _headers(method, path, extra), end_stream=end_stream)
        self.flush()
        return sid

    def poll_closed(self):
        """Reads what is there without waiting; True once the server hung up.
        Events are fed to h2 so a GOAWAY is seen; bodies are not consumed
        (no window is ever opened by reading)."""
        if self.closed:
            return True
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    self.closed = True
                    break
                try:
                    for ev in self.h2.receive_data(data):
                        if isinstance(ev, h2.events.ConnectionTerminated):
                            self.goaway = ev.error_code
                except h2.exceptions.ProtocolError:
                    pass
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True
        finally:
            if not self.closed:
                self.sock.setblocking(True)
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def get(port, path, source=None, headers=(), timeout=10.0):
    """One well-behaved GET on a new connection: (status, body bytes), or
    (None, reason) when the connection is refused, reset or too slow."""
    try:
        p = Peer(port, source=source)
    except OSError as e:
        return None, str(e)
    try:
        return Session(p).get(path, headers, timeout)
    finally:
        p.close()


class Session:
    """A well-behaved client on one connection: reads everything, opens windows."""

    def __init__(self, peer):
        self.p = peer

    def get(self, path, headers=(), timeout=10.0, method="GET"):
        p = self.p
        try:
            sid = p.request(method, path, headers)
        except (OSError, h2.exceptions.ProtocolError) as e:
            return None, str(e)
        status, body = None, bytearray()
        deadline = time.monotonic() + timeout
        p.sock.settimeout(timeout)
        try:
            while time.monotonic() < deadline:
                data = p.sock.recv(65536)
                if not data:
                    return None, "connection closed"
                for ev in p.h2.receive_data(data):
                    if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                        status = int(dict(ev.headers)[":status"])
                    elif isinstance(ev, h2.events.DataReceived):
                        p.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                        if ev.stream_id == sid:
                            body += ev.data
                    elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                        p.flush()
                        return status, bytes(body)
                    elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                        return None, "stream reset %d" % ev.error_code
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        return None, "GOAWAY %d" % ev.error_code
                p.flush()
        except (OSError, h2.exceptions.ProtocolError) as e:
            return None, str(e)
        return None, "no answer in time"


def post_body_flood(port, path, streams, body_bytes, headers=(), deadline_s=20.0):
    """Opens |streams| POSTs on one connection and sends each up to
    |body_bytes| of body as flow control allows, never ending them. Returns
    {status: count} of the answers the server sent before giving up on them."""
    p = Peer(port)
    sent = {}
    statuses = {}
    extra = [("content-type", "application/octet-stream")] + list(headers)
    try:
        for _ in range(streams):
            sid = p.h2.get_next_available_stream_id()
            p.h2.send_headers(sid, _headers("POST", path, extra))
            sent[sid] = 0
        p.flush()
        chunk = b"x" * 16384
        deadline = time.monotonic() + deadline_s
        p.sock.settimeout(0.2)
        while time.monotonic() < deadline and sent:
            for sid in list(sent):
                try:
                    w = min(p.h2.local_flow_control_window(sid), len(chunk),
                            body_bytes - sent[sid])
                except (h2.exceptions.StreamClosedError, KeyError):
                    del sent[sid]
                    continue
                if w > 0:
                    try:
                        p.h2.send_data(sid, chunk[:w])
                        sent[sid] += w
                    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                        del sent[sid]
                        continue
                if sent.get(sid) == body_bytes:
                    del sent[sid]  # the whole body is out; the stream stays open
            p.flush()
            try:
                data = p.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                break
            for ev in p.h2.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    st = int(dict(ev.headers)[":status"])
                    statuses[st] = statuses.get(st, 0) + 1
                    sent.pop(ev.stream_id, None)
                elif isinstance(ev, h2.events.DataReceived):
                    p.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, (h2.events.StreamReset, h2.events.StreamEnded)):
                    sent.pop(ev.stream_id, None)
            p.flush()
    except (OSError, h2.exceptions.ProtocolError):
        pass
    finally:
        p.close()
    return statuses
