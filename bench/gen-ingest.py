#!/usr/bin/env python3
"""Generate the ingest benchmark's input: 5 RSS 2.0 feeds and their truth.

usage: gen-ingest.py OUTDIR [ITEMS]

Writes each feed as files of at most ITEMS_PER_FILE items, oldest first
(OUTDIR/f1.000.xml, f1.001.xml, ..., f5.NNN.xml), OUTDIR/MANIFEST.tsv (file,
feed, bytes, items; a feed's files in order) and OUTDIR/truth.tsv. The
output depends only on the fixed seed and ITEMS (default 100000), so every
run and every machine measures the same bytes.

A *release* is one piece of news; an *item* is one copy of it in one feed.
The releases:

  - a title and 4-12 paragraphs of prose from the small grammar below (the
    releases that get an edited update have 13-16: see EDIT_MIN_PARAS);
  - 30% are syndicated: 2-5 of the 5 feeds carry a copy, each copy with its
    own GUID, a date within a day of the others and a link carrying
    tracking parameters (utm_*, fbclid, gclid, mc_cid/mc_eid, a fragment).
    The first copy links to the issuer's page; each further copy does
    too, or in one case in three to the feed's own permalink, so that
    matching by link, by fingerprint and by paragraph overlap all have
    work. (A release in one feed links to the issuer's page, with
    tracking parameters half the time.) Some issuers' pages carry a real
    query (news.php?id=N&lang=en), which must survive canonicalisation;
  - 10% of all copies have the body doubled: pasted in twice (ABCABC) or
    every paragraph twice in place (AABBCC);
  - 5% get an edited update: a later copy where one paragraph is changed
    and one added, dated later (<pubDate>, or <atom:updated> when it is
    the same GUID). Three kinds, a third each: the same feed and GUID
    (edit-guid), a new GUID linking to the issuer's page (edit-link), a
    new GUID on the feed's own permalink (edit-overlap, which only the
    paragraph overlap can catch);
  - 60% end with 1-3 boilerplate paragraphs from a small set (contact
    lines, "Follow us on ...", disclaimers), the same on every copy; and
    feed f5 ends every item with its own "Follow us on ..." line;
  - 1-3 categories, the same on every copy, and in three later copies in
    ten one more of the feed's own;
  - 2% carry a recurring title ("Weekly press briefing"), with a body of
    their own: same title, different release.

Each feed writes its paragraphs its own way (<p>, <p> with inline markup,
<div> wrappers, <br><br>, plain text with blank lines; CDATA or escaped),
as real feeds do. Items in a feed are oldest first: the order a daemon
polling it meets them.

truth.tsv, a line an item: feed, position in the feed (0-based), true
release id, kind (single, copy, edit-guid, edit-link, edit-overlap),
flags (d = doubled body, b = release boilerplate, o = feed's own
permalink, t = recurring title, - = none), number of content paragraphs,
title.
"""

import os
import random
import re
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

SEED = 20251129
DEFAULT_ITEMS = 100000
FEEDS = 5
SYNDICATED = 0.30
DOUBLED = 0.10
EDITED = 0.05
BOILERPLATE = 0.60
RECURRING_TITLE = 0.02
# Each feed is written as files of this many items, oldest first (a feed's
# pages): well under the parser's caps on entries and bytes a document.
ITEMS_PER_FILE = 5000
# feedmill's update_overlap is 0.8. An edit changes one of n paragraphs
# and adds one: n - 1 in common out of n + 2 distinct in the two versions,
# (n - 1) / (n + 2) >= 0.8 from n = 13 on.
EDIT_MIN_PARAS = 13
EDIT_MAX_PARAS = 16
START = datetime(2025, 3, 1, 6, 0, tzinfo=timezone.utc)
# a release every 5 minutes on average: a busy aggregation of newsrooms
SPACING_S = 300

# ---- words -------------------------------------------------------------------
# A hand-written grammar; every name in it is invented.

