#!/usr/bin/env python3
"""`feedmill run` as a daemon: it says what it does in log lines, and the
tests wait for those lines, never for a fixed time. Covers polling at
start, resuming a stored schedule after a restart (with an injected clock),
SIGUSR1, SIGHUP with a good and a broken file, SIGTERM with transfers in
flight, refusing a broken configuration, -q and the journal's priority
prefixes. TAP output.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402
from feedmilltest import FEEDMILL, WAIT, Daemon, Tap, eventually, fetch_log, run_once, sources, write_conf  # noqa: E402

t = Tap()
top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
work = tempfile.mkdtemp(prefix="feedmill-daemon-")
www = os.path.join(work, "www")
os.makedirs(www)
for name in ("secretariat.xml", "human-rights.atom", "media-freedom.xml", "chairpersonship.rdf"):
    shutil.copy(os.path.join(top, "conf", "demo", name), os.path.join(www, name))
state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")


def fetched(name):
    return lambda l: ("event=fetched source=%s " % name in l or
                      "event=unchanged source=%s " % name in l)


with httpfixtures.Nginx(www, os.path.join(work, "nginx"), hosts=2) as ng, \
        httpfixtures.FaultServer() as fs:
    base = [("rss", ng.url("secretariat.xml", 1)), ("atom", ng.url("human-rights.atom", 1)),
            ("media", ng.url("media-freedom.xml", 1))]
    write_conf(conf, state, base)

    # -- a broken configuration: refused, every problem named
    bad = os.path.join(work, "bad.conf")
    with open(bad, "w") as f:
        f.write("[feedmill]\nstate_dir = %s\ninterval = soon\n[source x]\n[bogus]\n" % state)
    p = subprocess.run([FEEDMILL, "run", "-c", bad], capture_output=True, text=True, timeout=WAIT)
    t.ok(p.returncode == 1, "run refuses a broken configuration with exit 1", p.stderr)
    t.ok("bad.conf:3:" in p.stderr and "bad.conf:5:" in p.stderr and "url" in p.stderr,
         "and reports every problem as file:line", p.stderr)
    t.ok(not os.path.exists(state), "nothing is created before the configuration is sound")

    # -- first start: every new source is polled at once
    d = Daemon(conf)
    t.ok(d.wait_all([fetched(n) for n, _ in base]), "a new daemon polls every new source at start", d.log())
    t.ok("event=start " in d.log(), "and logs its start", d.log())

    # -- SIGUSR1: poll everything now
    d.send(signal.SIGUSR1)
    got = d.wait_for(lambda l: "event=unchanged source=" in l, count=3)
    t.ok(len(got) == 3, "SIGUSR1 polls every source now (all 304)", d.log())

    # -- SIGHUP with a good file: one added, one removed, one changed
    changed = [("rss", ng.url("secretariat.xml", 1)), ("atom", ng.url("chairpersonship.rdf", 1)),
               ("extra", ng.url("media-freedom.xml", 1), {"interval": "2h"})]
    write_conf(conf, state, changed)
    d.send(signal.SIGHUP)
    res = d.wait_for("event=reload result=")
    t.ok(res and "result=ok" in res[0] and "added=1" in res[0] and "removed=1" in res[0]
         and "changed=1" in res[0], "SIGHUP reloads: added, changed and removed counted", d.log())
    t.ok(d.wait_all([fetched("extra"), fetched("atom")]), "the added source and the one with a new URL are polled", d.log())
    t.ok("event=removed source=media" in d.log(), "the removed source is logged", d.log())
    rows = eventually(lambda: (lambda r: r if r["extra"]["last_poll"] and r["atom"]["last_status"] == 200
                               else None)(sources(state))) or sources(state)
    t.ok(rows["atom"]["url"] == ng.url("chairpersonship.rdf", 1) and rows["atom"]["last_status"] == 200,
         "the changed source polls its new URL afresh", rows["atom"])
    t.ok(6000 <= rows["extra"]["next_poll"] - rows["extra"]["last_poll"] <= 8000,
         "the added source has its own interval (2h +-10%)", rows["extra"])

    # -- SIGHUP with a broken file: rejected, the old set keeps running
    with open(conf, "a") as f:
        f.write("[source broken]\ninterval = whenever\n")
    d.send(signal.SIGHUP)
    res = d.wait_for("event=reload result=")
    t.ok(res and "result=rejected" in res[0], "a broken file is rejected on SIGHUP", d.log())
    t.ok("feedmill.conf:" in d.log() and "whenever" in d.log(),
         "its problems are logged with file:line", d.log())
    d.send(signal.SIGUSR1)
    got = d.wait_for(lambda l: "event=unchanged source=" in l, count=3)
    t.ok(len(got) == 3 and d.proc.poll() is None,
         "the old configuration keeps running", d.log())
    status, secs = d.stop()
    t.ok(status == 0 and "event=stop signal=SIGTERM" in d.log(), "SIGTERM stops with exit 0", d.log())
    write_conf(conf, state, changed)

    # -- a restart resumes the stored schedule: nothing is due
    polls_before = {n: len(fetch_log(state, n)) for n in ("rss", "atom", "extra")}
    d = Daemon(conf, ["-v"])
    sched = d.wait_for("event=scheduled source=", count=3)
    t.ok(len(sched) == 3 and all("next=" in l and ("m" in l.split("next=")[1] or "h" in l.split("next=")[1])
                                  for l in sched),
         "after a restart every source resumes its stored schedule, minutes away", d.log())
    status, secs = d.stop()
    t.ok(status == 0 and {n: len(fetch_log(state, n)) for n in polls_before} == polls_before,
         "and none is polled at start", d.log())

    # -- the same restart three hours later: all overdue, spread, polled
    d = Daemon(conf, env_extra={"FEEDMILL_TIME_OFFSET": str(3 * 3600)})
    t.ok(d.wait_all([fetched(n) for n in ("rss", "atom", "extra")]), "with the clock three hours on, the overdue sources are polled", d.log())
    status, secs = d.stop()

    # -- SIGTERM with transfers in flight
    slow = changed + [("hang%d" % i, fs.url("/hang?%d" % i)) for i in range(3)]
    write_conf(conf, state, slow, "timeout = 5m\nmax_per_host = 4")
    d = Daemon(conf, ["-v"])
    started = d.wait_for(lambda l: "event=poll source=hang" in l, count=3)
    t.ok(len(started) == 3, "three transfers hang in flight", d.log())
    status, secs = d.stop()
    t.ok(status == 0 and secs < 5, "SIGTERM during transfers exits 0 within 5 s (%.2f s)" % secs, d.log())
    t.ok("event=stop signal=SIGTERM aborted=3" in d.log(), "the aborted transfers are counted", d.log())
    rows = sources(state)
    t.ok(all(rows["hang%d" % i]["failures"] == 0 and rows["hang%d" % i]["next_poll"] == 0
             for i in range(3)), "an aborted poll is not a failure and stays due", rows)
    t.ok(os.path.getsize(os.path.join(state, "feedmill.db")) > 0 and len(fetch_log(state, "rss")) > 0,
         "what was stored before survives", rows)

    # -- SIGHUP while transfers run: they are not dropped
    write_conf(conf, state, changed + [("hang-a", fs.url("/hang?a")), ("hang-b", fs.url("/hang?b"))],
               "timeout = 3s\nmax_per_host = 4")
    d = Daemon(conf, ["-v"])
    t.ok(d.wait_all([lambda l: "event=poll source=hang-a" in l, lambda l: "event=poll source=hang-b" in l]),
         "two transfers hang", d.log())
    write_conf(conf, state, changed + [("hang-b", ng.url("secretariat.xml", 1))],
               "timeout = 3s\nmax_per_host = 4")
    d.send(signal.SIGHUP)
    t.ok(d.wait_all([lambda l: "event=reload result=ok" in l,
                     lambda l: "event=failed source=hang-a" in l,
                     lambda l: "event=failed source=hang-b" in l,
                     fetched("hang-b")]),
         "a removed and a changed source finish their transfers, then the change applies", d.log())
    t.ok('event=removed source=hang-a note="its running transfer finishes first"' in d.log(),
         "the removal waits for the transfer, and says so", d.log())
    rows = eventually(lambda: (lambda r: r if r["hang-b"]["last_status"] == 200 else None)(sources(state))) \
        or sources(state)
    t.ok(rows["hang-b"]["url"] == ng.url("secretariat.xml", 1) and rows["hang-b"]["last_status"] == 200
         and rows["hang-b"]["failures"] == 0, "the changed source starts afresh at its new URL", rows["hang-b"])
    status, secs = d.stop()
    t.ok(status == 0, "and the daemon stops cleanly", d.log())

    # -- reloads that undo each other while a transfer runs
    flap = changed + [("flap", fs.url("/hang?flap")), ("back", fs.url("/hang?back"))]
    write_conf(conf, state, flap, "timeout = 3s\nmax_per_host = 4")
    d = Daemon(conf, ["-v"])
    t.ok(d.wait_all([lambda l: "event=poll source=flap" in l, lambda l: "event=poll source=back" in l]),
         "two more transfers hang", d.log())
    # flap: A -> B -> A; back: removed, then re-added at a new URL
    write_conf(conf, state, changed + [("flap", fs.url("/feed/flap-b"))], "timeout = 3s\nmax_per_host = 4")
    d.send(signal.SIGHUP)
    d.wait_for("event=reload result=")
    write_conf(conf, state, changed + [("flap", fs.url("/hang?flap")), ("back", fs.url("/feed/back-new"))],
               "timeout = 3s\nmax_per_host = 4")
    d.send(signal.SIGHUP)
    t.ok(d.wait_all([lambda l: "event=reload result=ok" in l,
                     lambda l: "event=failed source=flap" in l,
                     fetched("back")]), "both transfers end and the re-added source is polled", d.log())
    rows = eventually(lambda: (lambda r: r if r["back"]["last_status"] == 200 else None)(sources(state))) \
        or sources(state)
    t.ok(rows["flap"]["configured_url"] == fs.url("/hang?flap") and rows["flap"]["url"] == fs.url("/hang?flap")
         and fs.hits("/feed/flap-b") == 0,
         "a change undone by the next reload is not applied", rows["flap"])
    t.ok(rows["back"]["url"] == fs.url("/feed/back-new") and rows["back"]["configured_url"] == fs.url("/feed/back-new"),
         "a source re-added while its old transfer ran ends at its new URL", rows["back"])

    # -- one writer per state directory
    p = subprocess.run([FEEDMILL, "run", "--once", "-c", conf], capture_output=True, text=True, timeout=WAIT)
    t.ok(p.returncode == 1 and "another feedmill (pid %d)" % d.proc.pid in p.stderr,
         "a second feedmill on the same state directory is refused, naming the first", p.stderr)
    status, secs = d.stop()
    t.ok(status == 0, "the first stops cleanly", d.log())

    # -- SIGUSR1 does not override a server's Retry-After
    write_conf(conf, state, changed + [("limited", fs.url("/ratelimit?after=20000"))])
    d = Daemon(conf)
    t.ok(d.wait_all([lambda l: "event=failed source=limited status=429" in l]), "a source is rate limited", d.log())
    hits = fs.hits("/ratelimit")
    d.send(signal.SIGUSR1)
    t.ok(d.wait_all([lambda l: "event=poll-all" in l, fetched("rss")]), "SIGUSR1 polls the others", d.log())
    status, secs = d.stop()
    t.ok(fs.hits("/ratelimit") == hits, "but not the source a server asked to wait", d.log())

    # -- -q: warnings only
    write_conf(conf, state, changed + [("missing", ng.url("nothing-here.xml", 1))])
    status, err, secs = run_once(conf, args=["-q"])
    t.ok(status == 0 and "event=fetched" not in err and "event=unchanged" not in err and
         "event=failed source=missing status=404" in err, "-q logs warnings only", err)

    # -- the journal: priority prefixes when stderr is the journal stream
    logpath = os.path.join(work, "journal.log")
    with open(logpath, "w") as logf:
        st = os.fstat(logf.fileno())
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        subprocess.run([FEEDMILL, "run", "--once", "-c", conf], stderr=logf, env=env, timeout=WAIT)
    with open(logpath) as logf:
        lines = logf.read().splitlines()
    t.ok(lines and all(l[:3] in ("<6>", "<4>", "<7>", "<2>") for l in lines) and
         any(l.startswith("<4>event=failed source=missing") for l in lines) and
         any(l.startswith("<6>event=") for l in lines),
         "with JOURNAL_STREAM, lines carry sd-daemon priorities", lines)
    env = dict(os.environ, JOURNAL_STREAM="1:1")
    p = subprocess.run([FEEDMILL, "run", "--once", "-c", conf], capture_output=True, text=True,
                       env=env, timeout=WAIT)
    t.ok(p.stderr.startswith("feedmill: "), "a JOURNAL_STREAM naming another stream is ignored",
         p.stderr)

    # -- hostile text in a log line stays one line
    evil = changed + [("evil", fs.url("/status/500") + "?%0a%0dinjected=1")]
    write_conf(conf, state, evil)
    status, err, secs = run_once(conf)
    t.ok(all(l.startswith("feedmill: ") for l in err.splitlines()), "no forged log lines", err)

shutil.rmtree(work, ignore_errors=True)
t.done()
