"""Shared pieces of feedmill's Python integration tests: TAP output, a
configuration writer, `feedmill run` in both modes, and a look into the
state database with Python's own sqlite3 module (the same SQLite library).

Not a test itself; tests import it from their own directory.
"""
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

FEEDMILL = os.environ.get("FEEDMILL", "./feedmill")
# the default taxonomy, from the source tree (make check sets top_srcdir)
FIELDS_CONF = os.path.join(os.environ.get("top_srcdir", "."), "conf", "fields.conf")
with open(FEEDMILL, "rb") as _binary:
    SANITIZED = b"__asan_init" in _binary.read()
# Waiting for a log line: generous under AddressSanitizer on a busy machine.
WAIT = 60 if SANITIZED else 30


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=""):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            for line in str(diag).splitlines()[-30:]:
                print("#   " + line, flush=True)
        return cond

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def write_conf(path, state_dir, sources, extra=""):
    """sources: list of (name, url) or (name, url, {key: value})."""
    lines = ["[feedmill]", "state_dir = " + state_dir, "listen =",
             "output_dir = " + os.path.join(state_dir, "public"),
             "fields = " + FIELDS_CONF]
    lines += [l for l in extra.strip().splitlines() if l.strip()]
    for s in sources:
        lines += ["", "[source %s]" % s[0], "url = " + s[1]]
        if len(s) > 2:
            lines += ["%s = %s" % kv for kv in s[2].items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_once(conf, env_extra=None, timeout=120, args=()):
    """`feedmill run --once`; returns (status, stderr text, seconds)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    start = time.monotonic()
    p = subprocess.run([FEEDMILL, "run", "--once", "-c", conf] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stderr.decode("utf-8", "replace"), time.monotonic() - start


def sources(state_dir):
    """Every row of the source table, as dicts keyed by name."""
    db = sqlite3.connect(os.path.join(state_dir, "feedmill.db"))
    db.row_factory = sqlite3.Row
    rows = {r["name"]: dict(r) for r in db.execute("SELECT * FROM source")}
    db.close()
    return rows


def fetch_log(state_dir, name):
    db = sqlite3.connect(os.path.join(state_dir, "feedmill.db"))
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute(
        "SELECT * FROM fetch_log WHERE source = ? ORDER BY id", (name,))]
    db.close()
    return rows


def eventually(fn, timeout=WAIT):
    """fn() until it returns something true (the daemon commits its writes
    at the end of a loop iteration, just after it logs them); returns the
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


class Daemon:
    """`feedmill run` in the background; its stderr lines are read by a
    thread so that tests wait for log lines instead of sleeping."""

    def __init__(self, conf, args=(), env_extra=None):
        env = dict(os.environ)
        env.update(env_extra or {})
        self.proc = subprocess.Popen([FEEDMILL, "run", "-c", conf] + list(args),
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, pred, timeout=WAIT, count=1):
        """Wait until `count` new lines satisfy pred (a substring or a
        function); returns the matching lines (fewer on timeout)."""
        if isinstance(pred, str):
            text = pred
            pred = lambda l: text in l
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                line = self._q.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if pred(line):
                got.append(line)
        return got

    def wait_all(self, preds, timeout=WAIT):
        """Wait until each predicate has matched a new line, in any order;
        returns True if all did."""
        left = list(preds)
        deadline = time.monotonic() + timeout
        while left:
            rest = deadline - time.monotonic()
            if rest <= 0:
                return False
            try:
                line = self._q.get(timeout=rest)
            except queue.Empty:
                return False
            if line is None:
                return False
            left = [p for p in left if not p(line)]
        return True

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT):
        """Signal and wait; returns (exit status or None on timeout, seconds)."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self._t.join(timeout=5)
        return status, time.monotonic() - start

    def log(self):
        return "\n".join(self.lines)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Inbox:
    """An aiosmtpd handler that keeps what it is given: (mail_from,
    [rcpt_to...], content bytes) for each message."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"
