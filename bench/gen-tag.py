#!/usr/bin/env python3
"""Generate the tagger benchmark's input: press releases, as a feed and as text.

usage: gen-tag.py OUTDIR [RELEASES]

Writes, for RELEASES releases (default 20000):

  OUTDIR/releases.NNN.xml  RSS 2.0 documents of ITEMS_PER_FILE releases
                           each, every body as HTML <p> paragraphs in an
                           entity-escaped <description>: what the parser
                           reads;
  OUTDIR/releases.jsonl    one {"title", "body", "fields"} a line, in the
                           same order: body is the plain text, paragraphs
                           separated by a blank line (what ingest stores as
                           a release's body_text and hands the tagger),
                           fields the names of the fields of work the
                           release was written about;
  OUTDIR/MANIFEST.tsv      the RSS files in order: file, bytes, releases.

The output depends only on the fixed seed and RELEASES, so every run and
every machine measures the same bytes.

A release is about 1-3 of the 23 OSCE fields of work (shared/DESIGN.md),
the first its main one. Its title has about ten words (7 to 24); its body
is 2.5 to 3.6 KB of prose, 3.0 KB on average, in paragraphs of 2-4
sentences, from a small grammar below: about half the sentences talk
about one of the release's fields (phrases such as "election observation
mission", "victims of trafficking", "border guards", "safety of
journalists"), the rest is newsroom filler (meetings, funding, contacts),
some of which mentions words other fields' terms hit ("open to the
media", "young professionals, women and men", "border municipalities"),
as real releases do. 70% of the releases are written the way CMSs write
them, with typographic apostrophes, quotes and dashes and names with
diacritics; the other 30% are folded to ASCII. Every name in the grammar
is invented.
"""

import json
import os
import random
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

SEED = 20260214
DEFAULT_RELEASES = 20000
BODY_MIN = 2500
BODY_MAX = 3100
TYPOGRAPHIC = 0.70
TOPICAL_SHARE = 0.55	# share of a body's sentences about one of its fields
# The releases go in RSS documents of this many items (about 3.7 MB each):
# well under the parser's 64 MiB cap on a document.
ITEMS_PER_FILE = 1000
START = datetime(2025, 1, 6, 7, 0, tzinfo=timezone.utc)

# ---- the fields and what their releases talk about -------------------------
# The 23 canonical names (shared/DESIGN.md), each with noun phrases for the
# grammar's {t} slots.