ISSUERS = [
    ("Northvale Water Authority", "northvale-water"),
    ("Carrow Basin Commission", "carrow-basin"),
    ("Institute for Coastal Resilience", "coastal-resilience"),
    ("Merrowfield District Council", "merrowfield"),
    ("Ostrava Plains Transit Board", "ostrava-plains"),
    ("League of Upland Growers", "upland-growers"),
    ("Council for Open Archives", "open-archives"),
    ("Halvorsen Foundation", "halvorsen"),
    ("Brightmoor Health Trust", "brightmoor-health"),
    ("Silverreach Port Agency", "silverreach-port"),
    ("Tamsin Valley Schools Network", "tamsin-schools"),
    ("Office of the Fen Ombudsman", "fen-ombudsman"),
]
PEOPLE = [
    "Director Odile Marchetti", "Chair Rasmus Holloway", "Commissioner Priya Anand",
    "Spokesperson Yusuf Kettering", "Chief Engineer Maren Solberg",
    "Deputy Mayor Callum Ferreira", "Dr. Ingrid Vasquez-Lowe",
    "Programme Lead Tobias Nakamura", "Trustee Amara Lindqvist",
    "Harbourmaster Declan Ossery", "Superintendent Lotte Brandvold",
    "Ombudsman Ezra Whitcombe", "Councillor Nell Ashdown",
    "Treasurer Kofi Adjei-Marsh", "Curator Sabine Rothmere",
]
PLACES = [
    "Lower Ashby", "Kestrel Point", "Millbrook", "Port Elder", "Farran Heights",
    "Greywater", "Saint Oriel", "Dunmere", "Hollins Cross", "Westerly Reach",
    "Cobb's Landing", "Marrowgate", "Fenwick Vale", "Thornbury Quay",
    "Eastholm", "Rilla Ford", "Corvan", "Pellham Marsh", "Brackenridge",
]
PROJECTS = [
    "flood barrier upgrade", "river restoration scheme", "school meals pilot",
    "harbour dredging programme", "rural broadband extension",
    "heritage archive digitisation", "bus network redesign",
    "community health survey", "wetland monitoring network",
    "apprenticeship fund", "coastal path repair", "seed bank expansion",
    "clinic refurbishment", "library outreach service", "air quality study",
    "storm drain inspection", "youth employment initiative",
    "ferry timetable review", "tree planting drive", "water meter rollout",
]
ADJ = [
    "ambitious", "long-awaited", "revised", "expanded", "independent",
    "regional", "three-year", "first", "joint", "interim", "annual",
    "comprehensive", "phased", "small-scale", "pilot", "final",
]
VERB_PAST = [
    "announced", "approved", "completed", "launched", "published", "welcomed",
    "reviewed", "extended", "confirmed", "opened", "endorsed", "presented",
]
VERB_INF = [
    "reduce", "improve", "widen", "strengthen", "simplify", "speed up",
    "protect", "measure", "modernise", "support", "restore", "open up",
]
OBJECTS = [
    "access to clean water", "waiting times", "public transport links",
    "the quality of local records", "protection against high tides",
    "support for small farms", "the reliability of the supply",
    "training places for young people", "access to primary care",
    "habitats along the estuary", "the safety of school routes",
    "the response to complaints", "the upkeep of public buildings",
    "the data available to residents", "the cost of repairs",
]
GROUPS = [
    "residents", "local businesses", "parents", "farmers", "patients",
    "commuters", "researchers", "volunteers", "fishing crews", "students",
    "tenants", "visitors", "carers", "contractors",
]
NUMBERS = [
    "two", "three", "four", "five", "six", "eight", "ten", "twelve", "fifteen",
    "twenty", "forty", "sixty", "several hundred", "more than a thousand",
]
UNITS = ["households", "sites", "kilometres of track", "applications",
         "classrooms", "hectares", "boreholes", "vehicles", "volunteers",
         "homes", "clinics", "reports"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
CATEGORIES = ["Water", "Transport", "Health", "Education", "Environment",
              "Archives", "Agriculture", "Ports", "Governance", "Housing",
              "Funding", "Consultations"]
TITLE_FORMS = [
    "{issuer} {verb} {adj} {project} in {place}",
    "{place}: {adj} {project} {verb_pres}",
    "{person} opens {project} at {place}",
    "{issuer} to {vinf} {object} with {project}",
    "New {project} for {place} {verb_pass}",
    "{number} {units} covered by {place} {project}",
    "Update on the {project} in {place}",
    "{issuer} sets out plans to {vinf} {object}",
]
RECURRING_TITLES = [
    "Weekly press briefing", "Statement by the spokesperson",
    "Notice of public meeting", "Monthly service update",
]
SENTENCES = [
    "{issuer} {verb} the {adj} {project} in {place} on {weekday}.",
    "The work is expected to {vinf} {object} for {number} {units} by {month}.",
    "\u201cThis is {adjq} news for {group} in {place} and {place2},\u201d said {person}.",
    "{person} thanked the {number} {group} in {place} who took part in the "
    "consultation on the {project}.",
    "Work on the {project} will begin in {month} and run until {month2}, at a "
    "cost of {money}.",
    "The {adj} {project} follows a review of {object} across {place}.",
    "Funding of {money} for the {project} comes from the {fund}.",
    "{group_cap} can find details at the {place} office from {weekday} {day} "
    "{month} or online.",
    "The {adj} report on {object} in {place} will be published in {month}.",
    "The {project} builds on earlier work in {place} and {place2} with {number} {units}.",
    "So far {number} {units} in {place} have been included, {person} said.",
    "Officials will meet {group} in {place} on {weekday} {day} {month}.",
    "The aim is to {vinf} {object} in {place} without disrupting {group}.",
    "Comments on the {project} proposals may be sent to the {place} office "
    "until {day} {month}.",
    "Independent monitors will check progress on the {project} in {place} every "
    "{period} until {month}.",
    "{issuer} said the {project} had cost {money} less than first planned.",
]
ADJQ = ["good", "welcome", "important", "encouraging", "practical", "real"]
FUNDS = ["regional development fund", "capital grants programme",
         "national resilience budget", "community benefit scheme",
         "joint infrastructure account", "small projects pot"]
PERIODS = ["month", "quarter", "six months", "year"]
SLOT_WORDS = dict(
    issuer=[i[0] for i in ISSUERS], verb=VERB_PAST, verb_pres=VERB_PAST,
    verb_pass=VERB_PAST, adj=ADJ, adjq=ADJQ, project=PROJECTS, place=PLACES,
    person=PEOPLE, vinf=VERB_INF, object=OBJECTS, group=GROUPS, number=NUMBERS,
    units=UNITS, month=MONTHS, month2=MONTHS, weekday=WEEKDAYS, fund=FUNDS,
    period=PERIODS,
)

BOILER_CONTACT = [
    "For further information contact the press office of {issuer}, "
    "press@{slug}.example, telephone +00 100 {n:04d}.",
    "For further information contact the media desk: media@{slug}.example.",
]
BOILER_FOLLOW = [
    "Follow us on the Fediverse at @news@{slug}.example and subscribe to our newsletter.",
    "Follow us on social media for updates from {issuer}.",
]
BOILER_DISCLAIMER = [
    "Disclaimer: this press release is issued for information only and does not "
    "constitute an official record. Figures are provisional and may be revised.",
    "Disclaimer: the views expressed by speakers quoted in this release are their "
    "own and do not necessarily reflect the position of the issuing body.",
    "Notes to editors: photographs from the event are available on request. "
    "Please credit the issuing organisation.",
]

# The feeds, each writing bodies its own way (see body_markup).
FEED_NAMES = ["f1", "f2", "f3", "f4", "f5"]
FEED_TITLES = ["Wire service", "Regional portal", "Mirror", "Gazette", "Digest"]
FEED_HOSTS = ["wire.example.net", "portal.example.org", "mirror.example.com",
              "gazette.example.net", "digest.example.org"]
F5_FOOTER = ("Follow us on the Digest channel for the day's releases from "
             "every newsroom we cover.")

TRACKING = [
    "?utm_source={feed}&utm_medium=rss",
    "?utm_source={feed}&utm_medium=feed&utm_campaign=daily",
    "?fbclid=IwAR{rnd}",
    "?gclid=Cj0K{rnd}",
    "?mc_cid={rnd6}&mc_eid={rnd6}",
    "#main",
    "?utm_source=x&utm_content={rnd6}#top",
]


def _cap(s):
    return s[0].upper() + s[1:]


class _Slots(dict):
    """The values of a form's slots, drawn as the form asks for them."""

    def __init__(self, rng, fixed):
        super().__init__()
        self.r = rng
        self.fixed = fixed

    def __missing__(self, k):
        r, fx = self.r, self.fixed
        if fx.get(k):
            v = fx[k]
        elif k == "place2":
            place = self["place"]
            v = place
            while v == place:
                v = r.choice(PLACES)
        elif k == "group_cap":
            v = _cap(self["group"])
        elif k == "day":
            v = r.randint(1, 28)
        elif k == "money":
            v = "{:,} {}".format(r.randint(2, 950) * 1000, r.choice(["crowns", "marks", "units"]))
        else:
            v = r.choice(SLOT_WORDS[k])
        self[k] = v
        return v


class Words:
    def __init__(self, rng):
        self.r = rng

    def fill(self, form, **fixed):
        return _cap(form.format_map(_Slots(self.r, fixed)))

    def title(self, issuer, project, place):
        return self.fill(self.r.choice(TITLE_FORMS), issuer=issuer, project=project,
                         place=place)

    def paragraph(self, issuer, project, place):
        n = self.r.randint(2, 3)
        return " ".join(self.fill(self.r.choice(SENTENCES), issuer=issuer,
                                  project=project if self.r.random() < 0.5 else None,
                                  place=place if self.r.random() < 0.5 else None)
                        for _ in range(n))


def rfc822(dt):
    return format_datetime(dt, usegmt=True)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def body_markup(feed, paras, rng):
    """The HTML (or text) a feed carries for these paragraphs, and whether it
    goes in content:encoded (True) or description (False)."""
    if feed == 0:	# wire: plain <p>, CDATA content:encoded
        return "\n".join("<p>%s</p>" % escape(p) for p in paras), True
    if feed == 1:	# portal: the first sentence in <strong>, a class, some &nbsp;
        out = []
        for i, p in enumerate(paras):
            t = escape(p)
            if i == 0 and ". " in t:
                head, tail = t.split(". ", 1)
                t = "<strong>%s.</strong> %s" % (head, tail)
            out.append('<p class="body">%s</p>' % t.replace(" said ", "&nbsp;said "))
        return "".join(out), False
    if feed == 2:	# mirror: a wrapper div, paragraphs as divs
        return ('<div class="article">\n' +
                "\n".join("  <div>%s</div>" % escape(p) for p in paras) +
                "\n</div>"), True
    if feed == 3:	# gazette: one block, paragraphs split by <br><br>
        return "<br><br>\n".join(escape(p) for p in paras), False
    # digest: plain text, paragraphs separated by blank lines
    return "\n\n".join(paras), False


def cdata(s):
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_item(out, f, it, rng):
    html, encoded = body_markup(f, it["body"], rng)
    out.write("<item>\n<title>%s</title>\n<link>%s</link>\n"
              '<guid isPermaLink="false">%s</guid>\n<pubDate>%s</pubDate>\n'
              % (escape(it["title"]), escape(it["link"]), it["guid"], rfc822(it["when"])))
    if it["updated"] is not None:
        out.write("<atom:updated>%s</atom:updated>\n" % iso(it["updated"]))
    if it["author"]:
        out.write("<dc:creator>%s</dc:creator>\n" % escape(it["author"]))
    for c in it["cats"]:
        out.write("<category>%s</category>\n" % escape(c))
    if encoded:
        out.write("<description>%s</description>\n" % escape(it["body"][0]))
        out.write("<content:encoded>%s</content:encoded>\n" % cdata(html))
    else:
        out.write("<description>%s</description>\n" % escape(html))
    out.write("</item>\n")


def main():
    if len(sys.argv) < 2 or len(sys.argv) > 3:
        sys.exit("usage: gen-ingest.py OUTDIR [ITEMS]")
    outdir = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_ITEMS
    rng = random.Random(SEED)
    w = Words(rng)
    items = []          # (sortkey, feed, dict)
    rel = 0
    guid_no = 0
    t = START

    while len(items) < want:
        rel += 1
        t += timedelta(seconds=rng.randint(SPACING_S // 4, SPACING_S * 7 // 4))
        issuer, slug = rng.choice(ISSUERS)
        project, place = rng.choice(PROJECTS), rng.choice(PLACES)
        edited = rng.random() < EDITED
        npara = rng.randint(EDIT_MIN_PARAS, EDIT_MAX_PARAS) if edited else rng.randint(4, 12)
        recurring = rng.random() < RECURRING_TITLE
        title = rng.choice(RECURRING_TITLES) if recurring else w.title(issuer, project, place)
        paras = [w.paragraph(issuer, project, place) for _ in range(npara)]
        boiler = []
        if rng.random() < BOILERPLATE:
            vals = dict(issuer=issuer, slug=slug, n=ISSUERS.index((issuer, slug)))
            if rng.random() < 0.8:
                boiler.append(rng.choice(BOILER_CONTACT).format(**vals))
            if rng.random() < 0.5:
                boiler.append(rng.choice(BOILER_FOLLOW).format(**vals))
            if rng.random() < 0.5 or not boiler:
                boiler.append(rng.choice(BOILER_DISCLAIMER))
        if rng.random() < 0.25:
            origin = "https://www.%s.example/news.php?id=%d&lang=en" % (slug, rel)
        else:
            origin = "https://www.%s.example/press/%d/%s-%d" % (
                slug, t.year, re.sub("[^a-z0-9]+", "-", title.lower()).strip("-")[:48], rel)
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        author = " ".join(rng.choice(PEOPLE).split()[-2:]) if rng.random() < 0.5 else None
        ncopies = rng.randint(2, 5) if rng.random() < SYNDICATED else 1
        feeds = rng.sample(range(FEEDS), ncopies)
        flags = "t" if recurring else ""
        if boiler:
            flags += "b"
        copies = []
        for k, f in enumerate(feeds):
            guid_no += 1
            when = t + timedelta(seconds=0 if k == 0 else rng.randint(60, 86399))
            own = ncopies > 1 and k > 0 and rng.random() < 1 / 3
            if own:
                link = "https://%s/item/%d" % (FEED_HOSTS[f], guid_no)
            else:
                link = origin
            if k > 0 or rng.random() < 0.5:
                tr = rng.choice(TRACKING).format(feed=FEED_NAMES[f],
                                                 rnd="%016x" % rng.getrandbits(64),
                                                 rnd6="%06x" % rng.getrandbits(24))
                if "?" in link and tr.startswith("?"):
                    tr = "&" + tr[1:]
                link += tr
            # feeds file a release under categories of their own too
            ccats = cats
            if k > 0 and rng.random() < 0.3:
                ccats = cats + [c for c in rng.sample(CATEGORIES, 1) if c not in cats]
            copies.append(dict(feed=f, when=when, link=link, own=own,
                               guid="%s-%d" % (FEED_NAMES[f], guid_no),
                               kind="single" if ncopies == 1 else "copy",
                               paras=paras, title=title, updated=None, cats=ccats))
        if edited:
            base = rng.choice(copies)
            last = max(c["when"] for c in copies)
            later = last + timedelta(seconds=rng.randint(3600, 2 * 86400))
            new = list(paras)
            ci = rng.randrange(len(new))
            new[ci] = new[ci] + " " + w.fill(
                "The figures were confirmed on {weekday} {day} {month}.")
            new.insert(rng.randint(1, len(new)),
                       "Update: " + w.paragraph(issuer, project, place))
            etitle = ("Updated: " + title) if rng.random() < 0.3 else title
            kind = rng.choice(["edit-guid", "edit-link", "edit-overlap"])
            guid_no += 1
            if kind == "edit-guid":
                e = dict(base, kind=kind, paras=new, title=etitle, updated=later)
            else:
                f = rng.randrange(FEEDS)
                if kind == "edit-link":
                    link = origin + ("&" if "?" in origin else "?") + \
                        "utm_source=%s&utm_medium=update" % FEED_NAMES[f]
                else:
                    link = "https://%s/item/%d" % (FEED_HOSTS[f], guid_no)
                e = dict(feed=f, when=later, link=link, own=kind == "edit-overlap",
                         guid="%s-%d" % (FEED_NAMES[f], guid_no), kind=kind,
                         paras=new, title=etitle, updated=None, cats=cats)
            copies.append(e)
        for c in copies:
            body = list(c["paras"]) + boiler
            cflags = flags + ("o" if c["own"] else "")
            if rng.random() < DOUBLED:
                cflags += "d"
                if rng.random() < 0.5:
                    body = body + body
                else:
                    body = [p for p in body for _ in (0, 1)]
            if c["feed"] == 4:
                body.append(F5_FOOTER)
            sortkey = c["updated"] or c["when"]
            items.append((sortkey, c["feed"], dict(
                c, rel=rel, body=body, flags=cflags or "-", author=author,
                npara=len(c["paras"]))))

    # The last release may overshoot: keep the first `want` items in time
    # order, which cuts only copies of the newest releases.
    items.sort(key=lambda x: (x[0], x[1]))
    items = items[:want]
    os.makedirs(outdir, exist_ok=True)
    per_feed = [[] for _ in range(FEEDS)]
    for _, f, it in items:
        per_feed[f].append(it)
    manifest = []
    header = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
              ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
              ' xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
              "<title>%s</title>\n<link>https://%s/</link>\n"
              "<description>Press releases, aggregated</description>\n")
    with open(os.path.join(outdir, "truth.tsv"), "w", encoding="utf-8") as truth:
        for f in range(FEEDS):
            name = FEED_NAMES[f]
            for first in range(0, max(len(per_feed[f]), 1), ITEMS_PER_FILE):
                fname = "%s.%03d.xml" % (name, first // ITEMS_PER_FILE)
                path = os.path.join(outdir, fname)
                chunk = per_feed[f][first:first + ITEMS_PER_FILE]
                with open(path, "w", encoding="utf-8") as out:
                    out.write(header % (FEED_TITLES[f], FEED_HOSTS[f]))
                    for pos, it in enumerate(chunk, first):
                        write_item(out, f, it, rng)
                        truth.write("%s\t%d\t%d\t%s\t%s\t%d\t%s\n" % (
                            name, pos, it["rel"], it["kind"], it["flags"], it["npara"],
                            it["title"].replace("\t", " ")))
                    out.write("</channel>\n</rss>\n")
                manifest.append("%s\t%s\t%d\t%d\n" % (fname, name, os.path.getsize(path),
                                                        len(chunk)))
    with open(os.path.join(outdir, "MANIFEST.tsv"), "w") as m:
        m.writelines(manifest)


if __name__ == "__main__":
    main()
