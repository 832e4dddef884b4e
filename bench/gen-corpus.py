#!/usr/bin/env python3
"""Generate the parser benchmark corpus: RSS 2.0, RSS 1.0 (RDF) and Atom 1.0.

usage: gen-corpus.py OUTDIR [TOTAL_MB]

Writes OUTDIR/*.xml and OUTDIR/MANIFEST.tsv (file, format, bytes, entries).
The output depends only on the fixed seed and TOTAL_MB, so every run (and
every machine) measures the same bytes.

The feeds imitate a newsroom: press releases with a title, a lead, several
HTML paragraphs with links, emphasis and entities, categories, dates and an
author. The text is produced from a small hand-written grammar below; it is
not taken from any real site. What matters for a parser benchmark is the
shape, so each format carries its bodies the way real feeds do:

  RSS 2.0   <description> escaped HTML summary, <content:encoded> in CDATA
  RSS 1.0   <description> plain summary, <content:encoded> escaped HTML,
            dc:date / dc:creator / dc:subject
  Atom 1.0  <summary type="text">, <content type="html"> escaped, relative
            links resolved against xml:base
"""

import os
import random
import sys
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

SEED = 20250601
DEFAULT_TOTAL_MB = 50
# Files of a few MB, as a big real feed is: far under any parser's document
# cap (each must stay under 16 MB), and enough of them that the start-up of
# the programs that take one file a process is noise.
FILE_TARGET_BYTES = 4 * 1024 * 1024
FORMATS = ("rss20", "rdf", "atom")

# ---- a small grammar for press-release prose ------------------------------

BODIES = [
    "the Regional Office", "the Secretariat", "the Field Mission",
    "the Parliamentary Assembly", "the Representative on Media Freedom",
    "the High Commissioner", "the Chairmanship", "the Project Co-ordinator",
    "the Centre for Democratic Institutions", "the Special Monitoring Team",
    "the Border Management Staff College", "the Office for Economic Affairs",
]
PEOPLE = [
    "Ambassador Ilse Marenholt", "Director Tomasz Wierzbicki",
    "Head of Mission Aoife Brennan", "Secretary General Haruto Lind",
    "Deputy Head Nadia Okonkwo-Sørensen", "Co-ordinator Luís Ferreira",
    "Special Envoy Kaja Vrbanović", "Chairperson Mehmet Aydınlı",
    "Senior Adviser Émilie Dufresne", "Programme Officer Jonas Åkerlund",
]
PLACES = [
    "Vienna", "Tbilisi", "Skopje", "Bishkek", "Chișinău", "Sarajevo",
    "Warsaw", "Dushanbe", "Tirana", "Yerevan", "Podgorica", "Ashgabat",
    "Pristina", "Belgrade", "Astana", "Helsinki", "Valletta", "Reykjavík",
]
TOPICS = [
    "election observation", "border security", "media freedom",
    "the prevention of human trafficking", "cybersecurity capacity",
    "police reform", "gender equality in public service",
    "environmental governance", "small arms control", "youth participation",
    "the rights of national minorities", "anti-corruption measures",
    "judicial independence", "water management across borders",
    "safe migration", "countering violent extremism", "Roma inclusion",
]
EVENTS = [
    "a two-day regional conference", "a training course",
    "a round-table discussion", "an expert workshop",
    "a high-level meeting", "a study visit", "a public hearing",
    "a simulation exercise", "a series of community forums",
    "a joint assessment mission",
]
AUDIENCES = [
    "judges and prosecutors", "border guards", "journalists and editors",
    "civil society organizations", "members of parliament",
    "local government officials", "police officers", "young activists",
    "election administrators", "customs officers", "teachers",
]
VERBS = [
    "organized", "hosted", "supported", "concluded", "launched",
    "co-organized", "facilitated", "opened",
]
OUTCOMES = [
    "agreed on a set of recommendations", "shared good practices",
    "discussed practical next steps", "reviewed the draft legislation",
    "identified gaps in the current framework",
    "adopted a joint declaration", "tested new co-ordination procedures",
    "mapped the main risks for the coming year",
]
QUOTES = [
    "Lasting security is built one institution at a time",
    "Dialogue is not a luxury; it is the only way forward",
    "We cannot protect rights we do not measure",
    "Trust between neighbours is the best early-warning system",
    "Our task is to turn commitments into everyday practice",
    "A free press is part of the security architecture, not a threat to it",
]
CATEGORIES = [
    "Arms control", "Border management", "Combating trafficking",
    "Conflict prevention", "Countering terrorism", "Cyber/ICT Security",
    "Democratization", "Economic activities", "Education", "Elections",
    "Environmental activities", "Gender equality", "Good governance",
    "Human rights", "Media freedom", "Migration", "National minorities",
    "Policing", "Rule of law", "Tolerance & non-discrimination", "Youth",
]
SITE = "https://newsroom.example.org"


def cap(s):
    # str would also lower-case "the Regional Office"
    return s[0].upper() + s[1:]


