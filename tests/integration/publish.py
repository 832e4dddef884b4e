#!/usr/bin/env python3
"""Publishing end to end, as a feed reader sees it: `feedmill run --once`
polls four feeds of our own (file:// URLs: an RSS feed with a doubled body
and tracking parameters, an Atom feed that carries one of its items again,
a feed of 25 notices, a hostile feed) and publishes all.atom, a feed per
field of work and per source, RFC 5005 archives (max_entries = 10),
index.html and feeds.opml. Checked: the layout; every entry's id, title,
links, dates, summary, content, categories and source; the feed-level
elements; newest first; the archive walk from each feed reaching every
release, before and after new releases, with complete pages kept as they
are; a revised release keeping its id; nothing rewritten when nothing
changed and byte-identical files from the same state; hostile input inert;
the RFC 4287 schema (jing, with tests/fixtures/atom/atom.rnc from RFC 4287
Appendix B, and the two Schematron rules here), feedparser and newsboat
(fetching all.atom from nginx). TAP output.

jing, newsboat and Debian's /usr/bin/python3 with python3-feedparser are
needed; a missing one fails its checks.
"""
import datetime
import difflib
import email.utils
import html
import html.parser
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402
from feedmilltest import FIELDS_CONF, Tap, run_once, write_conf  # noqa: E402

t = Tap()
top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(top, "tests", "fixtures", "atom", "atom.rnc")
JING = "/usr/bin/jing"
NEWSBOAT = "/usr/bin/newsboat"
SYSTEM_PYTHON = "/usr/bin/python3"     # Debian's, with python3-feedparser

work = tempfile.mkdtemp(prefix="feedmill-publish-")
feeds_dir = os.path.join(work, "feeds")
os.makedirs(feeds_dir)
state = os.path.join(work, "state")
out = os.path.join(state, "public")
conf = os.path.join(work, "feedmill.conf")
BASE = "https://feeds.example.org/pub/"
PER = 10

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
NOW = int(time.time())
HOUR = 3600


def ago(hours):
    return NOW - int(hours * HOUR)


def rfc822(ts):
    return email.utils.formatdate(ts, usegmt=True)


def rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write(name, text):
    p = os.path.join(feeds_dir, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


def cdata(s):
    return "<![CDATA[" + s + "]]>"


def paras(ps):
    return "".join("<p>%s</p>" % p for p in ps)


# ---- the taxonomy's fields, from conf/fields.conf ----
FIELDS = {}         # slug -> name
with open(FIELDS_CONF, encoding="utf-8") as f:
    name = None
    for line in f:
        m = re.match(r"^\[field (.+)\]\s*$", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"^slug\s*=\s*(\S+)\s*$", line)
        if m and name is not None:
            FIELDS[m.group(1)] = name
            name = None

# ---- the feeds ----
A1_P = ["Election observers deployed across the country ahead of the parliamentary elections, "
        "the observation mission said on Monday.",
        "The mission's core team opened its office in the capital and will meet the central "
        "election commission this week.",
        "Long-term observers will follow the campaign, the media coverage and the preparations "
        "for election day in every region.",
        "A statement of preliminary findings will be published the day after the vote."]
A1_P2_REVISED = ("The mission's core team opened its office in the capital and met the central "
                 "election commission on Wednesday.")
A1_P5 = "Short-term observers arrive two weeks before the vote and visit polling stations."
A1_TITLE = "Observers deploy ahead of parliamentary elections"
A1_LINK = "https://alpha.example/news/observers-deploy?id=7"
A1_TRACKED = A1_LINK + "&amp;utm_source=rss&amp;utm_medium=feed&amp;utm_campaign=spring"
A2_P = ["Prosecutors and judges met to discuss identifying victims of trafficking in human "
        "beings, at a training course in the port city.",
        "Participants compared cases of forced labour and sexual exploitation and the support "
        "offered to victims of trafficking."]
A2_TITLE = "Training for judges on fighting human trafficking"
B2_P = ["Young people from twelve countries met at a youth forum to discuss how young people "
        "can take part in public life.",
        "The youth delegates adopted recommendations on youth participation and volunteering."]
B2_TITLE = "Youth forum brings young people together"
H1_P_OK = ["Poll workers in the northern district counted the ballots twice before the results "
           "were sent to the commission.",
           "Ballot papers were kept in sealed boxes overnight in every polling station."]
H1_BODY = ("<p>%s</p><script>alert(1)</script><p>See <img src=x onerror=alert(1)> the "
           "<a href=\"javascript:alert(1)\">full report</a> of the district.</p><p>%s</p>"
           % (H1_P_OK[0], H1_P_OK[1]))
# CR LF, markup, an ampersand and quotes, as XML text
H1_TITLE_XML = "Breaking&#13;&#10;news: &lt;b&gt;bold&lt;/b&gt; &amp; \"quotes\" from the district"

WORDS = ("harbour quay crane ledger lantern timber rope anchor tide gull beacon pier dredger "
         "barge warehouse ferry pilot buoy chart compass drydock hull keel mast oar rudder "
         "sail slipway tug wharf cargo manifest tariff berth mooring").split()


def bulk_item(i):
    rng = random.Random(1000 + i)
    body = "".join("<p>Notice %d, part %d: %s.</p>" % (i, k, " ".join(rng.choice(WORDS) for _ in range(14)))
                   for k in range(3))
    return ("<item><title>Bulk notice %02d</title><link>https://bulk.example/n/%d</link>"
            "<guid isPermaLink=\"false\">bulk-%d</guid><pubDate>%s</pubDate>"
            "<description>%s</description></item>\n"
            % (i, i, i, rfc822(ago(40 - i)), cdata(body)))


def rss(title, link, items):
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
            "<title>%s</title><link>%s</link><description>News</description>\n%s</channel></rss>\n"
            % (title, link, "".join(items)))


