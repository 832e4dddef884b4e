#!/usr/bin/env python3
"""Releases end to end: the daemon polls the newsroom fixture
(tests/fixtures/newsroom: one release through an Atom, an RSS 2.0 and an
RDF feed, with doubled bodies, tracking parameters and three GUIDs) from a
real nginx, and the database holds each release once. Then the Atom feed is
revised (one paragraph changed, one added), and the same release is
updated. Polling again and again, or restarting, adds nothing. TAP output.
"""
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402
from feedmilltest import Tap, run_once, write_conf  # noqa: E402

t = Tap()
top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
fixtures = os.path.join(top, "tests", "fixtures", "newsroom")
work = tempfile.mkdtemp(prefix="feedmill-releases-")
www = os.path.join(work, "www")
os.makedirs(www)
for name in ("press.atom", "press.rss", "press.rdf"):
    shutil.copy(os.path.join(fixtures, name), os.path.join(www, name))
state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")
TITLE = "Coastal municipalities agree shared code for fishing vessel inspections"


def db():
    c = sqlite3.connect(os.path.join(state, "feedmill.db"))
    c.row_factory = sqlite3.Row
    return c


def releases():
    with db() as c:
        return [dict(r) for r in c.execute("SELECT * FROM release ORDER BY id")]


def deliveries(rid):
    with db() as c:
        return sorted(r["source"] for r in c.execute("SELECT source FROM delivery WHERE release = ?", (rid,)))


def counts(log, source):
    for line in log.splitlines():
        if "event=fetched source=%s " % source in line:
            return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return {}


with httpfixtures.Nginx(www, os.path.join(work, "nginx")) as ng:
    write_conf(conf, state, [("atom", ng.url("press.atom")), ("rss", ng.url("press.rss")),
                             ("rdf", ng.url("press.rdf"))])
    status, log, secs = run_once(conf)
    t.ok(status == 0, "the first poll runs", log)
    rel = releases()
    main = [r for r in rel if r["title"] == TITLE]
    t.ok(len(rel) == 2, "three feeds with four items hold two releases", [r["title"] for r in rel])
    t.ok(len(main) == 1, "the newsroom release is stored once", [r["title"] for r in rel])
    if main:
        m = main[0]
        paras = m["body_text"].split("\n\n")
        t.ok(len(paras) == 10, "with ten paragraphs, the doubled body counted once (%d)" % len(paras),
             m["body_text"])
        t.ok(m["body_html"].count("<p>") == 10, "its republished body has ten paragraphs", m["body_html"])
        t.ok(deliveries(m["id"]) == ["atom", "rdf", "rss"], "and three sources", deliveries(m["id"]))
        t.ok(m["canonical_link"] == "https://www.org.example/press/2026/11/coastal-inspection-code",
             "its canonical link has no tracking parameters", m["canonical_link"])
        t.ok(m["summary"].startswith("KESTREL BAY, 4 November 2026"), "its summary is the lead", m["summary"])
        t.ok(m["published"] == 1793784600, "it keeps the earliest date (the Atom feed's 09:30)", m["published"])
        t.ok("fbclid" not in m["body_html"] and "<script" not in m["body_html"], "the body is clean",
             m["body_html"])
    with db() as c:
        feeds = {r["name"]: (r["feed_title"], r["feed_link"], r["feed_id"])
                 for r in c.execute("SELECT name, feed_title, feed_link, feed_id FROM source")}
    # the Atom fixture gives only rel="self", so it has no alternate link
    t.ok(feeds.get("atom") == ("Organisation – press releases", None,
                               "tag:org.example,2026:press")
         and feeds.get("rss", ("",))[0] == "Organisation – office in Kestrel Bay",
         "each source keeps how its feed names itself (for <atom:source>)", feeds)
    total = sum(int(counts(log, s).get("new", 0)) for s in ("atom", "rss", "rdf"))
    dups = sum(int(counts(log, s).get("duplicate", 0)) for s in ("atom", "rss", "rdf"))
    t.ok(total == 2 and dups == 3, "the log counts 2 new and 3 duplicates across the sources", log)

    # -- polled again and again: nothing new
    for i in range(5):
        status, log2, secs = run_once(conf)
    t.ok(len(releases()) == 2, "five more polls (304s and restarts) add nothing", log2)

    # -- the revised Atom feed: the same release, updated
    shutil.copy(os.path.join(fixtures, "press-revised.atom"), os.path.join(www, "press.atom"))
    status, log3, secs = run_once(conf)
    rel = releases()
    main = [r for r in rel if r["title"] == TITLE]
    t.ok(len(rel) == 2 and len(main) == 1, "the revision is no second release", [r["title"] for r in rel])
    t.ok(counts(log3, "atom").get("updated") == "1", "the log counts one update", log3)
    if main:
        m = main[0]
        t.ok("9 March 2027" in m["body_text"] and "obtained that no inspection" in m["body_text"],
             "the stored text is the revised one", m["body_text"])
        t.ok(m["updated"] == 1793866500 and m["revisions"] == 1,
             "its updated time moves to the revision's", (m["updated"], m["revisions"]))
        t.ok(len(m["body_text"].split("\n\n")) == 11, "eleven paragraphs now", m["body_text"])
    status, log4, secs = run_once(conf)
    t.ok(len(releases()) == 2 and "updated=1" not in log4, "and polling it again changes nothing", log4)

    # -- a big feed: the ingest budget defers entries to later polls
    words = "harbour inspectors fishing code register training crews nets review quay".split()
    items = []
    for i in range(3000):
        body = "".join("<p>Item %d paragraph %d: %s.</p>" % (i, k, " ".join(words[(i + k + j) % 10] for j in range(12)))
                       for k in range(6))
        items.append("<item><title>Notice %d</title><link>https://big.example/n/%d</link>"
                     "<guid>big-%d</guid><description><![CDATA[%s]]></description></item>" % (i, i, i, body))
    with open(os.path.join(www, "big.rss"), "w") as f:
        f.write("<?xml version='1.0'?><rss version='2.0'><channel><title>Big</title>%s</channel></rss>"
                % "".join(items))
    write_conf(conf, state, [("big", ng.url("big.rss"))])
    logs = []
    for run in range(40):
        status, log, secs = run_once(conf)
        logs.append(log)
        if "event=deferred" not in log:
            break
    with db() as c:
        n = c.execute("SELECT count(*) FROM delivery WHERE source = 'big'").fetchone()[0]
    t.ok(n == 3000, "a feed of 3000 entries is ingested in full over %d polls" % len(logs), logs[-1])
    t.ok(all("status=200" in l for l in logs if "source=big" in l),
         "a poll that left entries waiting is followed by a full fetch, not a 304", "\n".join(logs))
    status, log, secs = run_once(conf)
    t.ok("event=unchanged source=big status=304" in log, "once all are in, the next poll is a 304", log)

shutil.rmtree(work, ignore_errors=True)
t.done()