def link_html(rng, text):
    """An inline link as newsroom CMSs write them, tracking query and all."""
    slug = "-".join(text.lower().split()[:4]).strip(".,;")
    q = rng.choice(["", "?utm_source=rss&amp;utm_medium=feed", "#main"])
    return f'<a href="{SITE}/{rng.choice(["news", "events", "documents"])}/{slug}{q}">{text}</a>'


def sentence(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return (f"{cap(rng.choice(BODIES))} {rng.choice(VERBS)} "
                f"{rng.choice(EVENTS)} on {rng.choice(TOPICS)} for "
                f"{rng.randint(12, 160)} {rng.choice(AUDIENCES)} in "
                f"{rng.choice(PLACES)} on {rng.randint(1, 28)} "
                f"{rng.choice(['March', 'June', 'September', 'November'])}.")
    if kind == 1:
        first, second = rng.sample(OUTCOMES, 2)
        return f"Participants {first} and {second}."
    if kind == 2:
        # &ldquo; and &rsquo; are HTML, not XML, entities: fine inside the
        # escaped body, which is HTML once the XML layer is peeled off.
        return (f"&ldquo;{rng.choice(QUOTES)},&rdquo; said "
                f"{rng.choice(PEOPLE)}.&nbsp;&ldquo;{rng.choice(QUOTES)}.&rdquo;")
    if kind == 3:
        return (f"The event is part of a {rng.randint(2, 5)}-year project on "
                f"{rng.choice(TOPICS)}, funded by {rng.choice(PLACES)} "
                f"&amp; {rng.choice(PLACES)}; see "
                f"{link_html(rng, 'the project page')} for details.")
    if kind == 4:
        return (f"<strong>{rng.choice(PEOPLE)}</strong> stressed the "
                f"importance of {rng.choice(TOPICS)} and of close "
                f"co-operation with {rng.choice(AUDIENCES)}.")
    return (f"Since {rng.randint(1995, 2024)}, {rng.choice(BODIES)} has "
            f"trained more than {rng.randint(2, 90)},{rng.randint(100, 999)} "
            f"{rng.choice(AUDIENCES)} &ndash; a figure that "
            f"<em>{rng.choice(['doubled', 'grew', 'held steady'])}</em> "
            f"over the last {rng.randint(2, 9)} years.")


def body_html(rng):
    """Four to nine paragraphs, sometimes a list and a closing contact line."""
    parts = []
    for _ in range(rng.randint(4, 9)):
        sents = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        parts.append(f"<p>{sents}</p>")
    if rng.random() < 0.3:
        items = "".join(f"<li>{rng.choice(TOPICS)}</li>"
                        for _ in range(rng.randint(3, 6)))
        parts.insert(rng.randint(1, len(parts)), f"<ul>{items}</ul>")
    if rng.random() < 0.5:
        parts.append(f'<p>For more information, contact the press office: '
                     f'<a href="mailto:press@example.org">press@example.org</a>'
                     f'&nbsp;| {link_html(rng, "Photo gallery")}</p>')
    return "\n".join(parts)


def make_entry(rng, n, when):
    topic = rng.choice(TOPICS)
    title = rng.choice([
        f"{cap(rng.choice(BODIES))} {rng.choice(VERBS)} "
        f"{rng.choice(EVENTS)} on {topic} in {rng.choice(PLACES)}",
        f"{rng.choice(PEOPLE)} visits {rng.choice(PLACES)}, "
        f"discusses {topic} & co-operation",
        f"\u201c{rng.choice(QUOTES)}\u201d \u2013 {rng.choice(PEOPLE)}",
    ])
    slug = f"{when:%Y%m%d}-{n}"
    body = body_html(rng)
    lead = (f"{cap(rng.choice(BODIES))} {rng.choice(VERBS)} "
            f"{rng.choice(EVENTS)} on {topic} in {rng.choice(PLACES)}.")
    return {
        "title": title,
        "path": f"/news/{slug}",
        "guid": f"tag:newsroom.example.org,{when:%Y}:release/{slug}",
        "when": when,
        "author": rng.choice(PEOPLE),
        "lead": lead,
        "body": body,
        "cats": rng.sample(CATEGORIES, rng.randint(1, 4)),
    }


# ---- the three formats ------------------------------------------------------

def cdata(s):
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rfc822(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S %z")


def rfc3339(t):
    s = t.isoformat()
    return s.replace("+00:00", "Z")


# Each format is a head (which may depend on the entries: RDF lists them in
# its channel), one string an entry, and a tail. Entries are rendered one by
# one so a file can be cut at an exact byte size.

def rss20_head(n, entries):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f'<title>Newsroom &#8211; press releases ({n})</title>\n'
            f'<link>{SITE}/news</link>\n'
            f'<atom:link href="{SITE}/rss/{n}.xml" rel="self" type="application/rss+xml"/>\n'
            '<description>Press releases, statements and news</description>\n'
            '<language>en</language>\n'
            f'<lastBuildDate>{rfc822(entries[0]["when"])}</lastBuildDate>\n')


def rss20_item(e):
    return ("<item>\n"
            f"<title>{escape(e['title'])}</title>\n"
            f"<link>{SITE}{e['path']}</link>\n"
            f"<description>{escape('<p>' + e['lead'] + '</p>')}</description>\n"
            f"<content:encoded>{cdata(e['body'])}</content:encoded>\n"
            f"<pubDate>{rfc822(e['when'])}</pubDate>\n"
            f"<dc:creator>{escape(e['author'])}</dc:creator>\n"
            + "".join(f"<category>{escape(c)}</category>\n" for c in e["cats"])
            + f'<guid isPermaLink="false">{e["guid"]}</guid>\n'
            "</item>\n")


def rdf_head(n, entries):
    seq = "".join(f'<rdf:li rdf:resource="{SITE}{e["path"]}"/>\n' for e in entries)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            ' xmlns="http://purl.org/rss/1.0/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
            f'<channel rdf:about="{SITE}/rdf/{n}.rdf">\n'
            f'<title>Newsroom: statements ({n})</title>\n'
            f'<link>{SITE}/statements</link>\n'
            '<description>Statements and speeches</description>\n'
            f'<dc:date>{rfc3339(entries[0]["when"])}</dc:date>\n'
            f'<items>\n<rdf:Seq>\n{seq}</rdf:Seq>\n</items>\n</channel>\n')