def alpha_feed(revised=False):
    body = A1_P if not revised else [A1_P[0], A1_P2_REVISED, A1_P[2], A1_P[3], A1_P5]
    a1 = ("<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">alpha-1</guid>"
          "<pubDate>%s</pubDate><description>%s</description></item>\n"
          % (A1_TITLE, A1_TRACKED, rfc822(ago(48)), cdata(paras(body) + paras(body))))
    a2 = ("<item><title>%s</title><link>https://alpha.example/news/judges-training</link>"
          "<guid isPermaLink=\"false\">alpha-2</guid><pubDate>%s</pubDate>"
          "<description>%s</description></item>\n"
          % (A2_TITLE, rfc822(ago(44)), cdata(paras(A2_P))))
    return rss("Alpha News", "https://alpha.example/", [a1, a2])


BETA_ID = "tag:beta.example,2026:wire"
BETA = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>%(id)s</id>
  <title>Beta Wire</title>
  <updated>%(upd)s</updated>
  <link rel="alternate" href="https://beta.example/"/>
  <entry>
    <id>tag:beta.example,2026:b1</id>
    <title>%(a1title)s</title>
    <link rel="alternate" href="%(a1link)s"/>
    <published>%(b1date)s</published>
    <updated>%(b1date)s</updated>
    <content type="html">%(a1body)s</content>
  </entry>
  <entry>
    <id>tag:beta.example,2026:b2</id>
    <title>%(b2title)s</title>
    <link rel="alternate" href="https://beta.example/youth-forum"/>
    <author><name>Beta Desk</name></author>
    <published>%(b2date)s</published>
    <updated>%(b2date)s</updated>
    <content type="html">%(b2body)s</content>
  </entry>
