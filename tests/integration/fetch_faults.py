#!/usr/bin/env python3
"""`feedmill run --once` against a real nginx and a fault server of our own
(tests/integration/httpfixtures.py): conditional GET, validators, redirects,
410, Retry-After, backoff, and every way a server can misbehave. For each
fault the source records a clear error and backs off as specified, and the
other sources are polled on time. TAP output.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402
from feedmilltest import FEEDMILL, Tap, fetch_log, run_once, sources, write_conf  # noqa: E402

INTERVAL = 1800
TIMEOUT = 6          # seconds; the faults that hang must end by this
t = Tap()
top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
work = tempfile.mkdtemp(prefix="feedmill-fetch-")
www = os.path.join(work, "www")
os.makedirs(www)
shutil.copy(os.path.join(top, "conf", "demo", "secretariat.xml"), os.path.join(www, "secretariat.xml"))
shutil.copy(os.path.join(top, "conf", "demo", "human-rights.atom"), os.path.join(www, "human-rights.atom"))
state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")


def backed_off(row, failures, retry_after=0):
    """next_poll as the man page says: interval x 2^failures +-10%, at
    least Retry-After."""
    want = min(INTERVAL * 2 ** failures, 86400)
    gap = row["next_poll"] - row["last_poll"]
    return max(want * 0.9, retry_after) - 1 <= gap <= max(want * 1.1, retry_after) + 1, gap


# nginx on 127.0.0.2, the fault server on 127.0.0.1: two hosts, so the
# per-host cap does not make the good sources wait for the bad ones
with httpfixtures.Nginx(www, os.path.join(work, "nginx"), hosts=2) as ng, httpfixtures.FaultServer() as fs:
    faults = {
        # name: (path, words the recorded error must contain)
        "err500": ("/status/500", "HTTP 500"),
        "err404": ("/status/404", "HTTP 404"),
        "hang": ("/hang", "too slow"),
        "hangheaders": ("/hang-headers", "too slow"),
        "drip": ("/drip", "too slow"),
        "loop": ("/loop/1", "redirects"),
        "selfloop": ("/redirect-self", "redirects"),
        "endless": ("/endless", "body larger than the limit"),
        "bigcl": ("/bigcl", "body larger than the limit"),
        "bomb": ("/gzipbomb", "body larger than the limit"),
        "reset": ("/reset", "reset"),
        "html": ("/html", "not a feed"),
        "garbage": ("/garbage", "not a feed"),
    }
    srcs = [("nginx-rss", ng.url("secretariat.xml", 1)), ("nginx-atom", ng.url("human-rights.atom", 1)),
            ("later", ng.url("later.xml", 1)),
            ("m301", fs.url("/moved301/a")), ("m308", fs.url("/moved308/b")),
            ("m302", fs.url("/moved302/c")), ("m307", fs.url("/moved307/d")),
            ("chain", fs.url("/chain-301-302/e")),
            ("gone", fs.url("/gone")),
            ("ratelimited", fs.url("/ratelimit?after=20000")),
            ("unavailable", fs.url("/unavailable?after=90")),
            ("unavailable-date", fs.url("/unavailable-date?in=30000"))]
    srcs += [(name, fs.url(path)) for name, (path, _) in faults.items()]
    # built before the clock starts: building it takes the server a while,
    # and a slow start is not what the bomb is meant to test
    httpfixtures.gzip_bomb()
    extra = "timeout = %ds\nconnect_timeout = 2s\nmax_body = 1M\ninterval = 30m" % TIMEOUT
    write_conf(conf, state, srcs, extra)

    status, err, secs = run_once(conf)
    t.ok(status == 0, "run --once exits 0 although sources fail", err)
    rows = sources(state)
    t.ok(len(rows) == len(srcs), "every source has a row in the database", rows.keys())
    t.ok(secs < TIMEOUT * 3 + 10, "hanging servers do not serialise the run (%.1f s)" % secs, err)

    # -- the good sources, first poll
    for name in ("nginx-rss", "nginx-atom"):
        r = rows[name]
        t.ok(r["last_status"] == 200 and r["failures"] == 0 and r["last_error"] is None,
             "%s: first poll is a 200 with no error" % name, r)
        t.ok(r["etag"] and r["last_modified"], "%s: ETag and Last-Modified are stored" % name, r)
        ok, gap = backed_off(r, 0)
        t.ok(ok, "%s: next poll one interval +-10%% away (%d s)" % (name, gap), r)
        t.ok("event=fetched source=%s status=200" % name in err, "%s: a fetched line is logged" % name, err)
    good_line = max(err.find("event=fetched source=nginx-rss"), err.find("event=fetched source=nginx-atom"))
    t.ok(0 <= good_line < err.find("event=failed source=hang "),
         "the good sources are done before the hanging ones time out", err)
    t.ok(rows["later"]["last_status"] == 404 and rows["later"]["failures"] == 1,
         "a missing file on nginx is a 404 failure", rows["later"])

    reqs = ng.requests(min_count=3)
    ua = [q["user_agent"] for q in reqs]
    t.ok(all(u and u.startswith("feedmill/") and "(+http" in u for u in ua),
         "the User-Agent names feedmill, its version and the project URL", ua)
    t.ok(all(q["accept_encoding"] and "gzip" in q["accept_encoding"] for q in reqs),
         "compressed transfer is asked for", reqs)

    # -- redirects
    t.ok(rows["m301"]["url"] == fs.url("/feed/a") and rows["m301"]["last_status"] == 200,
         "301: the stored URL moves to the target", rows["m301"])
    t.ok(rows["m308"]["url"] == fs.url("/feed/b"), "308: the stored URL moves", rows["m308"])
    t.ok(rows["m302"]["url"] == fs.url("/moved302/c") and rows["m302"]["last_status"] == 200,
         "302: followed, but the stored URL stays", rows["m302"])
    t.ok(rows["m307"]["url"] == fs.url("/moved307/d"), "307: the stored URL stays", rows["m307"])
    t.ok(rows["chain"]["url"] == fs.url("/chain-301-302/e"),
         "a 301 followed by a 302: the stored URL stays", rows["chain"])
    t.ok("event=moved source=m301" in err, "the move is logged", err)
    t.ok(rows["m301"]["configured_url"] == fs.url("/moved301/a"),
         "the configured URL is kept beside the moved one", rows["m301"])

    # -- 410
    t.ok(rows["gone"]["retired"] == 1 and rows["gone"]["last_status"] == 410,
         "410: the source is retired", rows["gone"])
    t.ok("event=retired source=gone" in err, "the retirement is logged", err)
    p = subprocess.run([FEEDMILL, "check-config", "-c", conf], capture_output=True, text=True)
    t.ok(p.returncode == 0 and "source 'gone' is retired" in p.stdout,
         "check-config shows the retired source", p.stdout + p.stderr)

    # -- Retry-After
    r = rows["ratelimited"]
    ok, gap = backed_off(r, 1, 20000)
    t.ok(r["last_status"] == 429 and ok and gap >= 20000,
         "429: Retry-After in seconds is honoured (%d s)" % gap, r)
    r = rows["unavailable"]
    ok, gap = backed_off(r, 1, 90)
    t.ok(r["last_status"] == 503 and ok,
         "503 with a short Retry-After: the longer backoff wins (%d s)" % gap, r)
    r = rows["unavailable-date"]
    ok, gap = backed_off(r, 1, 30000)
    t.ok(r["last_status"] == 503 and gap >= 29990 - 5,
         "503: Retry-After as an HTTP date is honoured (%d s)" % gap, r)

    # -- faults
    for name, (path, words) in faults.items():
        r = rows[name]
        ok, gap = backed_off(r, 1)
        t.ok(r["failures"] == 1 and r["last_error"] and words in r["last_error"],
             "%s: the error is recorded (%s)" % (name, r["last_error"]), r)
        t.ok(ok, "%s: backs off to twice the interval (%d s)" % (name, gap), r)
        log = fetch_log(state, name)
        t.ok(len(log) == 1 and log[0]["error"] == r["last_error"],
             "%s: the fetch log has the poll and its error" % name, log)
        t.ok(r["etag"] is None, "%s: no validators kept from a failed poll" % name, r)

    # -- second run: 304s, skips, backoff grows, a success resets the streak
    with open(os.path.join(www, "later.xml"), "w") as f:
        f.write("<?xml version='1.0'?><rss version='2.0'><channel><title>Later</title>"
                "<item><title>Now here</title><link>http://example.org/1</link></item>"
                "</channel></rss>\n")
    before_hits = {p: fs.hits(p) for p in ("/gone", "/ratelimit", "/unavailable-date")}
    status, err2, secs = run_once(conf)
    rows2 = sources(state)
    t.ok(status == 0, "second run exits 0", err2)
    reqs = ng.requests(min_count=6)
    rss = [q for q in reqs if q["uri"] == "/secretariat.xml"]
    t.ok(len(rss) == 2 and rss[1]["status"] == 304, "nginx answers the second poll with 304", rss)
    t.ok(rss[1]["if_none_match"] == rows["nginx-rss"]["etag"],
         "If-None-Match carries the stored ETag exactly", (rss[1], rows["nginx-rss"]["etag"]))
    t.ok(rss[1]["if_modified_since"] == rows["nginx-rss"]["last_modified"],
         "If-Modified-Since carries the stored Last-Modified exactly", rss[1])
    # nginx's 304 carries the strong ETag of the file where the gzipped 200
    # had a weak one: the newer validator is the one to keep
    t.ok(rows2["nginx-rss"]["last_status"] == 304 and rows2["nginx-rss"]["etag"] and
         rows2["nginx-rss"]["etag"].strip('W/') == rows["nginx-rss"]["etag"].strip('W/') and
         rows2["nginx-rss"]["last_modified"] == rows["nginx-rss"]["last_modified"],
         "a 304 keeps the validators", (rows["nginx-rss"], rows2["nginx-rss"]))
    t.ok("event=unchanged source=nginx-rss status=304" in err2, "the 304 is logged as unchanged", err2)
    t.ok(rows2["m301"]["last_status"] == 304 and fs.hits("/moved301/a") == 1,
         "a moved source is polled at its new URL", (rows2["m301"], fs.hits("/moved301/a")))
    t.ok(rows2["later"]["failures"] == 0 and rows2["later"]["last_status"] == 200 and
         rows2["later"]["last_error"] is None, "a success resets the error streak", rows2["later"])
    ok, gap = backed_off(rows2["later"], 0)
    t.ok(ok, "after the success the next poll is one interval away (%d s)" % gap, rows2["later"])
    for p in ("/gone", "/ratelimit", "/unavailable-date"):
        t.ok(fs.hits(p) == before_hits[p], "no request to %s on the second run" % p,
             (p, fs.hits(p), before_hits[p]))
    t.ok("event=skipped source=ratelimited reason=retry-after" in err2,
         "the Retry-After skip is logged", err2)
    r = rows2["err500"]
    ok, gap = backed_off(r, 2)
    t.ok(r["failures"] == 2 and ok, "two failures: four times the interval (%d s)" % gap, r)
    t.ok(rows2["unavailable"]["failures"] == 1, "a Retry-After of 90 s holds --once back too",
         rows2["unavailable"])

    # -- a later clock: the server's wait is over
    status, err3, secs = run_once(conf, {"FEEDMILL_TIME_OFFSET": "40000"})
    t.ok(fs.hits("/ratelimit") == before_hits["/ratelimit"] + 1,
         "once Retry-After has passed the source is polled again", err3)
    t.ok(fs.hits("/gone") == before_hits["/gone"], "a retired source stays retired", err3)
    t.ok(sources(state)["unavailable"]["failures"] == 2,
         "a short Retry-After that has passed does not hold the source", err3)

    # -- changing a retired source's URL brings it back
    srcs = [s if s[0] != "gone" else ("gone", ng.url("secretariat.xml", 1)) for s in srcs]
    write_conf(conf, state, srcs, extra)
    status, err4, secs = run_once(conf)
    r = sources(state)["gone"]
    t.ok(r["retired"] == 0 and r["last_status"] == 200, "a new URL un-retires the source", r)

shutil.rmtree(work, ignore_errors=True)
t.done()
