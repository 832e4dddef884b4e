#!/usr/bin/python3
"""feedmill as a service manager and an operator see it: the sd_notify
protocol on a socket of our own (READY, STATUS, WATCHDOG, RELOADING,
STOPPING, and WATCHDOG_PID), /metrics read with the Prometheus project's
own parser (prometheus_client) while counters move through two rounds of
polls against a real nginx, and `feedmill status` before, during and after
a run. TAP output.

Debian's /usr/bin/python3 runs this: that is where python3-prometheus-client
lives.
"""
import datetime
import email.utils
import html
import os
import queue
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402
from feedmilltest import FEEDMILL, FIELDS_CONF, WAIT, Daemon, Tap, eventually, write_conf  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

t = Tap()
work = tempfile.mkdtemp(prefix="feedmill-service-")
www = os.path.join(work, "www")
os.makedirs(www)
# whatever runs us (systemd itself, say) must not leak its own protocol in
for var in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS"):
    os.environ.pop(var, None)
# the daemon's fetches and ours go straight to 127.0.0.1
for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(var, None)

daemons = []            # every daemon started, stopped at the end whatever happens


def start(conf, env_extra=None, args=()):
    d = Daemon(conf, args, env_extra)
    daemons.append(d)
    return d


class ShellDaemon(Daemon):
    """A daemon started through `sh -c SCRIPT FEEDMILL CONF`, so that the
    script can put the daemon's own pid ($$ before exec) in its
    environment."""

    def __init__(self, conf, script, env_extra=None):
        env = dict(os.environ)
        env.update(env_extra or {})
        self.proc = subprocess.Popen(["sh", "-c", script, FEEDMILL, conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.lines = []
        self._q = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        daemons.append(self)


# ---------------------------------------------------------------------------
# sd_notify: a datagram socket of our own, as systemd binds it
# ---------------------------------------------------------------------------

UCRED = struct.Struct("iII")    # struct ucred: pid, uid, gid
TIMESPEC = struct.Struct("ll")  # struct timespec, as SO_TIMESTAMPNS gives it
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)     # Linux's value


class NotifySocket:
    """Binds an AF_UNIX datagram socket at path with SO_PASSCRED (so each
    message carries its sender's pid, as systemd checks) and collects
    (monotonic time, pid, {key: value}, raw text, arrival) in a thread;
    arrival is the kernel's receive time (SO_TIMESTAMPNS), so that a slow
    reader thread does not make the daemon look late."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass
        self.sock.settimeout(0.1)
        self.msgs = []
        self.pos = 0            # next() reads from here
        self.silent = False     # a wait for the first message timed out
        self.cond = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopping:
            try:
                data, anc, _flags, _addr = self.sock.recvmsg(
                    65536, socket.CMSG_SPACE(UCRED.size) + socket.CMSG_SPACE(TIMESPEC.size))
            except socket.timeout:
                continue
            except OSError:
                return
            pid, arrival = None, time.time()
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = UCRED.unpack(cdata[:UCRED.size])[0]
                elif level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = TIMESPEC.unpack(cdata[:TIMESPEC.size])
                    arrival = sec + nsec / 1e9
            text = data.decode("utf-8", "replace")
            keys = {}
            for line in text.split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    keys[k] = v
            with self.cond:
                self.msgs.append((time.monotonic(), pid, keys, text, arrival))
                self.cond.notify_all()

    def next(self, pred=lambda m: True, timeout=None):
        """The next message (from the cursor on) for which pred(keys) is
        true, skipping the others; None on timeout (by default WAIT, but
        only 3 s once a daemon has been silent: a daemon that does not
        speak the protocol fails each check quickly)."""
        if timeout is None:
            timeout = 3 if self.silent else WAIT
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                while self.pos < len(self.msgs):
                    m = self.msgs[self.pos]
                    self.pos += 1
                    if pred(m[2]):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def since(self, t0):
        with self.cond:
            return [m for m in self.msgs if m[0] >= t0]

    def skip_all(self):
        with self.cond:
            self.pos = len(self.msgs)

    def close(self):
        self.stopping = True
        self.thread.join(timeout=2)
        self.sock.close()


def significant(keys):
    """A state change: anything but a watchdog ping or a bare STATUS= update
    (the status timer may send one at any time)."""
    return bool(set(keys) - {"WATCHDOG", "STATUS"})


STATUS_RE = re.compile(r"^(\d+) sources?, (\d+) failing, (\d+) retired; (\d+) releases?; "
                       r"last poll (never|\d{4}-\d\d-\d\d \d\d:\d\d UTC)$")


def parse_status(keys):
    m = STATUS_RE.match(keys.get("STATUS", "")) if keys else None
    return m.groups() if m else None


def db_releases(state):
    path = os.path.join(state, "feedmill.db")
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT count(*) FROM release").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


# ---------------------------------------------------------------------------
# feeds
# ---------------------------------------------------------------------------

def rss(path, title, items):
    """items: dicts with title, guid, link, date, paras (the body's
    paragraphs in order, repeats included)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
           "<title>%s</title><link>https://news.example.org/</link>" % xml_escape(title),
           "<description>Test feed</description>"]
    for it in items:
        body = "".join("<p>%s</p>" % html.escape(p) for p in it["paras"])
        out.append("<item><title>%s</title><guid isPermaLink=\"false\">%s</guid><link>%s</link>"
                   "<pubDate>%s</pubDate><description>%s</description></item>"
                   % (xml_escape(it["title"]), xml_escape(it["guid"]), xml_escape(it["link"]),
                      it["date"], xml_escape(body)))
    out.append("</channel></rss>\n")
    data = "\n".join(out).encode("utf-8")
    with open(os.path.join(www, path), "wb") as f:
        f.write(data)
    return len(data)