</feed>
""" % {"id": BETA_ID, "upd": rfc3339(ago(10)), "a1title": A1_TITLE, "a1link": A1_LINK.replace("&", "&amp;"),
       "b1date": rfc3339(ago(47)), "a1body": html.escape(paras(A1_P)),
       "b2title": B2_TITLE, "b2date": rfc3339(ago(10)), "b2body": html.escape(paras(B2_P))}

HOSTILE = rss("Hostile Feed", "https://hostile.example/", [
    "<item><title>%s</title><link>javascript:alert(2)</link><guid isPermaLink=\"false\">hostile-1</guid>"
    "<pubDate>%s</pubDate><description>%s</description></item>\n"
    % (H1_TITLE_XML, rfc822(ago(6)), cdata(H1_BODY))])


def bulk_feed(n):
    return rss("Bulk Office", "https://bulk.example/", [bulk_item(i) for i in range(1, n + 1)])


alpha = write("alpha.rss", alpha_feed())
beta = write("beta.atom", BETA)
bulk = write("bulk.rss", bulk_feed(25))
hostile = write("hostile.rss", HOSTILE)
SOURCES = {"alpha": "Alpha News", "beta": "Beta Wire", "bulk": "Bulk Office", "hostile": "Hostile Feed"}
write_conf(conf, state, [("alpha", "file://" + alpha), ("beta", "file://" + beta),
                         ("bulk", "file://" + bulk), ("hostile", "file://" + hostile)],
           extra="max_entries = %d\nbase_url = %s" % (PER, BASE))

# ---- helpers: the published files ----


def publish():
    """run --once; (status, log, the event=published figures or None)."""
    status, log, _ = run_once(conf)
    m = re.search(r"event=published releases=(\d+) feeds=(\d+) written=(\d+) unchanged=(\d+)"
                  r"( full=yes)? ms=(\d+)", log)
    figures = None
    if m:
        figures = {"releases": int(m.group(1)), "feeds": int(m.group(2)),
                   "written": int(m.group(3)), "unchanged": int(m.group(4)),
                   "full": m.group(5) is not None}
    return status, log, figures


def files():
    """Every published file: relative path -> (bytes, mtime_ns)."""
    got = {}
    for d, _, names in os.walk(out):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                got[os.path.relpath(p, out)] = (f.read(), os.stat(p).st_mtime_ns)
    return got


def atom_files():
    return sorted(p for p in files() if p.endswith(".atom"))


def load(rel):
    return ET.parse(os.path.join(out, rel)).getroot()


def links(el):
    return [(l.get("rel", "alternate"), l.get("href"), l.get("type")) for l in el.findall(ATOM + "link")]


def link(el, rel):
    for r, href, _ in links(el):
        if r == rel:
            return href
    return None


def text(el, name):
    c = el.find(ATOM + name)
    return None if c is None else (c.text or "")


def when(s):
    try:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def entry_info(e):
    e.tail = None       # the whitespace after it is the document's
    src = e.find(ATOM + "source")
    author = e.find(ATOM + "author")
    content = e.find(ATOM + "content")
    return {
        "id": text(e, "id"), "title": text(e, "title"), "alternate": link(e, "alternate"),
        "published": text(e, "published"), "updated": text(e, "updated"),
        "summary": text(e, "summary"),
        "content": None if content is None else (content.text or ""),
        "content_type": None if content is None else content.get("type"),
        "categories": [(c.get("term"), c.get("label"), c.get("scheme")) for c in e.findall(ATOM + "category")],
        "source": None if src is None else {"id": text(src, "id"), "title": text(src, "title"),
                                            "alternate": link(src, "alternate")},
        "author": None if author is None else text(author, "name"),
        "xml": ET.tostring(e),
    }


def entries(root):
    return [entry_info(e) for e in root.findall(ATOM + "entry")]


def rel_of(href):
    return href[len(BASE):] if href and href.startswith(BASE) else None


def walk(rel):
    """Follow prev-archive from a feed's current document; (list of (path,
    root), problem or None)."""
    docs, seen, cur = [], set(), rel
    while cur is not None:
        if cur in seen:
            return docs, "prev-archive loops back to %s" % cur
        if len(docs) > 50:
            return docs, "more than 50 documents"
        seen.add(cur)
        if not os.path.exists(os.path.join(out, cur)):
            return docs, "%s is linked but not published" % cur
        root = load(cur)
        docs.append((cur, root))
        href = link(root, "prev-archive")
        if href is not None and rel_of(href) is None:
            return docs, "prev-archive %s is not under base_url" % href
        cur = rel_of(href)
    return docs, None


def walk_entries(rel):
    docs, problem = walk(rel)
    got = {}
    for _, root in docs:
        for e in entries(root):
            got.setdefault(e["id"], e)
    return got, docs, problem


def db_rows(sql, args=()):
    c = sqlite3.connect(os.path.join(state, "feedmill.db"))
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def uid_of(entry_id):
    return entry_id.rsplit("/", 1)[-1] if entry_id else None


def db_fields():
    """uid -> set of field slugs, from the store."""
    got = {}
    for uid, field in db_rows("SELECT r.uid, f.field FROM release r LEFT JOIN release_field f "
                              "ON f.release = r.id"):
        got.setdefault(uid, set())
        if field is not None:
            got[uid].add(field)
    return got


def by_title(es, start):
    return [e for e in es.values() if (e["title"] or "").startswith(start)]


FEEDPARSER = r"""
import json, sys
import feedparser
got = {}
for p in sys.argv[1:]:
    d = feedparser.parse(p)
    got[p] = [bool(d.bozo), len(d.entries), repr(d.get("bozo_exception", ""))]
print(json.dumps(got))
"""


def feedparser_check(label):
    paths = [os.path.join(out, p) for p in atom_files()]
    try:
        p = subprocess.run([SYSTEM_PYTHON, "-c", FEEDPARSER] + paths, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        got = json.loads(p.stdout.decode() or "{}")
        err = p.stderr.decode()
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        got, err = {}, str(e)
    bad = ["%s: %s" % (os.path.relpath(k, out), v[2]) for k, v in sorted(got.items()) if v[0]]
    t.ok(len(got) == len(paths) and not bad,
         "%s: feedparser reads all %d .atom files without bozo" % (label, len(paths)),
         "\n".join(bad) or err)
    wrong = []
    for k, v in sorted(got.items()):
        n = len(load(os.path.relpath(k, out)).findall(ATOM + "entry"))
        if v[1] != n:
            wrong.append("%s: feedparser %d, the file %d" % (os.path.relpath(k, out), v[1], n))
    t.ok(len(got) == len(paths) and not wrong, "%s: feedparser finds every entry" % label,
         "\n".join(wrong) or err)


def jing_check(label):
    paths = atom_files()
    try:
        p = subprocess.run([JING, "-c", SCHEMA] + paths, cwd=out, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        status, msg = p.returncode, p.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        status, msg = -1, str(e)
    t.ok(status == 0 and msg.strip() == "",
         "%s: all %d .atom files are valid against the RFC 4287 schema (jing)" % (label, len(paths)), msg)


def schematron_check(label):
    """RFC 4287's two Schematron rules, which jing does not check."""
    bad = []
    for rel in atom_files():
        root = load(rel)
        es = root.findall(ATOM + "entry")
        if root.find(ATOM + "author") is None and any(e.find(ATOM + "author") is None for e in es):
            bad.append("%s: neither the feed nor every entry has an author" % rel)
        for e in es:
            rels = [l.get("rel", "alternate") for l in e.findall(ATOM + "link")]
            if "alternate" not in rels and e.find(ATOM + "content") is None:
                bad.append("%s: entry %s has no alternate link and no content" % (rel, text(e, "id")))
    t.ok(not bad, "%s: every .atom file keeps RFC 4287's Schematron rules (author, alternate or content)"
         % label, "\n".join(bad))