FIELDS = {
    "Arms control": [
        "small arms and light weapons", "stockpiles of conventional ammunition",
        "the destruction of surplus ammunition", "arms control commitments",
        "the Vienna Document inspection", "weapons storage sites",
        "confidence- and security-building measures", "illicit arms transfers",
        "mine action", "the safe storage of weapons"],
    "Border management": [
        "border security and management", "border guards", "border crossing points",
        "the green border", "customs officers", "cross-border co-operation",
        "the management of the state border", "integrated border management",
        "border police patrols", "risk analysis at the border"],
    "Combating trafficking in human beings": [
        "human trafficking", "trafficking in human beings", "victims of trafficking",
        "forced labour", "the identification of trafficked persons",
        "anti-trafficking hotlines", "the prosecution of traffickers",
        "trafficking for sexual exploitation", "national referral mechanisms",
        "labour exploitation in supply chains"],
    "Conflict prevention and resolution": [
        "the ceasefire", "the conflict settlement process", "mediation",
        "the negotiations in the 5+2 format", "the line of contact",
        "dialogue facilitation", "early warning", "confidence-building measures",
        "the security situation along the contact line", "conflict prevention"],
    "Countering terrorism": [
        "violent extremism and radicalization that lead to terrorism",
        "foreign terrorist fighters", "counter-terrorism co-operation",
        "terrorist financing", "the prevention of violent extremism",
        "travel document security", "terrorist use of the Internet",
        "the protection of soft targets against terrorist attacks"],
    "Cyber/ICT Security": [
        "cyber security", "cyber/ICT security", "confidence-building measures in cyberspace",
        "critical infrastructure protection", "cyber incidents",
        "information and communication technologies", "national cyber strategies",
        "ransomware attacks on hospitals", "the security of ICTs"],
    "Democratization": [
        "democratic institutions", "parliamentary oversight", "civil society organizations",
        "political parties", "legislative drafting", "public participation in decision-making",
        "the work of the parliament", "democratic governance", "local self-government"],
    "Economic activities": [
        "economic connectivity", "trade facilitation", "anti-money laundering",
        "investment climate", "the business environment", "economic co-operation",
        "transport corridors", "the digital economy", "labour markets"],
    "Education": [
        "education", "schools", "teachers and school directors", "the curriculum",
        "higher education", "university students", "vocational training",
        "inclusive education", "textbooks in minority languages"],
    "Elections": [
        "the election observation mission", "the parliamentary elections",
        "the presidential election", "polling stations", "voter lists",
        "the electoral code", "election day procedures", "ballot counting",
        "candidate registration", "election commissions", "the local elections",
        "voters and candidates"],
    "Environmental activities": [
        "climate change", "water management", "hazardous waste", "the Aarhus Centres",
        "disaster risk reduction", "environmental governance", "wildfire management",
        "the environment and security", "transboundary water co-operation",
        "uranium tailings sites"],
    "Gender equality": [
        "gender equality", "women's participation", "gender-based violence",
        "violence against women", "domestic violence", "women in politics",
        "gender mainstreaming", "the economic empowerment of women",
        "women, peace and security"],
    "Good governance": [
        "corruption", "anti-corruption agencies", "integrity in public administration",
        "public procurement", "transparency and accountability", "asset declarations",
        "conflicts of interest", "good governance", "the fight against corruption"],
    "Human rights": [
        "human rights", "fundamental freedoms", "human rights defenders",
        "the prevention of torture", "freedom of peaceful assembly",
        "freedom of religion or belief", "the human dimension commitments",
        "national human rights institutions", "the rights of detainees"],
    "Media freedom and development": [
        "media freedom", "the safety of journalists", "freedom of expression",
        "media pluralism", "public service media", "independent journalists",
        "media literacy", "online harassment of journalists", "broadcast regulators",
        "access to information"],
    "Migration": [
        "migration", "labour migration", "migrants and refugees", "asylum seekers",
        "the integration of migrants", "migration governance",
        "the rights of migrant workers", "mixed migration flows"],
    "National minority issues": [
        "national minorities", "the rights of persons belonging to national minorities",
        "minority languages", "the integration of diverse societies",
        "inter-ethnic relations", "minority communities",
        "the High Commissioner on National Minorities", "minority-language media"],
    "Policing": [
        "the police", "community policing", "police officers", "law enforcement agencies",
        "police reform", "criminal investigations", "police training",
        "police-public partnerships", "the fight against organized crime",
        "forensic capacities of the police"],
    "Reform and co-operation in the security sector": [
        "security sector governance and reform", "the oversight of security services",
        "the ministry of defence", "security sector reform",
        "parliamentary oversight of the armed forces", "private security companies",
        "the governance of the security sector"],
    "Roma and Sinti": [
        "Roma and Sinti", "Roma communities", "Roma mediators",
        "the situation of Roma and Sinti", "Roma youth", "Roma women",
        "anti-Roma racism", "the inclusion of Roma"],
    "Rule of law": [
        "the rule of law", "judicial independence", "judges and prosecutors",
        "fair trial rights", "the courts", "criminal justice reform",
        "legal aid", "trial monitoring", "the independence of the judiciary"],
    "Tolerance and non-discrimination": [
        "hate crime", "intolerance and discrimination", "antisemitism",
        "non-discrimination", "hate crime data", "intolerance against Muslims",
        "discrimination against Christians", "hate speech", "equality bodies"],
    "Youth": [
        "youth", "young people", "young leaders", "the youth forum",
        "youth participation", "youth workers", "students and young activists",
        "the Youth, Peace and Security agenda"],
}
FIELD_NAMES = list(FIELDS)