def item(title, guid, link, day, paras):
    when = datetime.datetime(2026, 11, day, 9, 0, tzinfo=datetime.timezone.utc)
    return {"title": title, "guid": guid, "link": link, "paras": paras,
            "date": email.utils.format_datetime(when, usegmt=True)}


def fetched(name):
    return lambda l: ("event=fetched source=%s " % name in l or
                      "event=unchanged source=%s " % name in l)


def polled(name):
    return lambda l: any("event=%s source=%s " % (e, name) in l
                         for e in ("fetched", "unchanged", "failed", "retired"))


def package_version():
    """PACKAGE_VERSION as configure wrote it for the binary under test."""
    builddir = os.environ.get("top_builddir", os.path.dirname(os.path.abspath(FEEDMILL)))
    try:
        with open(os.path.join(builddir, "config.h")) as f:
            m = re.search(r'#define PACKAGE_VERSION "([^"]*)"', f.read())
            return m.group(1) if m else None
    except OSError:
        return None


def field_slug(name):
    """The slug the taxonomy gives the field called name."""
    with open(FIELDS_CONF) as f:
        text = f.read()
    m = re.search(r"^\[field %s\]\s*\n(?:[^\[]*?\n)?slug\s*=\s*(\S+)" % re.escape(name), text, re.M)
    return m.group(1) if m else None


def all_slugs():
    with open(FIELDS_CONF) as f:
        text = f.read()
    return (set(re.findall(r"^slug\s*=\s*(\S+)", text, re.M)),
            len(re.findall(r"^\[field ", text, re.M)))


cli_stderr = []         # every command's standard error, for sanitizer reports


def fm(*args):
    p = subprocess.run([FEEDMILL] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=WAIT)
    err = p.stderr.decode("utf-8", "replace")
    cli_stderr.append(err)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def status_cmd(conf):
    return fm("status", "-c", conf)


def source_block(out, name):
    """A source's lines in `feedmill status`: its own line and the
    indented ones under it."""
    lines = out.split("\n")
    for i, l in enumerate(lines):
        if l.startswith(name + " "):
            block = [l]
            for m in lines[i + 1:]:
                if not m.startswith(" "):
                    break
                block.append(m)
            return block
    return []