def feed_level_check(label, version):
    """Every document: id, title, updated = newest entry's, self and
    alternate links, generator with the version, newest first."""
    bad, order = [], []
    for rel in atom_files():
        root = load(rel)
        es = entries(root)
        fid = text(root, "id")
        if not fid or not fid.startswith("tag:"):
            bad.append("%s: feed id %r" % (rel, fid))
        if not text(root, "title"):
            bad.append("%s: no title" % rel)
        upd = when(text(root, "updated"))
        if upd is None:
            bad.append("%s: updated %r" % (rel, text(root, "updated")))
        elif es and upd != max(when(e["updated"]) for e in es):
            bad.append("%s: updated %s, the newest entry's is %s" % (rel, text(root, "updated"),
                                                                      max(e["updated"] for e in es)))
        if link(root, "self") != BASE + rel:
            bad.append("%s: self link %r" % (rel, link(root, "self")))
        if not link(root, "alternate"):
            bad.append("%s: no alternate link" % rel)
        g = root.find(ATOM + "generator")
        if g is None or g.get("version") != version or "feedmill" not in (g.text or ""):
            bad.append("%s: generator %r" % (rel, None if g is None else (g.text, g.attrib)))
        dates = [when(e["published"]) for e in es]
        if None in dates or dates != sorted(dates, reverse=True):
            order.append("%s: %s" % (rel, [e["published"] for e in es]))
    t.ok(not bad, "%s: every document has id, title, updated = its newest entry's, self and "
         "alternate links, generator %s" % (label, version), "\n".join(bad))
    t.ok(not order, "%s: entries are newest first by <published> in every document" % label,
         "\n".join(order))


def archive_check(label):
    """Archive pages: fh:archive, rel=current; the current documents have
    no fh:archive; every archive page is reached from its feed."""
    bad, reached = [], set()
    for rel in atom_files():
        if rel.startswith("archive/"):
            continue
        docs, problem = walk(rel)
        if problem:
            bad.append("%s: %s" % (rel, problem))
        for p, root in docs:
            reached.add(p)
            if p == rel:
                if root.find(FH + "archive") is not None:
                    bad.append("%s: the current document says fh:archive" % p)
                if len(root.findall(ATOM + "entry")) > PER:
                    bad.append("%s: %d entries, max_entries is %d" % (p, len(root.findall(ATOM + "entry")), PER))
                continue
            if root.find(FH + "archive") is None:
                bad.append("%s: no <fh:archive/>" % p)
            if link(root, "current") != BASE + rel:
                bad.append("%s: rel=current %r, expected %s" % (p, link(root, "current"), BASE + rel))
            if len(root.findall(ATOM + "entry")) != PER:
                bad.append("%s: an archive page of %d entries" % (p, len(root.findall(ATOM + "entry"))))
    unreached = [p for p in atom_files() if p.startswith("archive/") and p not in reached]
    t.ok(not bad, "%s: archive pages have <fh:archive/> and rel=current, current documents do not, "
         "every walk ends" % label, "\n".join(bad))
    t.ok(not unreached, "%s: every archive page is reached by prev-archive links" % label,
         "\n".join(unreached))


def consistency_check(label):
    """An entry is the same element wherever it is published, and the
    documents of a feed carry what the store says they should."""
    seen, differ = {}, []
    for rel in atom_files():
        for e in entries(load(rel)):
            if e["id"] in seen and seen[e["id"]][1] != e["xml"]:
                differ.append("%s differs between %s and %s" % (e["id"], seen[e["id"]][0], rel))
            seen.setdefault(e["id"], (rel, e["xml"]))
    t.ok(not differ, "%s: an entry is identical in every document that carries it" % label,
         "\n".join(differ[:10]))
    # fields: categories and field feeds agree with the store
    want = db_fields()
    every, _, _ = walk_entries("all.atom")
    bad = []
    if set(uid_of(i) for i in every) != set(want):
        bad.append("all.atom and its archives: %d releases, the store %d"
                   % (len(every), len(want)))
    for eid, e in every.items():
        terms = [c[0] for c in e["categories"]]
        if sorted(terms) != sorted(want.get(uid_of(eid), ())):
            bad.append("%s (%s): categories %s, store %s" % (eid, e["title"], terms,
                                                              sorted(want.get(uid_of(eid), ()))))
        for term, label_, scheme in e["categories"]:
            if FIELDS.get(term) != label_ or scheme != BASE + "fields/":
                bad.append("%s: category %r label %r scheme %r" % (eid, term, label_, scheme))
    for slug in FIELDS:
        got, _, problem = walk_entries("fields/%s.atom" % slug)
        expect = set(u for u, fs in want.items() if slug in fs)
        if problem or set(uid_of(i) for i in got) != expect:
            bad.append("fields/%s.atom: %d releases, the store %d %s" % (slug, len(got), len(expect),
                                                                           problem or ""))
    t.ok(not bad, "%s: one category (slug, field name, base_url fields/) per field of each entry, and "
         "each field feed carries exactly its releases" % label, "\n".join(bad[:20]))