# ---- the rest of the vocabulary ----------------------------------------------

ORGS = [
    "OSCE Mission to Veradia", "OSCE Programme Office in Kestrava",
    "OSCE Office in Dunholm", "OSCE Presence in Marvania",
    "OSCE Project Co-ordinator in Tessaly", "OSCE Secretariat",
    "Office for Democratic Institutions and Human Rights",
    "OSCE Representative on Freedom of the Media",
    "OSCE Mission to Skelland", "OSCE Centre in Ostravar",
    "OSCE Chairpersonship", "Parliamentary Assembly",
]
COUNTRIES = ["Veradia", "Kestrava", "Dunholm", "Marvania", "Tessaly", "Skelland",
             "Ostravar", "Lindoria", "Brannock", "Celestria", "Harrowmere", "Valdonia"]
CITIES = ["Kerrin", "Pol Avesta", "Mirograd", "Sarnholm", "Eldvik", "Tovar",
          "Lesno Brdo", "Zhavarai", "Castellune", "Ruvenkai", "Amberfeld",
          "Port Halcyon", "Drevo", "Ushtarak", "Belmonte Alta"]
PEOPLE = [
    "Milena Vuković", "Anžela Petrauskė", "Jörg Halvardsen", "Zeynep Çelikkan",
    "Łukasz Brzezicki", "Ana Lúcia Ferreirós", "Tomáš Dvořánek", "Ingrid Sørvik",
    "Ramón Echevarría", "Aigerim Temirbekova", "Daniel Okafor", "Sarah Whitlock",
    "Nikos Papadakēs", "Élodie Marchand", "Kaspar Lindqvist", "Maja Ristovska",
    "Oleksandr Hrytsenko", "Gülnara Abdrakhmanova", "Pieter van Aalst",
    "Hélène Dubreuil", "Arben Kastrati", "Marta Nováková", "Ivo Šimunić",
]
ROLES = [
    "Head of the {org}", "Deputy Head of the {org}", "Senior Adviser at the {org}",
    "Project Manager at the {org}", "Special Representative of the Chairperson-in-Office",
    "Minister of Justice of {country}", "Deputy Minister of Interior of {country}",
    "Ambassador of {country}", "Chair of the Permanent Council",
    "Director of the {org}",
]
EVENTS = ["workshop", "round table", "conference", "training course", "seminar",
          "study visit", "expert meeting", "regional forum", "simulation exercise",
          "public discussion", "summer school", "consultation"]
GROUPS = ["officials", "experts", "practitioners", "representatives of civil society",
          "government officials", "local authorities", "trainers", "participants",
          "representatives of international organizations", "academics", "lawyers",
          "municipal staff"]
VERBS = ["supports", "launches", "hosts", "organizes", "presents", "concludes",
         "opens", "discusses", "promotes", "reviews", "completes", "welcomes"]
DONORS = ["the Extra-budgetary Fund for Regional Security", "the Government of Lindoria",
          "the Celestrian Agency for Development", "the Unified Budget",
          "the Valdonian Ministry of Foreign Affairs", "the Brannock Trust"]
NUMBERS = ["two", "three", "five", "eight", "twelve", "fifteen", "twenty", "twenty-five",
           "thirty", "forty", "fifty", "sixty", "more than a hundred", "some 200"]