def rdf_item(e):
    return (f'<item rdf:about="{SITE}{e["path"]}">\n'
            f"<title>{escape(e['title'])}</title>\n"
            f"<link>{SITE}{e['path']}</link>\n"
            f"<description>{escape(e['lead'])}</description>\n"
            f"<content:encoded>{escape(e['body'])}</content:encoded>\n"
            f"<dc:date>{rfc3339(e['when'])}</dc:date>\n"
            f"<dc:creator>{escape(e['author'])}</dc:creator>\n"
            + "".join(f"<dc:subject>{escape(c)}</dc:subject>\n" for c in e["cats"])
            + "</item>\n")


def atom_head(n, entries):
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="{SITE}/">\n'
            f'<title type="text">Newsroom &#8211; all news ({n})</title>\n'
            f'<id>tag:newsroom.example.org,2025:feed/{n}</id>\n'
            '<link rel="alternate" type="text/html" href="news"/>\n'
            f'<link rel="self" href="atom/{n}.xml"/>\n'
            f'<updated>{rfc3339(entries[0]["when"])}</updated>\n'
            '<author><name>Press office</name></author>\n')


def atom_item(e):
    return ("<entry>\n"
            f"<title type=\"text\">{escape(e['title'])}</title>\n"
            f"<id>{e['guid']}</id>\n"
            # relative, as many CMSs emit; xml:base above makes it absolute
            f'<link rel="alternate" type="text/html" href="{e["path"][1:]}"/>\n'
            f"<published>{rfc3339(e['when'])}</published>\n"
            f"<updated>{rfc3339(e['when'] + timedelta(hours=2))}</updated>\n"
            f"<author><name>{escape(e['author'])}</name></author>\n"
            + "".join(f'<category term="{escape(c, {chr(34): "&quot;"})}"/>\n'
                      for c in e["cats"])
            + f"<summary type=\"text\">{escape(e['lead'])}</summary>\n"
            f"<content type=\"html\">{escape(e['body'])}</content>\n"
            "</entry>\n")


FORMAT_PARTS = {
    "rss20": (rss20_head, rss20_item, "</channel>\n</rss>\n"),
    "rdf": (rdf_head, rdf_item, "</rdf:RDF>\n"),
    "atom": (atom_head, atom_item, "</feed>\n"),
}
# Each format's timezone, so dates are not all UTC.
ZONES = {"rss20": timezone(timedelta(hours=2)), "rdf": timezone.utc,
         "atom": timezone(timedelta(hours=-5))}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: gen-corpus.py OUTDIR [TOTAL_MB]")
    outdir = sys.argv[1]
    total = int(float(sys.argv[2] if len(sys.argv) == 3 else DEFAULT_TOTAL_MB)
                * 1024 * 1024)
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(SEED)
    manifest = []
    per_format = total // len(FORMATS)
    # Equal files per format rather than full files and a small remainder.
    nfiles = max(1, round(per_format / FILE_TARGET_BYTES))
    for fmt in FORMATS:
        head, item, tail = FORMAT_PARTS[fmt]
        clock = datetime(2025, 6, 1, 9, 30, tzinfo=ZONES[fmt])
        for n in range(nfiles):
            entries, items, size = [], [], 0
            while size < per_format // nfiles:
                # newest first, as real feeds are
                clock -= timedelta(minutes=rng.randint(20, 600))
                e = make_entry(rng, f"{fmt}-{n}-{len(entries)}", clock)
                entries.append(e)
                items.append(item(e).encode("utf-8"))
                size += len(items[-1])
            data = (head(n, entries).encode("utf-8") + b"".join(items)
                    + tail.encode("utf-8"))
            name = f"{fmt}-{n:02d}.xml"
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(data)
            manifest.append((name, fmt, len(data), len(entries)))
    with open(os.path.join(outdir, "MANIFEST.tsv"), "w") as f:
        for row in manifest:
            f.write("\t".join(map(str, row)) + "\n")


if __name__ == "__main__":
    main()