def inert_check(label):
    """Hostile input: nothing executable in any published file."""
    bad = []
    for rel, (data, _) in sorted(files().items()):
        if rel.endswith((".atom", ".opml")):
            try:
                root = ET.fromstring(data)
            except ET.ParseError as e:
                bad.append("%s: not XML: %s" % (rel, e))
                continue
            texts = []
            for el in root.iter():
                texts += [el.text or "", el.tail or ""] + list(el.attrib.values())
            decoded = "\n".join(texts)
        else:
            decoded = data.decode("utf-8", "replace") + "\n" + html.unescape(data.decode("utf-8", "replace"))
        for bad_word in ("<script", "onerror", "javascript:"):
            if bad_word in decoded.lower():
                i = decoded.lower().index(bad_word)
                bad.append("%s: %r in %r" % (rel, bad_word, decoded[max(0, i - 60):i + 60]))
        if rel.endswith(".atom"):
            for e in ET.fromstring(data).iter(ATOM + "title"):
                if "\r" in (e.text or "") or "\n" in (e.text or ""):
                    bad.append("%s: a title with a line break: %r" % (rel, e.text))
    t.ok(not bad, "%s: no <script, onerror or javascript: in any published file (the escaped "
         "HTML decoded), no line break in a title" % label, "\n".join(bad[:20]))


def full_checks(label, version):
    feed_level_check(label, version)
    archive_check(label)
    consistency_check(label)
    schematron_check(label)
    inert_check(label)
    jing_check(label)
    feedparser_check(label)


# ==== the first publish ====
status, log, fig = publish()
t.ok(status == 0 and fig is not None and fig["full"] and fig["written"] > 0,
     "run --once polls and publishes everything (full=yes)", log)
m = re.search(r"event=start version=(\S+)", log)
VERSION = m.group(1) if m else "?"

# -- layout
expect = ["all.atom", "index.html", "feeds.opml"] + ["fields/%s.atom" % s for s in FIELDS] + \
         ["sources/%s.atom" % s for s in SOURCES]
missing = [p for p in expect if not os.path.isfile(os.path.join(out, p))]
t.ok(len(FIELDS) == 23 and not missing,
     "all.atom, fields/<slug>.atom for the %d fields, sources/<name>.atom, index.html, feeds.opml"
     % len(FIELDS), "missing: %s" % missing)
stray = [p for p in files() if p not in expect and not re.match(r"^archive/(all|fields/[a-z0-9-]+|"
                                                             r"sources/[a-z]+)/\d+\.atom$", p)]
t.ok(not stray, "nothing else is left in output_dir (no temporary files)", stray)

# -- entries
everything, all_docs, problem = walk_entries("all.atom")
n_releases = db_rows("SELECT count(*) FROM release")[0][0]
t.ok(n_releases == 29, "the store holds 29 releases (the Atom feed's copy of A1 is no second one)",
     n_releases)
cur = entries(load("all.atom"))
t.ok(len(cur) == PER and link(load("all.atom"), "prev-archive") is not None,
     "all.atom holds max_entries = %d entries and links rel=prev-archive" % PER,
     (len(cur), links(load("all.atom"))))
t.ok(problem is None and len(everything) == n_releases,
     "prev-archive links from all.atom reach all %d releases (%d documents)" % (n_releases, len(all_docs)),
     "%s; reached %d" % (problem, len(everything)))
bulk_seen, bulk_docs, problem = walk_entries("sources/bulk.atom")
want_bulk = set("Bulk notice %02d" % i for i in range(1, 26))
t.ok(problem is None and set(e["title"] for e in bulk_seen.values()) == want_bulk
     and len(entries(bulk_docs[0][1])) == PER,
     "sources/bulk.atom holds 10 and its archives the other notices: all 25 reached (%d documents)"
     % len(bulk_docs), "%s; %s" % (problem, sorted(e["title"] for e in bulk_seen.values())))

a1 = by_title(everything, A1_TITLE)
t.ok(len(a1) == 1, "the release from two feeds is one entry", [e["title"] for e in everything.values()])
A1 = a1[0] if a1 else entry_info(ET.Element("x"))
t.ok(re.match(r"^tag:[A-Za-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:\S+$", A1["id"] or "") is not None,
     "its <id> is a tag: URI", A1["id"])
t.ok(A1["alternate"] == A1_LINK, "its rel=alternate link is the original without utm_ parameters",
     A1["alternate"])
t.ok(when(A1["published"]) == when(rfc3339(ago(48))) and when(A1["updated"]) is not None,
     "its <published> is the earliest date the feeds gave, and it has <updated>",
     (A1["published"], A1["updated"]))