DAYS = ["two-day", "three-day", "four-day", "one-week", "half-day", "five-day"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
ADJ = ["practical", "comprehensive", "regional", "national", "joint", "first",
       "annual", "interactive", "specialized", "high-level", "online", "follow-up"]
TOOLS = ["handbook", "guidebook", "set of recommendations", "online course",
         "methodology", "needs assessment", "action plan", "baseline study",
         "training manual", "policy brief"]

TITLES = [
    "{org} {verb} {event} on {t} in {city}",
    "{n_cap} {group} from {country} trained on {t}",
    "{person} discusses {t} with {group} in {city}",
    "{org} and {country} strengthen co-operation on {t}",
    "{adj_cap} {event} in {city} addresses {t} and {t2}",
    "New {tool} on {t} presented in {city}",
    "{country} {group} complete {days} course on {t}",
    "{org} {verb} {tool} on {t} for {group}",
]
# {t}, {t2}: phrases of one of the release's fields
TOPICAL = [
    "The {days} {event} in {city} focused on {t} and {t2}.",
    "{person}, {role}, said that progress on {t} depended on sustained co-operation "
    "between state institutions and {group}.",
    "Participants discussed {t}, {t2} and the role of {group} in {country}.",
    "The {org} has supported work on {t} in {country} since {year}, together with "
    "national partners.",
    "A new {tool} on {t} was presented to {n} {group} from across {country}.",
    "\u201cWe need to look at {t} as a shared responsibility,\u201d said {person}. "
    "\u201cNo institution can address it alone.\u201d",
    "The {event} also looked at {t} and at what the {org}\u2019s recommendations "
    "on {t2} mean in practice.",
    "Since {month} {year}, {n} {group} have taken part in activities on {t}.",
    "The discussion showed that {t} remains a priority for the authorities of {country}.",
    "Experts from {country2} shared their experience with {t} and presented "
    "lessons learned from {t2}.",
    "The {tool} on {t} will be published in the national languages in {month}.",
    "The {org} will continue to assist {country} in matters of {t}, {person} added.",
]
FILLER = [
    "The {event} was organized by the {org} with the support of {donor}.",
    "It brought together {n} {group} from {city}, {city2} and other parts of {country}.",
    "The {days} {event} took place in {city} from {day} to {day2} {month}.",
    "{person}, {role}, opened the {event} and welcomed the participants.",
    "The project is funded by {donor} and runs until {month} {year2}.",
    "The event was open to the media, and {person} answered questions from "
    "journalists after the closing session.",
    "Among the participants were young professionals, women and men from "
    "{n} municipalities.",
    "The {org}\u2019s work in {country} is part of a {adj} programme agreed with the "
    "host authorities in {year}.",
    "At the end of the {event} the participants received certificates.",
    "A follow-up meeting is planned in {city} in {month}.",
    "The {org} thanked {donor} for its continued support.",
    "Representatives of the border municipalities and of the local police "
    "attended the closing session.",
    "The agenda and the presentations are available on the website of the {org}.",
    "The participants agreed on a list of {adj} steps to be taken before {month} {year2}.",
]

TYPO_FOLD = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
             "\u2013": "-", "\u2014": "-"}


def fold_ascii(s):
    """What a plain-ASCII newsroom would have written."""
    for k, v in TYPO_FOLD.items():
        s = s.replace(k, v)
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if ord(c) < 128)


def cap(s):
    return s[0].upper() + s[1:]


class Slots(dict):
    """Values for a template's slots, drawn as the template asks for them."""

    def __init__(self, rng, topics):
        super().__init__()
        self.r = rng
        self.topics = topics

    def __missing__(self, k):
        r = self.r
        if k == "t":
            v = r.choice(self.topics)
        elif k == "t2":
            v = self["t"]
            while v == self["t"]:
                v = r.choice(self.topics)
        elif k == "org":
            v = r.choice(ORGS)
        elif k in ("country", "country2"):
            other = self.get("country") if k == "country2" else None
            v = r.choice(COUNTRIES)
            while v == other:
                v = r.choice(COUNTRIES)
        elif k in ("city", "city2"):
            other = self.get("city") if k == "city2" else None
            v = r.choice(CITIES)
            while v == other:
                v = r.choice(CITIES)
        elif k == "person":
            v = r.choice(PEOPLE)
        elif k == "role":
            v = r.choice(ROLES).format_map(self)
        elif k == "event":
            v = r.choice(EVENTS)
        elif k == "group":
            v = r.choice(GROUPS)
        elif k == "verb":
            v = r.choice(VERBS)
        elif k == "donor":
            v = r.choice(DONORS)
        elif k == "n":
            v = r.choice(NUMBERS)
        elif k == "n_cap":
            v = cap(self["n"])
        elif k == "days":
            v = r.choice(DAYS)
        elif k == "month":
            v = r.choice(MONTHS)
        elif k == "day":
            v = r.randint(1, 20)
        elif k == "day2":
            v = self["day"] + r.randint(1, 4)
        elif k == "year":
            v = r.randint(2012, 2024)
        elif k == "year2":
            v = r.randint(2025, 2028)
        elif k == "adj":
            v = r.choice(ADJ)
        elif k == "adj_cap":
            v = cap(self["adj"])
        elif k == "tool":
            v = r.choice(TOOLS)
        else:
            raise KeyError(k)
        self[k] = v
        return v


