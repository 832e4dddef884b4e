#!/usr/bin/env python3
"""Fields of work end to end: `feedmill fields eval|train|explain` on a
taxonomy and labelled releases of our own, check-config on taxonomies
good and bad, and the daemon filing what it polls under fields by feed
category, by the source's `fields =` and by text, with SIGHUP reloading the
taxonomy. The default conf/fields.conf must load and file plain cases.
TAP output.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feedmilltest import FEEDMILL, FIELDS_CONF, Daemon, Tap, eventually, run_once, write_conf  # noqa: E402

t = Tap()
work = tempfile.mkdtemp(prefix="feedmill-fields-")

TAXONOMY = """\
[fields]
title_weight = 2
threshold = 3

[field Elections]
alias = Electoral matters
term = 3 election*
term = 2 observer(s)
term = 1 ballot

[field Combating trafficking in human beings]
slug = trafficking
alias = Anti-trafficking
term = 3 traffick*
term = -4 drug traffick*
term = 2 forced labo(u)r

[field Youth]
term = 2 young people
term = 2 youth

[field Water]
term = 3 river basin(s)
"""


def path(name):
    return os.path.join(work, name)


def write(name, text):
    with open(path(name), "w") as f:
        f.write(text)
    return path(name)


def fm(*args, stdin=None):
    p = subprocess.run([FEEDMILL] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


taxonomy = write("fields.conf", TAXONOMY)

# ---- eval: numbers a user can check by hand ----
labelled = [
    # tagged Elections (title: 3*2), right
    {"title": "Election day passes calmly", "lead": "Voting went on.", "fields": ["Elections"]},
    # tagged Elections (observers 2 + ballot 1 = 3), right
    {"title": "A long night", "lead": "Observers counted every ballot.", "fields": ["Elections"]},
    # tagged trafficking (3), labelled Youth too: one false negative
    {"title": "Shelter opens", "lead": "Victims of trafficking find help.",
     "fields": ["Combating trafficking in human beings", "Youth"]},
    # drug trafficking: 3 - 4 < 3, not tagged; labelled nothing: right
    {"title": "Seizure at the port", "lead": "Police stop drug trafficking ring.", "fields": []},
    # tagged Youth (2*2 in the title) but labelled Elections: FP + FN
    {"title": "Youth forum meets", "lead": "Talks on many things.", "fields": ["Elections"]},
]
with open(path("labelled.jsonl"), "w") as f:
    for r in labelled:
        f.write(json.dumps(r) + "\n")
    f.write("this line is not JSON\n")

st, out, err = fm("fields", "eval", "-f", taxonomy, path("labelled.jsonl"))
t.ok(st == 0, "fields eval runs", err)
t.ok("labelled.jsonl:6: skipped: not JSON" in err, "a line that is not JSON is named and skipped", err)
rows = {}
for line in out.splitlines():
    m = re.match(r"^(\S.*?)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", line)
    if m:
        rows[m.group(1)] = tuple(float(x) for x in m.groups()[1:])
# Elections: tp 2, fp 0, fn 1 -> P 1, R 2/3; trafficking: tp 1 -> 1, 1;
# Youth: tp 0, fp 1, fn 1 -> 0; Water: nothing.
t.ok(rows.get("Elections") == (3, 1.0, 0.667, 0.8), "per-field P, R, F1 for Elections", out)
t.ok(rows.get("Combating trafficking in human beings") == (1, 1.0, 1.0, 1.0),
     "a negative weight keeps 'drug trafficking' out", out)
t.ok(rows.get("Youth") == (1, 0.0, 0.0, 0.0), "per-field figures for a wrong field", out)
last = out.strip().splitlines()[-1]
# micro: tp 3, fp 1, fn 2 -> P .75, R .6, F1 .667; macro over the 3 fields
# with examples: (0.8 + 1 + 0) / 3
t.ok(last.startswith("micro P 0.750 R 0.600 F1 0.667, macro F1 0.600"),
     "the last line is micro- and macro-averaged F1", last)

# ---- train: a model learns what no hand term says ----
train = []
for i in range(12):
    train.append({"title": "Zebra crossing plan %d" % i, "lead": "The council met.",
                  "fields": ["Water"]})
    train.append({"title": "Council meets %d" % i, "lead": "Parking rules change.",
                  "fields": []})
    train.append({"title": "Elections set for spring %d" % i, "lead": "Observers invited.",
                  "fields": ["Elections"]})
with open(path("train.jsonl"), "w") as f:
    f.write("\n".join(json.dumps(r) for r in train) + "\n")
st, out, err = fm("fields", "train", "-f", taxonomy, path("train.jsonl"))
t.ok(st == 2 and "names no model file" in err, "train without a model file to write says so", err)
st, out, err = fm("fields", "train", "-f", taxonomy, "-o", path("fields.model"),
                  path("train.jsonl"))
t.ok(st == 0 and os.path.exists(path("fields.model")), "train writes the model", out + err)
with_model = write("with-model.conf", TAXONOMY.replace("threshold = 3\n",
                                                       "threshold = 3\nmodel = fields.model\n", 1))
st, out, err = fm("fields", "explain", "-f", with_model, stdin=b"Zebra lanes for the old town\nNew paint.\n")
t.ok(st == 0 and out.startswith("Water (water): from the text"),
     "with the model, a word only the examples tie to a field files it", out + err)
t.ok(re.search(r"\+\s*[\d.]+\s+zebra\s+\(title\)", out) is not None,
     "explain names the learned term and where it was found", out)
st, out, err = fm("fields", "explain", "-f", taxonomy, stdin=b"Zebra lanes for the old town\nNew paint.\n")
t.ok(st == 0 and out.startswith("no field"), "without the model the same text has no field", out + err)
st, out, err = fm("fields", "eval", "-f", taxonomy, "--folds", "3", path("train.jsonl"))
t.ok(st == 0 and "3-fold cross-validation" in out and out.strip().splitlines()[-1].startswith("micro"),
     "eval --folds trains on the other folds and scores each", out + err)
m = re.search(r"micro P [\d.]+ R [\d.]+ F1 ([\d.]+)", out)
t.ok(m is not None and float(m.group(1)) > 0.9,
     "cross-validated F1 on a separable set is high", out)

# ---- explain a text ----
st, out, err = fm("fields", "explain", "-f", taxonomy,
                  stdin=b"Observers arrive for the election\nYoung people vote for the first time.\n")
t.ok(st == 0 and "Elections (elections): from the text" in out and "Youth (youth)" in out,
     "explain lists the fields of a text", out + err)
t.ok(re.search(r"\+\s*6\.000\s+election\*\s+\(title\)", out) is not None,
     "a title hit counts title_weight times the term's weight", out)
t.ok("not given (nearest):" in out, "explain shows the nearest fields not given", out)

# ---- check-config ----
st, out, err = fm("check-config", "-c", write("bad-src.conf", "[feedmill]\nfields = %s\n"
                  "[source a]\nurl = https://example.org/a\nfields = Elections, Nope\n" % taxonomy))
t.ok(st == 1 and re.search(r"bad-src.conf:3: source 'a': field 'Nope' is not in ", err),
     "a source naming an unknown field is reported at its section", err)
broken = write("broken.conf", "[fields]\n[field A]\nterm = x ballot\nterm = 2 drug*s\n"
               "[field A]\n[oops]\n")
st, out, err = fm("check-config", "-c", write("uses-broken.conf", "[feedmill]\nfields = %s\n" % broken))
t.ok(st == 1 and "broken.conf:3: term weight 'x' is not a number" in err and
     "broken.conf:4: term 'drug*s': '*' may only end a term" in err and
     "broken.conf:5: field 'A' is defined twice" in err and
     "broken.conf:6: unknown section [oops]" in err,
     "every problem of a taxonomy is reported at its line", err)
st, out, err = fm("check-config", "-c", write("good.conf", "[feedmill]\nfields = %s\n" % with_model))
t.ok(st == 0 and "with-model.conf: ok, 4 fields, model " in out, "check-config accepts a taxonomy and its model", out + err)

# ---- the daemon files what it polls ----
ITEM = "<item><title>%s</title><guid>%s</guid><link>https://news.example.org/%s</link>%s<description>%s</description></item>"
feed_a = write("a.rss", "<rss version='2.0'><channel><title>A</title><link>https://news.example.org/</link>" +
               ITEM % ("Shelters report more victims", "a1", "a1", "<category>anti-TRAFFICKING</category>",
                       "A report on the year.") +
               ITEM % ("Observers praise calm election day", "a2", "a2", "", "Turnout was high.") +
               "</channel></rss>")
feed_b = write("b.rss", "<rss version='2.0'><channel><title>B</title><link>https://b.example.org/</link>" +
               ITEM % ("Town hall opens a library", "b1", "b1", "", "Books for all.") +
               "</channel></rss>")
state = path("state")
conf = path("feedmill.conf")
write_conf(conf, state, [("a", "file://" + feed_a), ("b", "file://" + feed_b, {"fields": "Youth"})],
           extra="fields = " + taxonomy)
st, log, _ = run_once(conf)
t.ok(st == 0, "run --once with a taxonomy", log)


def filed():
    db = sqlite3.connect(os.path.join(state, "feedmill.db"))
    rows = db.execute("SELECT r.title, f.field, f.origin FROM release_field f "
                      "JOIN release r ON r.id = f.release ORDER BY r.title, f.field").fetchall()
    db.close()
    return rows


rows = filed()
t.ok(("Shelters report more victims", "trafficking", "category") in rows,
     "a feed category matching an alias files the release, origin category", rows)
t.ok(("Observers praise calm election day", "elections", "text") in rows,
     "the text files a release, origin text", rows)
t.ok(("Town hall opens a library", "youth", "source") in rows,
     "a source's fields = files what it delivers, origin source", rows)
t.ok(len(rows) == 3, "nothing else is filed", rows)

st, out, err = fm("fields", "explain", "-c", conf, "2")
t.ok(st == 0 and out.startswith("release 2: Observers praise calm election day") and "election*" in out,
     "explain reads a stored release", out + err)

# SIGHUP: a broken taxonomy is refused, a good one applies to what comes next
write_conf(conf, state, [("a", "file://" + feed_a, {"interval": "1h"}),
                         ("b", "file://" + feed_b, {"fields": "Youth", "interval": "1h"})],
           extra="fields = " + taxonomy)
d = Daemon(conf)
t.ok(d.wait_for("event=start"), "the daemon starts", d.log())
with open(taxonomy, "a") as f:
    f.write("[field Libraries]\nterm = 3 librar(y)(ies)\nterm = nope\n")
d.send(signal.SIGHUP)
t.ok(d.wait_for("event=reload result=rejected"), "a broken taxonomy is refused on SIGHUP", d.log())
t.ok(any("fields.conf:" in l and "expected 'term = WEIGHT TERM'" in l for l in d.lines),
     "the reload names the taxonomy's line", d.log())
write("fields.conf", TAXONOMY + "[field Libraries]\nterm = 3 librar(y)(ies)\n")
with open(feed_b) as f:
    b = f.read()
write("b.rss", b.replace("</channel>", ITEM % ("Second library opens", "b2", "b2", "", "More books.") +
                         "</channel>"))
d.send(signal.SIGHUP)
t.ok(d.wait_for("event=reload result=ok"), "a good taxonomy is taken on SIGHUP", d.log())
d.send(signal.SIGUSR1)
got = eventually(lambda: [r for r in filed() if r[0] == "Second library opens"])
t.ok(("Second library opens", "libraries", "text") in got and
     ("Second library opens", "youth", "source") in got,
     "the reloaded taxonomy files new releases", got)
status, _ = d.stop()
t.ok(status == 0, "the daemon stops cleanly", d.log())

# ---- the default taxonomy ----
st, out, err = fm("check-config", "-c", write("default.conf", "[feedmill]\nfields = %s\n" % FIELDS_CONF))
m = re.search(r"fields.conf: ok, (\d+) fields", out)
t.ok(st == 0 and m is not None and int(m.group(1)) == 23, "conf/fields.conf loads with the 23 fields", out + err)
for text, slug in [
        (b"Observers deploy ahead of parliamentary elections\nThe election observation mission "
         b"opened its core team office today.\n", "elections"),
        (b"Training for judges on fighting human trafficking\nProsecutors and judges met to "
         b"discuss identifying victims of trafficking in human beings.\n",
         "combating-trafficking-in-human-beings"),
        (b"Journalists face threats, media freedom representative warns\nThe safety of "
         b"journalists must be ensured, she said.\n", "media-freedom-and-development")]:
    st, out, err = fm("fields", "explain", "-f", FIELDS_CONF, stdin=text)
    given = out.split("not given")[0]
    t.ok(st == 0 and ("(%s): from the text" % slug) in given,
         "the default taxonomy files a plain case under %s" % slug, out + err)

# News about none of the fields gets none: the model's floor gives its best
# field only when the text raises it over the model's bias
# (TAG_FLOOR_EVIDENCE), so off-topic items stay out of the fields' feeds.
# The markets report raises Democratization 0.36 with the shipped model
# ("holds", "closed"): a rule of 0.25, which would score 0.007 better on
# the OSCE set, files it there.
for text, what in [
        (b"Local team clinches title with late goal\nThe home side scored in the 89th minute "
         b"to win the league for the first time in twelve years. The coach thanked the "
         b"supporters and said the squad would celebrate.\n", "a football result"),
        (b"Storm brings heavy rain and strong winds to the coast\nForecasters expect up to "
         b"80 millimetres of rain over the weekend; ferry services have been cancelled.\n",
         "a weather warning"),
        (b"New phone model goes on sale with longer battery life\nThe handset offers a "
         b"brighter screen and a battery that lasts two days; pre-orders open on Friday.\n",
         "a product launch"),
        (b"Shares rise as central bank holds interest rates\nStock markets closed higher after "
         b"the central bank kept its main rate unchanged, citing easing inflation.\n",
         "a markets report")]:
    st, out, err = fm("fields", "explain", "-f", FIELDS_CONF, stdin=text)
    t.ok(st == 0 and out.startswith("no field"), "the default taxonomy gives %s no field" % what,
         out + err)

t.done()