t.ok(A1["summary"] == A1_P[0], "its <summary> is the lead paragraph", A1["summary"])
counts = [(A1["content"] or "").count(p) for p in A1_P]
t.ok(A1["content_type"] == "html" and counts == [1, 1, 1, 1],
     "its <content type=\"html\"> has each paragraph once, though the feed doubled them", A1["content"])
t.ok("Also published by" in (A1["content"] or "") and
     any(n in A1["content"] for n in ("alpha", "beta", "Alpha News", "Beta Wire")),
     "the content's footer names the other feed that carried it", A1["content"])
t.ok(("elections", "Elections", BASE + "fields/") in A1["categories"],
     "it has <category term=elections label=Elections scheme=base_url/fields/>", A1["categories"])
src = A1["source"] or {}
t.ok((src.get("title"), src.get("alternate")) in (("Alpha News", "https://alpha.example/"),
                                                  ("Beta Wire", "https://beta.example/"))
     and src.get("id") and (src.get("title") != "Beta Wire" or src.get("id") == BETA_ID),
     "its <source> names a feed that carried it (title, id, link)", src)
b2 = by_title(everything, B2_TITLE)
B2 = b2[0] if b2 else entry_info(ET.Element("x"))
t.ok(B2["source"] == {"id": BETA_ID, "title": "Beta Wire", "alternate": "https://beta.example/"},
     "an Atom feed's entry has <source> with that feed's id, title and link", B2["source"])
t.ok(B2["author"] == "Beta Desk", "an entry's author is kept", B2["author"])
a2 = by_title(everything, A2_TITLE)
t.ok(a2 and (a2[0]["source"] or {}).get("title") == "Alpha News" and a2[0]["source"].get("id"),
     "an RSS feed's entry has <source> with the channel's title and an id",
     a2 and a2[0]["source"])
no_src = [e["title"] for e in everything.values() if not e["source"] or not e["source"]["title"]
          or not e["source"]["id"]]
missing_bits = [e["title"] for e in everything.values()
                if not (e["id"] and e["title"] and e["published"] and e["updated"] and e["summary"]
                        and e["content_type"] == "html" and e["content"])]
t.ok(not no_src and not missing_bits,
     "every entry has id, title, published, updated, summary, content type=html and a source",
     "no source: %s\nmissing elements: %s" % (no_src, missing_bits))
ids = {}
for name in SOURCES:
    got, _, _ = walk_entries("sources/%s.atom" % name)
    ids[name] = got
t.ok(A1["id"] in ids["alpha"] and A1["id"] in ids["beta"]
     and A1["id"] in walk_entries("fields/elections.atom")[0],
     "the same id in all.atom, fields/elections.atom and both sources' feeds",
     {k: sorted(e["title"] for e in v.values()) for k, v in ids.items()})
t.ok(sorted(e["title"] for e in ids["alpha"].values()) == sorted([A1_TITLE, A2_TITLE])
     and sorted(e["title"] for e in ids["beta"].values()) == sorted([A1_TITLE, B2_TITLE])
     and len(ids["hostile"]) == 1,
     "each source's feed holds what that source delivered",
     {k: sorted(e["title"] for e in v.values()) for k, v in ids.items()})

# -- the hostile item
h1 = [e for e in everything.values() if "bold" in (e["title"] or "")]
H1 = h1[0] if h1 else entry_info(ET.Element("x"))
t.ok(len(h1) == 1 and "\r" not in H1["title"] and "\n" not in H1["title"] and "quotes" in H1["title"],
     "the hostile title is one line", H1["title"])
t.ok(H1["alternate"] is None, "a javascript: item link gives no rel=alternate link", H1["alternate"])
low = (H1["content"] or "").lower()
t.ok(all(p in (H1["content"] or "") for p in H1_P_OK) and "<script" not in low and "onerror" not in low
     and "javascript:" not in low,
     "its content keeps the text and loses the script, the onerror and the javascript: link",
     H1["content"])

full_checks("first publish", VERSION)

# the schema check is live: jing refuses all.atom without its <id>
with open(os.path.join(out, "all.atom"), encoding="utf-8") as f:
    broken = re.sub(r"\n  <id>[^<]*</id>", "", f.read(), count=1)
with open(os.path.join(work, "no-id.atom"), "w", encoding="utf-8") as f:
    f.write(broken)