def release(rng):
    """(title, paragraphs, fields) of one release."""
    k = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
    fields = rng.sample(FIELD_NAMES, k)
    # the main field gets half the topical sentences
    weights = [2.0] + [1.0] * (k - 1)
    org = rng.choice(ORGS)
    country = rng.choice(COUNTRIES)

    def fill(form, field):
        s = Slots(rng, FIELDS[field])
        s["org"] = org if rng.random() < 0.7 else rng.choice(ORGS)
        s["country"] = country if rng.random() < 0.7 else rng.choice(COUNTRIES)
        return cap(form.format_map(s))

    title = fill(rng.choice(TITLES), fields[0])
    target = rng.randint(BODY_MIN, BODY_MAX)
    paras, size = [], 0
    while size < target:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < TOPICAL_SHARE:
                f = rng.choices(fields, weights=weights)[0]
                sentences.append(fill(rng.choice(TOPICAL), f))
            else:
                sentences.append(fill(rng.choice(FILLER), fields[0]))
        p = " ".join(sentences)
        paras.append(p)
        size += len(p.encode("utf-8")) + 2
    return title, paras, fields


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: gen-tag.py OUTDIR [RELEASES]")
    outdir = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_RELEASES
    if want < 1:
        sys.exit("gen-tag.py: RELEASES must be positive")
    rng = random.Random(SEED)
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    when = START
    rss = None
    with open(os.path.join(outdir, "releases.jsonl"), "w", encoding="utf-8") as jl:
        for i in range(want):
            if i % ITEMS_PER_FILE == 0:
                if rss is not None:
                    close_rss(rss, manifest)
                rss = open_rss(outdir, i // ITEMS_PER_FILE)
            title, paras, fields = release(rng)
            if rng.random() >= TYPOGRAPHIC:
                title = fold_ascii(title)
                paras = [fold_ascii(p) for p in paras]
            when += timedelta(seconds=rng.randint(60, 1800))
            html = "".join("<p>%s</p>\n" % escape(p) for p in paras)
            link = "https://newsroom.example.org/press/%d" % (i + 1)
            rss[0].write("<item>\n<title>%s</title>\n<link>%s</link>\n"
                         '<guid isPermaLink="true">%s</guid>\n<pubDate>%s</pubDate>\n'
                         "<description>%s</description>\n</item>\n"
                         % (escape(title), link, link, format_datetime(when, usegmt=True),
                            escape(html)))
            rss[2] += 1
            jl.write(json.dumps({"title": title, "body": "\n\n".join(paras),
                                 "fields": fields}, ensure_ascii=False) + "\n")
        close_rss(rss, manifest)
    with open(os.path.join(outdir, "MANIFEST.tsv"), "w") as m:
        m.writelines(manifest)


def open_rss(outdir, k):
    name = "releases.%03d.xml" % k
    f = open(os.path.join(outdir, name), "w", encoding="utf-8")
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0">\n<channel>\n'
            "<title>Press releases</title>\n"
            "<link>https://newsroom.example.org/</link>\n"
            "<description>Press releases of an invented newsroom</description>\n")
    return [f, name, 0]


def close_rss(rss, manifest):
    f, name, n = rss
    f.write("</channel>\n</rss>\n")
    f.close()
    manifest.append("%s\t%d\t%d\n" % (name, os.path.getsize(f.name), n))


if __name__ == "__main__":
    main()