def unused_port():
    """A port bound and never listened on: connecting is refused at once.
    The socket is kept for the whole test so nobody else takes the port."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


closed_sock, closed_port = unused_port()
listen_sock, listen_port = unused_port()
listen_sock.close()     # for the daemon's own server
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
nginx = None
notify = None

try:
    nginx = httpfixtures.Nginx(www, os.path.join(work, "nginx"),
                               extra_locations="location = /gone.xml { return 410; }")
    nginx.start()

    # =======================================================================
    # 1. sd_notify
    # =======================================================================
    n_items = [item("Observers arrive for the municipal elections", "al-1",
                    "https://alpha.example.org/1", 2,
                    ["An election observation mission opened its office in the capital on Monday.",
                     "Forty long-term observers will follow the campaign across the country."]),
               item("Workshop on border security closes in Vienna", "be-1",
                    "https://beta.example.org/1", 3,
                    ["Border guards from twelve participating States met for three days.",
                     "The workshop focused on risk analysis at green borders."])]
    rss("alpha.rss", "Alpha", n_items[:1])
    rss("beta.rss", "Beta", n_items[1:])
    distinct = len(n_items)
    state1 = os.path.join(work, "state1")
    conf1 = os.path.join(work, "notify.conf")
    sources1 = [("alpha", nginx.url("alpha.rss")), ("beta", nginx.url("beta.rss"))]
    write_conf(conf1, state1, sources1)
    sockpath = os.path.join(work, "notify.sock")
    notify = NotifySocket(sockpath)
    env = {"NOTIFY_SOCKET": sockpath, "WATCHDOG_USEC": "400000"}

    started = time.monotonic()
    d = start(conf1, env)
    first = notify.next()
    notify.silent = first is None
    keys = first[2] if first else {}
    t.ok(first is not None and keys.get("READY") == "1" and "STATUS" in keys,
         "the first message is READY=1 with a STATUS= line", first)
    t.ok(first is not None and first[1] == d.proc.pid,
         "it comes from the daemon's own pid (NotifyAccess=main accepts it)",
         "sender %s, daemon %d" % (first and first[1], d.proc.pid))
    st = parse_status(keys)
    t.ok(st is not None and int(st[0]) == len(sources1) and st[1] == "0" and st[2] == "0"
         and st[3] == "0" and st[4] == "never",
         "STATUS says %d sources, 0 failing, 0 retired, 0 releases, last poll never "
         "(fresh state)" % len(sources1), keys.get("STATUS"))

    t.ok(d.wait_all([fetched(n) for n, _ in sources1]), "both sources are polled", d.log())
    published = d.wait_for("event=published")
    t_pub = time.monotonic()

    def status_counts_all():
        for m in notify.since(started):
            st = parse_status(m[2])
            if st is not None and int(st[3]) == distinct and st[4] != "never":
                return m
        return None
    m = eventually(status_counts_all, timeout=3)
    t.ok(published and m is not None and m[0] - t_pub < 3,
         "a STATUS= counting the %d releases follows the first publish within 3 s "
         "(not at the next 10 s tick)" % distinct,
         "%s\n%s" % ([x[3] for x in notify.since(started)], d.log()))
    t0 = time.monotonic()
    time.sleep(1.5)
    pings = [m for m in notify.since(t0) if "WATCHDOG" in m[2]]
    t.ok(len(pings) >= 4 and all(m[3] == "WATCHDOG=1" for m in pings),
         "WATCHDOG=1 arrives every half interval: %d pings in 1.5 s with WATCHDOG_USEC=400000"
         % len(pings), [m[3] for m in notify.since(t0)])
    gaps = [b[4] - a[4] for a, b in zip(pings, pings[1:])]
    print("# longest gap between watchdog pings: %.3f s" % max(gaps or [0]), flush=True)

    # releases stored (the daemon commits after it logs)
    eventually(lambda: db_releases(state1) >= distinct)
    notify.skip_all()
    before = time.monotonic()
    d.send(signal.SIGHUP)
    m = notify.next(significant)
    keys = m[2] if m else {}
    mono = keys.get("MONOTONIC_USEC", "")
    t.ok(keys.get("RELOADING") == "1" and mono.isdigit(),
         "SIGHUP: RELOADING=1 with MONOTONIC_USEC=<digits>", m)
    t.ok(mono.isdigit() and before * 1e6 <= int(mono) <= m[0] * 1e6,
         "MONOTONIC_USEC is CLOCK_MONOTONIC at the reload", (before, mono, m and m[0]))
    m = notify.next(significant)
    keys = m[2] if m else {}
    t.ok(keys.get("READY") == "1" and "STATUS" in keys, "then READY=1 with STATUS= ends the reload", m)
    st = parse_status(keys)
    t.ok(st is not None and int(st[3]) == distinct and st[4] != "never" and st[1] == "0",
         "the STATUS counts the %d releases the first poll stored and a last poll time" % distinct,
         keys.get("STATUS"))
    t.ok(d.wait_for("event=reload result=ok"), "the reload succeeded", d.log())

    # a broken file: still RELOADING then READY, the old configuration stays
    with open(conf1, "a") as f:
        f.write("\n[source gamma]\nurl = %s\nfrequency = often\n" % nginx.url("alpha.rss"))
    d.send(signal.SIGHUP)
    m = notify.next(significant)
    t.ok(m is not None and m[2].get("RELOADING") == "1",
         "SIGHUP with a broken file: RELOADING=1", m)
    m = notify.next(significant)
    keys = m[2] if m else {}
    st = parse_status(keys)
    t.ok(keys.get("READY") == "1" and st is not None and int(st[0]) == len(sources1),
         "then READY=1, its STATUS still counting the old %d sources" % len(sources1), m)
    t.ok(d.wait_for("event=reload result=rejected") and d.proc.poll() is None,
         "the file is rejected and the daemon keeps running", d.log())
    t0 = time.monotonic()
    time.sleep(1.0)
    t.ok(len([m for m in notify.since(t0) if "WATCHDOG" in m[2]]) >= 2,
         "the watchdog keeps pinging after the reloads", [m[3] for m in notify.since(t0)])

    status, _ = d.stop()
    m = notify.next(significant, timeout=5)
    t.ok(m is not None and m[2].get("STOPPING") == "1", "SIGTERM: STOPPING=1", m)
    t.ok(status == 0, "and exit status 0", d.log())
    t.ok(notify.next(significant, timeout=0.2) is None, "nothing after STOPPING=1",
         notify.msgs[notify.pos - 1:])
    write_conf(conf1, state1, sources1)

    # WATCHDOG_PID naming another process: the pings are not ours to send
    other = subprocess.Popen(["sleep", "60"])
    try:
        notify.skip_all()
        d = start(conf1, dict(env, WATCHDOG_PID=str(other.pid)))
        m = notify.next(significant)
        t.ok(m is not None and m[2].get("READY") == "1", "with WATCHDOG_PID of another process: READY=1", m)
        t0 = time.monotonic()
        time.sleep(1.5)
        got = notify.since(t0)
        t.ok(m is not None and not any("WATCHDOG" in x[2] for x in got),
             "and no WATCHDOG=1 in 1.5 s", [x[3] for x in got])
        status, _ = d.stop()
        t.ok(status == 0, "it stops cleanly", d.log())
    finally:
        other.kill()
        other.wait()

    # WATCHDOG_PID naming the daemon itself: pings
    notify.skip_all()
    d = ShellDaemon(conf1, 'WATCHDOG_PID=$$ exec "$0" run -c "$1"', env)
    m = notify.next(significant)
    t0 = time.monotonic()
    time.sleep(1.0)
    pings = [x for x in notify.since(t0) if "WATCHDOG" in x[2]]
    t.ok(m is not None and m[2].get("READY") == "1" and len(pings) >= 3
         and all(x[1] == d.proc.pid for x in pings),
         "with WATCHDOG_PID of the daemon itself it pings (%d in 1 s)" % len(pings),
         [x[3] for x in notify.since(t0)])
    status, _ = d.stop()
    t.ok(status == 0, "it stops cleanly", d.log())

    # =======================================================================
    # 2. /metrics and 3. feedmill status
    # =======================================================================
    para = {
        "s": ["The Chairperson-in-Office welcomed the agreement on the ceasefire monitoring "
              "mechanism reached in Geneva on Tuesday.",
              "The mechanism will be staffed by thirty civilian monitors from participating States.",
              "Talks on the next steps are scheduled for early December."],
        "a2": ["The Representative on Freedom of the Media raised concerns about the arrest of "
               "two journalists covering the protests.",
               "She called on the authorities to release them without delay."],
        "a2x": "A spokesperson said the Representative would visit the country in January.",
        "a3": ["The mission trained fifty police officers in community policing in the north.",
               "The course covered de-escalation and cooperation with local councils."],
        "d": ["The High Commissioner on National Minorities visited schools teaching in "
              "minority languages.",
              "He met teachers and parents in three towns near the border.",
              "Funding for textbooks remains the main concern of the schools."],
        "c": ["The Office published its annual report on the situation of defenders "
              "working in the region.",
              "The report is based on interviews with more than a hundred people."],
    }
    s_title = "Ceasefire monitoring mechanism agreed"
    press_items = [
        item(s_title, "press-s", "https://press.example.org/news/ceasefire", 10, para["s"]),
        item("Concern over arrest of journalists", "press-2",
             "https://press.example.org/news/journalists", 11, para["a2"]),
    ]
    # the same release through a wire service: other GUID, other link
    wire_items = [
        item(s_title, "wire-0815", "https://wire.example.net/story?id=0815&utm_source=rss", 10, para["s"]),
        # a scraped body: every paragraph twice
        item("Minority language schools visited", "wire-0816", "https://wire.example.net/story?id=0816",
             12, [p for p in para["d"] for _ in range(2)]),
    ]
    rights_items = [item("Annual report on defenders", "rights-1",
                         "https://rights.example.org/report", 13, para["c"])]
    size_press = rss("press.rss", "Press office", press_items)
    size_wire = rss("wire.rss", "Wire", wire_items)
    size_rights = rss("rights.rss", "Rights", rights_items)
    with open(os.path.join(www, "notes.txt"), "w") as f:
        f.write("Meeting notes, not a feed.\nBring the minutes.\n")
    releases_round1 = 4          # s, a2, d, c: the wire's s is the press office's s
    repeated = len(para["d"])    # paragraphs dropped inside the doubled item
    hr_slug = field_slug("Human rights")

    press = "ngo.press_room-2"   # every kind of character a name may have
    ok_sources = [press, "wire", "rights"]
    bad_sources = ["missing", "notfeed", "closed"]
    gone_sources = ["gone"]
    sources2 = [(press, nginx.url("press.rss")),
                ("wire", nginx.url("wire.rss")),
                ("rights", nginx.url("rights.rss"), {"fields": "Human rights"}),
                ("missing", nginx.url("no-such-feed.xml")),
                ("notfeed", nginx.url("notes.txt")),
                ("closed", "http://127.0.0.1:%d/feed.xml" % closed_port),
                ("gone", nginx.url("gone.xml"))]
    state2 = os.path.join(work, "state2")
    conf2 = os.path.join(work, "feedmill.conf")
    base = "http://127.0.0.1:%d" % listen_port
    write_conf(conf2, state2, sources2,
               extra="listen = 127.0.0.1:%d\nbase_url = %s/" % (listen_port, base))
    with open(conf2, "a") as f:
        f.write("\n[digest daily]\nto = desk@example.org\nat = 07:00\n"
                "\n[smtp]\nurl = smtp://127.0.0.1:%d\nfrom = feedmill@example.org\n" % closed_port)

    # -- status before any run
    rc, out, err = status_cmd(conf2)
    t.ok(rc == 0, "status before any run exits 0", out + err)
    t.ok(re.search(r"^database: none yet", out, re.M) is not None,
         "and says there is no database yet", out)
    t.ok(re.search(r"^daemon: not running$", out, re.M) is not None,
         "and that no daemon runs", out)
    t.ok(all(source_block(out, n[0]) and "not polled yet" in source_block(out, n[0])[0]
             for n in sources2), "and lists every source as not polled yet", out)
    t.ok(not os.path.exists(state2), "status creates nothing", os.listdir(work))

    # -- the first round
    t_start = time.time()
    notify.skip_all()
    d = start(conf2, {"NOTIFY_SOCKET": sockpath})
    t.ok(d.wait_all([polled(n[0]) for n in sources2]), "the first round polls all %d sources"
         % len(sources2), d.log())
    t.ok(d.wait_for("event=published"), "and publishes", d.log())
    t_started = time.time()

    def scrape():
        """(content type, body, {(sample name, frozenset(labels)): value},
        families, error)"""
        try:
            with opener.open(base + "/metrics", timeout=10) as r:
                ctype = r.headers.get("Content-Type", "")
                body = r.read().decode("utf-8")
        except (OSError, urllib.error.URLError) as e:
            return "", "", {}, [], "GET /metrics: %s" % e
        try:
            fams = list(text_string_to_metric_families(body))
        except Exception as e:  # noqa: BLE001 -- any parse error fails the test
            return ctype, body, {}, [], "parse error: %r" % e
        samples = {}
        for fam in fams:
            for s in fam.samples:
                samples[(s.name, frozenset(s.labels.items()))] = s.value
        return ctype, body, samples, fams, None

    def val(samples, name, **labels):
        return samples.get((name, frozenset(labels.items())))

    ctype, body, s1, fams, err = scrape()
    t.ok(err is None and fams, "/metrics parses with prometheus_client's parser", err or body)
    t.ok(ctype.startswith("text/plain; version=0.0.4"), "Content-Type text/plain; version=0.0.4", ctype)
    types = {f.name: f.type for f in fams}
    want = {"feedmill_polls": "counter", "feedmill_poll_errors": "counter",
            "feedmill_fetched_bytes": "counter", "feedmill_sources": "gauge",
            "feedmill_source_failures": "gauge", "feedmill_source_last_success_seconds": "gauge",
            "feedmill_releases": "gauge", "feedmill_entries": "counter",
            "feedmill_duplicates": "counter", "feedmill_tags": "counter",
            "feedmill_publish_duration_seconds": "summary",
            "feedmill_publish_last_duration_seconds": "gauge",
            "feedmill_publish_failures": "counter", "feedmill_digests_sent": "counter",
            "feedmill_digest_failures": "counter", "feedmill_digests_pending": "gauge",
            "feedmill_build_info": "gauge", "feedmill_start_time_seconds": "gauge"}
    t.ok(all(types.get(k) == v for k, v in want.items()),
         "every family is there with its type", sorted(types.items()))
    t.ok(fams and all(f.type != "untyped" and f.documentation for f in fams)
         and len(types) == len(fams),
         "every sample belongs to a family announced once, with HELP and TYPE",
         [(f.name, f.type) for f in fams])

    def all_labels(samples, name, label):
        return {dict(k[1]).get(label) for k in samples if k[0] == name}

    t.ok(all_labels(s1, "feedmill_polls_total", "result") == {"fetched", "unchanged", "failed"},
         "polls_total has result=fetched|unchanged|failed", all_labels(s1, "feedmill_polls_total", "result"))
    kinds = {"dns", "connect", "timeout", "tls", "http", "too_large", "not_a_feed", "other"}
    t.ok(all_labels(s1, "feedmill_poll_errors_total", "kind") == kinds,
         "poll_errors_total has every kind of error", all_labels(s1, "feedmill_poll_errors_total", "kind"))
    t.ok(all_labels(s1, "feedmill_sources", "state") == {"ok", "backoff", "retired"},
         "sources has state=ok|backoff|retired", all_labels(s1, "feedmill_sources", "state"))
    t.ok(all_labels(s1, "feedmill_source_failures", "source") == {n[0] for n in sources2}
         and all_labels(s1, "feedmill_source_last_success_seconds", "source") == {n[0] for n in sources2},
         "source_failures and source_last_success_seconds name every source",
         all_labels(s1, "feedmill_source_failures", "source"))
    t.ok('source="%s"' % press in body, "a name with '.', '_' and '-' is written as it is",
         [l for l in body.splitlines() if "press" in l])
    t.ok({"new", "updated", "duplicate", "unchanged"} <= all_labels(s1, "feedmill_entries_total", "result"),
         "entries_total has result=new|updated|duplicate|unchanged|...",
         all_labels(s1, "feedmill_entries_total", "result"))
    t.ok(all_labels(s1, "feedmill_duplicates_total", "kind") == {"within_item", "across_feeds", "update"},
         "duplicates_total has kind=within_item|across_feeds|update",
         all_labels(s1, "feedmill_duplicates_total", "kind"))

    # round one's values
    t.ok(val(s1, "feedmill_polls_total", result="fetched") == len(ok_sources)
         and val(s1, "feedmill_polls_total", result="unchanged") == 0
         and val(s1, "feedmill_polls_total", result="failed") == len(bad_sources) + len(gone_sources),
         "polls: %d fetched, 0 unchanged, %d failed (the 410 included)"
         % (len(ok_sources), len(bad_sources) + len(gone_sources)),
         {k: v for k, v in s1.items() if k[0] == "feedmill_polls_total"})
    errs1 = {k: val(s1, "feedmill_poll_errors_total", kind=k) for k in kinds}
    t.ok(errs1 == dict({k: 0 for k in kinds}, http=2, not_a_feed=1, connect=1),
         "poll errors: the 404 and 410 are http, the text file not_a_feed, the closed port connect",
         errs1)
    bytes1 = val(s1, "feedmill_fetched_bytes_total", )
    t.ok(bytes1 is not None and bytes1 >= size_press + size_wire + size_rights,
         "fetched_bytes counts at least the three feeds' %d bytes (%s)"
         % (size_press + size_wire + size_rights, bytes1))
    states1 = {k: val(s1, "feedmill_sources", state=k) for k in ("ok", "backoff", "retired")}
    t.ok(states1 == {"ok": len(ok_sources), "backoff": len(bad_sources), "retired": len(gone_sources)},
         "sources: %d ok, %d in backoff, %d retired (410)"
         % (len(ok_sources), len(bad_sources), len(gone_sources)), states1)
    fails1 = {n[0]: val(s1, "feedmill_source_failures", source=n[0]) for n in sources2}
    t.ok(fails1 == dict({n: 0 for n in ok_sources}, **{n: 1 for n in bad_sources + gone_sources}),
         "source_failures: 1 for each failing source (the 404 included), 0 for the others", fails1)
    succ = {n[0]: val(s1, "feedmill_source_last_success_seconds", source=n[0]) for n in sources2}
    t.ok(all(succ[n] is not None and int(t_start) <= succ[n] <= t_started + 1 for n in ok_sources)
         and all(succ[n] == 0 for n in bad_sources + gone_sources),
         "last_success_seconds: the time of this run for sources that worked, 0 for never", succ)
    t.ok(val(s1, "feedmill_releases") == releases_round1 == db_releases(state2),
         "releases: %d (the copy through the wire is not another)" % releases_round1,
         (val(s1, "feedmill_releases"), db_releases(state2)))
    entries1 = {k: val(s1, "feedmill_entries_total", result=k) for k in ("new", "updated", "duplicate")}
    t.ok(entries1 == {"new": releases_round1, "updated": 0, "duplicate": 1},
         "entries: %d new, 1 duplicate" % releases_round1, entries1)
    dups1 = {k: val(s1, "feedmill_duplicates_total", kind=k) for k in ("within_item", "across_feeds", "update")}
    t.ok(dups1 == {"within_item": repeated, "across_feeds": 1, "update": 0},
         "duplicates: %d paragraphs repeated inside an item, 1 across feeds, no update" % repeated, dups1)
    t.ok(hr_slug is not None and (val(s1, "feedmill_tags_total", field=hr_slug) or 0) >= 1,
         "tags_total{field=\"%s\"} counts the release its source files there" % hr_slug,
         {k: v for k, v in s1.items() if k[0] == "feedmill_tags_total" and v})
    slugs, nfields = all_slugs()
    t.ok(all_labels(s1, "feedmill_tags_total", "field") == slugs and len(slugs) == nfields,
         "tags_total has a sample for each of the taxonomy's %d fields" % nfields,
         (all_labels(s1, "feedmill_tags_total", "field") ^ slugs, nfields))
    pub_count1 = val(s1, "feedmill_publish_duration_seconds_count")
    pub_sum1 = val(s1, "feedmill_publish_duration_seconds_sum")
    last1 = val(s1, "feedmill_publish_last_duration_seconds")
    t.ok(pub_count1 is not None and pub_count1 >= 1 and pub_sum1 is not None and pub_sum1 > 0
         and last1 is not None and 0 < last1 <= pub_sum1,
         "publish_duration_seconds: count >= 1, a positive sum, the last duration within it",
         (pub_count1, pub_sum1, last1))
    t.ok(val(s1, "feedmill_publish_failures_total") == 0, "no publish failures",
         val(s1, "feedmill_publish_failures_total"))
    t.ok(val(s1, "feedmill_digests_sent_total") == 0 and val(s1, "feedmill_digest_failures_total") == 0,
         "no digest sent or failed yet (not due)",
         (val(s1, "feedmill_digests_sent_total"), val(s1, "feedmill_digest_failures_total")))
    t.ok(val(s1, "feedmill_digests_pending", digest="daily") == 0,
         "digests_pending{digest=\"daily\"} is there, 0", val(s1, "feedmill_digests_pending", digest="daily"))
    version = package_version()
    t.ok(version and val(s1, "feedmill_build_info", version=version) == 1,
         "build_info{version=\"%s\"} 1" % version,
         {k: v for k, v in s1.items() if k[0] == "feedmill_build_info"})
    started = val(s1, "feedmill_start_time_seconds")
    t.ok(started is not None and int(t_start) <= started <= t_started + 1,
         "start_time_seconds is when the daemon started", (t_start, started))

    # -- status while the daemon runs
    rc, out, err = status_cmd(conf2)
    t.ok(rc == 0, "status beside the running daemon exits 0", out + err)
    t.ok(re.search(r"^daemon: running \(pid %d\)$" % d.proc.pid, out, re.M) is not None,
         "and names the running daemon's pid", (d.proc.pid, out))
    t.ok(re.search(r"^database: .*feedmill\.db, %d releases$" % releases_round1, out, re.M) is not None,
         "and counts the %d releases" % releases_round1, out)
    blk = source_block(out, press)
    t.ok(blk and "ok (200)" in blk[0], "a source that worked is 'ok (200)'", blk)
    blk = source_block(out, "missing")
    t.ok(blk and "failing x1" in blk[0], "the 404 source is 'failing x1'", blk)
    t.ok(any(re.match(r"^ +error .*404", l) for l in blk), "with an error line naming the 404", blk)
    blk = source_block(out, "closed")
    t.ok(blk and "failing x1" in blk[0] and any(re.match(r"^ +error ", l) for l in blk),
         "the unreachable source too, with its error", blk)
    blk = source_block(out, "gone")
    t.ok(blk and "retired (410)" in blk[0] and "not polled again" in blk[0],
         "the 410 source is 'retired (410)', not polled again", blk)
    dl = [l for l in out.splitlines() if l.startswith("daily ")]
    t.ok(dl and re.search(r"\bpending 0\b", dl[0]), "the digest line shows daily, pending 0", out)

    # -- the second round: one feed changed, the others not
    press_items[1] = item(press_items[1]["title"], "press-2", press_items[1]["link"], 11,
                          para["a2"] + [para["a2x"]])
    press_items.append(item("Community policing course in the north", "press-3",
                            "https://press.example.org/news/policing", 14, para["a3"]))
    size_press2 = rss("press.rss", "Press office", press_items)
    releases_round2 = releases_round1 + 1
    d.send(signal.SIGUSR1)
    t.ok(d.wait_all([polled(n[0]) for n in sources2 if n[0] not in gone_sources]),
         "SIGUSR1 polls all again, but for the retired one", d.log())
    t.ok(d.wait_for("event=published"), "the change is published", d.log())
    # the publish is counted just before it is logged; no /metrics at all
    # (already failed above) is not worth waiting for
    s2 = (eventually(lambda: (lambda s: s if (val(s, "feedmill_publish_duration_seconds_count") or 0)
                              > (pub_count1 or 0) else None)(scrape()[2]), timeout=WAIT if s1 else 1)
          or scrape()[2])

    def delta(name, **labels):
        a, b = val(s1, name, **labels), val(s2, name, **labels)
        return None if a is None or b is None else b - a

    polls = {k: delta("feedmill_polls_total", result=k) for k in ("fetched", "unchanged", "failed")}
    t.ok(polls == {"fetched": 1, "unchanged": 2, "failed": len(bad_sources)},
         "polls moved: +1 fetched (the changed feed), +2 unchanged (304s), +%d failed "
         "(the retired source is not polled)" % len(bad_sources), polls)
    errs2 = {k: delta("feedmill_poll_errors_total", kind=k) for k in kinds}
    t.ok(errs2 == dict({k: 0 for k in kinds}, http=1, not_a_feed=1, connect=1),
         "each kind of poll error moved by one", errs2)
    bd = delta("feedmill_fetched_bytes_total")
    t.ok(bd is not None and size_press2 <= bd < size_press2 + size_wire + size_rights,
         "fetched_bytes grew by the changed feed's %d bytes, not by the 304s (%s)" % (size_press2, bd))
    entries2 = {k: delta("feedmill_entries_total", result=k) for k in ("new", "updated", "duplicate", "unchanged")}
    t.ok(entries2 == {"new": 1, "updated": 1, "duplicate": 0, "unchanged": 1},
         "entries moved: +1 new, +1 updated, +1 unchanged", entries2)
    dups2 = {k: delta("feedmill_duplicates_total", kind=k) for k in ("within_item", "across_feeds", "update")}
    t.ok(dups2 == {"within_item": 0, "across_feeds": 0, "update": 1},
         "duplicates moved: +1 update", dups2)
    t.ok(val(s2, "feedmill_releases") == releases_round2 == db_releases(state2),
         "releases: %d" % releases_round2, (val(s2, "feedmill_releases"), db_releases(state2)))
    t.ok((delta("feedmill_publish_duration_seconds_count") or 0) >= 1
         and (delta("feedmill_publish_duration_seconds_sum") or 0) > 0,
         "publish_duration_seconds count and sum grew",
         (delta("feedmill_publish_duration_seconds_count"), delta("feedmill_publish_duration_seconds_sum")))
    fails2 = {n[0]: val(s2, "feedmill_source_failures", source=n[0]) for n in sources2}
    t.ok(fails2 == dict({n: 0 for n in ok_sources}, **{n: 2 for n in bad_sources},
                        **{n: 1 for n in gone_sources}),
         "source_failures: 2 for each failing source now, still 1 for the retired one", fails2)
    t.ok(val(s2, "feedmill_start_time_seconds") == started, "start_time_seconds stays",
         val(s2, "feedmill_start_time_seconds"))

    # -- a reload: counters go on (Prometheus would read a reset as a restart)
    notify.skip_all()
    d.send(signal.SIGHUP)
    t.ok(d.wait_for("event=reload result=ok"), "SIGHUP with the same file reloads", d.log())
    m = notify.next(lambda k: k.get("READY") == "1")
    st = parse_status(m[2] if m else {})
    t.ok(st is not None and st[:4] == (str(len(sources2)), str(len(bad_sources)),
                                       str(len(gone_sources)), str(releases_round2)),
         "its READY=1 STATUS says %d sources, %d failing, %d retired; %d releases"
         % (len(sources2), len(bad_sources), len(gone_sources), releases_round2), m)
    s2b = scrape()[2]
    # a reload republishes (base_url or fields may have changed): publish
    # counters may grow, nothing may go back
    moved = {k[0] + str(dict(k[1])): (v, s2b.get(k)) for k, v in s2.items()
             if k[0].endswith(("_total", "_count", "_sum")) and
             (s2b.get(k) is None or s2b.get(k) < v or
              (s2b.get(k) != v and not k[0].startswith("feedmill_publish_")))}
    t.ok(s2b and not moved, "no counter reset across the reload, none but publishing's moved "
         "(tags included)", moved)

    status, _ = d.stop()
    t.ok(status == 0, "the daemon stops cleanly", d.log())

    # -- status after the daemon stopped
    rc, out, err = status_cmd(conf2)
    t.ok(rc == 0 and re.search(r"^database: .*, %d releases$" % releases_round2, out, re.M),
         "status after the stop exits 0 and counts %d releases" % releases_round2, out + err)
    t.ok(re.search(r"^daemon: not running$", out, re.M) is not None,
         "and says the daemon is not running any more", out)
    blk = source_block(out, "wire")
    t.ok(blk and "ok (304)" in blk[0], "a source polled again unchanged is 'ok (304)'", blk)
    blk = source_block(out, "missing")
    t.ok(blk and "failing x2" in blk[0] and any(re.match(r"^ +error .*404", l) for l in blk),
         "the 404 source is 'failing x2', its error naming the 404", blk)
    t.ok(not any(re.match(r"^ +error ", l) for n in ok_sources for l in source_block(out, n)),
         "sources that work show no error line", out)

    # -- a digest that cannot be sent stays pending: status and /metrics say so
    rc, out, err = fm("digest", "daily", "-c", conf2)
    t.ok(rc == 1 and "kept in the outbox" in err,
         "`feedmill digest daily` with the mail server down keeps it in the outbox", (rc, err))
    rc, out, err = status_cmd(conf2)
    dl = [l for l in out.splitlines() if l.startswith("daily ")]
    t.ok(rc == 0 and dl and re.search(r"\bpending 1\b", dl[0]), "status shows daily, pending 1", out + err)
    d = start(conf2)
    t.ok(d.wait_for("event=listening"), "the daemon starts again", d.log())
    pend = eventually(lambda: val(scrape()[2], "feedmill_digests_pending", digest="daily"), timeout=10)
    t.ok(pend == 1, "digests_pending{digest=\"daily\"} is 1", pend)
    s3 = scrape()[2]
    t.ok(val(s3, "feedmill_polls_total", result="fetched") == 0 and val(s3, "feedmill_entries_total", result="new") == 0,
         "a new process starts its counters at zero", {k: v for k, v in s3.items() if k[0] == "feedmill_polls_total"})
    status, _ = d.stop()
    t.ok(status == 0, "and stops cleanly", d.log())

    # -- a missing configuration file
    gone = os.path.join(work, "no-such.conf")
    rc, out, err = status_cmd(gone)
    t.ok(rc != 0 and gone in err, "status with a missing configuration fails, naming the file", (rc, err))

    reports = [l for text in cli_stderr + [d.log() for d in daemons] for l in text.splitlines()
               if "Sanitizer" in l or "runtime error:" in l]
    t.ok(not reports, "no sanitizer reports from any daemon or command", reports)

finally:
    for d in daemons:
        if d.proc.poll() is None:
            d.stop()
    if notify is not None:
        notify.close()
    if nginx is not None:
        nginx.stop()
    closed_sock.close()

shutil.rmtree(work, ignore_errors=True)
t.done()