try:
    p = subprocess.run([JING, "-c", SCHEMA, os.path.join(work, "no-id.atom")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    status, msg = p.returncode, p.stdout.decode("utf-8", "replace")
except (OSError, subprocess.TimeoutExpired) as e:
    status, msg = 0, str(e)
t.ok(status != 0 and "id" in msg, "jing with tests/fixtures/atom/atom.rnc refuses a feed without <id>", msg)

# -- index.html


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.alternates, self.anchors, self.scripts, self.handlers, self.text = [], [], 0, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append((a.get("type"), a.get("href")))
        if tag == "a":
            self.anchors.append(a.get("href"))
        if tag == "script":
            self.scripts += 1
        self.handlers += [k for k in a if k.lower().startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
    index = f.read()
page = Page()
page.feed(index)
absolute = lambda href: urllib.parse.urljoin(BASE + "index.html", href or "")  # noqa: E731
auto = set(absolute(h) for ty, h in page.alternates if ty == "application/atom+xml")
want = set([BASE + "all.atom"] + [BASE + "fields/%s.atom" % s for s in FIELDS])
t.ok(want <= auto, "index.html has autodiscovery <link rel=alternate type=application/atom+xml> for "
     "all.atom and the 23 field feeds", sorted(want - auto))
anchors = set(absolute(h) for h in page.anchors)
t.ok(set(BASE + "fields/%s.atom" % s for s in FIELDS) <= anchors and BASE + "all.atom" in anchors,
     "index.html has a subscribe link for each field and for all.atom",
     sorted(set(BASE + "fields/%s.atom" % s for s in FIELDS) - anchors))
t.ok(page.scripts == 0 and "<script" not in index.lower() and not page.handlers,
     "index.html has no <script> and no on* attributes", page.handlers)
t.ok("bold" in "".join(page.text) and "<b>" not in index.lower(),
     "index.html shows the hostile title escaped, no <b> from the feed",
     [l for l in index.splitlines() if "bold" in l])
t.ok(A1_TITLE in "".join(page.text) and B2_TITLE in "".join(page.text),
     "index.html lists the latest releases", index[:2000])

# -- feeds.opml
try:
    opml = ET.parse(os.path.join(out, "feeds.opml")).getroot()
    xml_urls = set(o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl"))
    opml_error = ""
except ET.ParseError as e:
    xml_urls, opml_error = set(), str(e)
want = set([BASE + "all.atom"] + [BASE + "fields/%s.atom" % s for s in FIELDS] +
           [BASE + "sources/%s.atom" % s for s in SOURCES])
t.ok(not opml_error and xml_urls == want,
     "feeds.opml is XML with an outline xmlUrl for each of the %d published feeds" % len(want),
     opml_error or "missing %s, extra %s" % (sorted(want - xml_urls), sorted(xml_urls - want)))

# -- a reader: newsboat fetches all.atom from nginx
with httpfixtures.Nginx(out, os.path.join(work, "nginx")) as ng:
    nb = os.path.join(work, "newsboat")
    os.makedirs(nb)
    with open(os.path.join(nb, "urls"), "w") as f:
        f.write(ng.url("all.atom") + "\n")
    env = dict(os.environ, HOME=nb, XDG_CONFIG_HOME=nb, XDG_DATA_HOME=nb, TERM="dumb",
               no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
    try:
        p = subprocess.run([NEWSBOAT, "-u", os.path.join(nb, "urls"), "-c", os.path.join(nb, "cache.db"),
                            "-C", "/dev/null", "-x", "reload"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, env=env)
        nb_status, nb_out = p.returncode, p.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        nb_status, nb_out = -1, str(e)
    requests = ng.requests(min_count=1)
rows = []
if os.path.exists(os.path.join(nb, "cache.db")):
    c = sqlite3.connect(os.path.join(nb, "cache.db"))
    rows = c.execute("SELECT title, guid, url FROM rss_item").fetchall()
    c.close()
t.ok(nb_status == 0 and any(r["uri"] == "/all.atom" and r["status"] == 200 for r in requests),
     "newsboat -x reload fetches all.atom from nginx", "%s %s %s" % (nb_status, nb_out, requests))
cur = entries(load("all.atom"))
t.ok(sorted(r[0] for r in rows) == sorted(e["title"] for e in cur),
     "newsboat's cache holds the titles of all.atom's entries",
     "newsboat %s\nall.atom %s" % (sorted(r[0] for r in rows), sorted(e["title"] for e in cur)))
t.ok(sorted((r[1], r[2]) for r in rows) == sorted((e["id"], e["alternate"] or "") for e in cur),
     "and their ids and links", "newsboat %s\nall.atom %s"
     % (sorted((r[1], r[2]) for r in rows), sorted((e["id"], e["alternate"]) for e in cur)))

# ==== nothing changed: nothing written ====
before = files()
status, log, fig = publish()
after = files()
t.ok(status == 0 and fig is not None and fig["written"] == 0,
     "publishing again with nothing new writes nothing (written=0)", log)
t.ok(after == before, "and every file is byte-identical and untouched",
     [p for p in set(before) | set(after) if before.get(p) != after.get(p)])

# ==== a revised release: the same id ====
old_a1 = A1
old_files = files()
write("alpha.rss", alpha_feed(revised=True))
status, log, fig = publish()
everything, _, problem = walk_entries("all.atom")
a1 = by_title(everything, A1_TITLE)
A1 = a1[0] if a1 else entry_info(ET.Element("x"))
t.ok(status == 0 and len(a1) == 1 and A1["id"] == old_a1["id"] and len(everything) == 29,
     "the revised release keeps its id, and is no new release", (old_a1["id"], [e["id"] for e in a1]))
t.ok(when(A1["updated"]) is not None and when(old_a1["updated"]) is not None
     and when(A1["updated"]) > when(old_a1["updated"]) and A1["published"] == old_a1["published"],
     "its <updated> moves on, <published> stays", (old_a1["published"], old_a1["updated"],
                                                   A1["published"], A1["updated"]))
c = A1["content"] or ""
t.ok(c.count(A1_P2_REVISED) == 1 and c.count(A1_P5) == 1 and A1_P[1] not in c
     and all(c.count(p) == 1 for p in (A1_P[0], A1_P[2], A1_P[3])),
     "its content is the revised text, each paragraph once", c)
now_files = files()
carriers = sorted(p for p, (data, _) in old_files.items()
                  if p.endswith(".atom") and old_a1["id"].encode() in data)
same = [p for p in carriers if now_files.get(p, (None,))[0] == old_files[p][0]]
t.ok(len(carriers) >= 4 and not same,
     "every document that carries it is rewritten (%d)" % len(carriers),
     "carriers %s, unchanged %s" % (carriers, same))
in_feed = {}
for rel in ("fields/elections.atom", "sources/alpha.atom", "sources/beta.atom"):
    got, _, _ = walk_entries(rel)
    in_feed[rel] = got.get(A1["id"], {}).get("updated")
t.ok(all(v == A1["updated"] for v in in_feed.values()),
     "its field and source feeds carry it with the same id and the new <updated>", in_feed)
untouched = [p for p in ("sources/bulk.atom", "sources/hostile.atom", "fields/youth.atom")
             if now_files.get(p) != old_files.get(p)]
t.ok(not untouched and fig is not None and not fig["full"],
     "feeds that do not carry it are not rewritten", "%s %s" % (untouched, log))

# ==== three new releases: complete archive pages stay as they are ====
before = files()
archived_before = {p: v[0] for p, v in before.items() if p.startswith("archive/")}
write("bulk.rss", bulk_feed(28))
status, log, fig = publish()
after = files()
changed = sorted(p for p in archived_before if after.get(p, (None,))[0] != archived_before[p])
t.ok(status == 0 and archived_before and not changed,
     "three new releases: the %d archive pages already written are byte-identical"
     % len(archived_before), "\n".join(
         "%s:\n%s" % (p, "\n".join(l for l in difflib.unified_diff(
             archived_before[p].decode().splitlines(),
             after.get(p, (b"",))[0].decode().splitlines(), lineterm="", n=0)))
         for p in changed))


def page_entries(data):
    got = []
    for e in ET.fromstring(data).findall(ATOM + "entry"):
        e.tail = None
        got.append(ET.tostring(e))
    return sorted(got)


changed_entries = [p for p in archived_before
                   if p in after and page_entries(after[p][0]) != page_entries(archived_before[p])]
t.ok(not changed_entries and all(p in after for p in archived_before),
     "and no archive page's set of entries changed (RFC 5005 section 4)", changed_entries)
everything, _, problem = walk_entries("all.atom")
n_releases = db_rows("SELECT count(*) FROM release")[0][0]
t.ok(problem is None and n_releases == 32 and len(everything) == 32,
     "prev-archive links from all.atom still reach every release (32)", "%s %d %d"
     % (problem, n_releases, len(everything)))
bulk_seen, bulk_docs, problem = walk_entries("sources/bulk.atom")
t.ok(problem is None and set(e["title"] for e in bulk_seen.values())
     == set("Bulk notice %02d" % i for i in range(1, 29)),
     "and from sources/bulk.atom all 28 notices", sorted(e["title"] for e in bulk_seen.values()))
new_page = [p for p in after if p.startswith("archive/all/") and p not in archived_before]
t.ok(len(new_page) == 1, "a newly complete page of all.atom is archived", new_page)
touched = sorted(p for p in after if after[p] != before.get(p))
t.ok(fig is not None and fig["written"] == len(touched),
     "written= counts each file put in place once, the new page too (%d)" % len(touched),
     "%s\ntouched: %s" % (log, touched))

full_checks("after new releases", VERSION)

# ==== the same state, the same files ====
before = files()
status, log, fig = publish()
after = files()
t.ok(status == 0 and fig is not None and fig["written"] == 0 and after == before,
     "with archives: publishing again writes nothing and touches no file",
     "%s\n%s" % (log, [p for p in set(before) | set(after) if before.get(p) != after.get(p)]))
shutil.rmtree(out)
status, log, fig = publish()
after = files()
diff = sorted(p for p in set(before) | set(after)
              if (before.get(p) or (None,))[0] != (after.get(p) or (None,))[0])
t.ok(status == 0 and not diff,
     "output_dir deleted, the same state publishes byte-identical files (%d files)" % len(before),
     "%s\ndiffering or missing: %s" % (log, diff))

# one archive page deleted by hand: a reader walking back would meet a 404
os.unlink(os.path.join(out, "archive/all/0.atom"))
status, log, fig = publish()
after2 = files()
t.ok(status == 0 and after2.get("archive/all/0.atom", (None,))[0] == before["archive/all/0.atom"][0],
     "an archive page deleted by hand is published again, byte-identical", log)

shutil.rmtree(work, ignore_errors=True)
t.done()
