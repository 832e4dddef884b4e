#!/usr/bin/python3
"""`feedmill digest NAME` through `[smtp] sendmail =`: the real MTA client
msmtp (Debian's msmtp) is the sendmail program, called the way feedmill
calls it (`PROGRAM -i -f FROM -- TO...`, the message on its standard input)
through a small wrapper that gives it the test's own msmtprc, and it
delivers to a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) on
127.0.0.1. What arrives is parsed with Python's email package and compared
byte for byte with the message stored in the outbox; a digest far larger
than the 16 KiB chunks feedmill pipes in arrives whole; nothing goes out
twice; a sendmail that fails keeps the digest in the outbox and the retry
sends the very same message; a sendmail that cannot run is named.
check-config refuses a sendmail that is not an absolute path to an
executable. TAP output.

Debian's /usr/bin/python3 runs this: that is where python3-aiosmtpd lives.
"""
import datetime
import email
import email.policy
import email.utils
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feedmilltest import Daemon, FEEDMILL, FIELDS_CONF, Inbox, Tap, free_port, run_once, write_conf  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

t = Tap()
MSMTP = shutil.which("msmtp") or "/usr/bin/msmtp"
if not os.access(MSMTP, os.X_OK):
    print("1..0 # SKIP msmtp is not installed (apt-get install msmtp)")
    sys.exit(0)

work = tempfile.mkdtemp(prefix="feedmill-sendmail-")
FROM = "feedmill@example.org"
TO = ["desk@example.org", "chief@example.org"]


SANITIZER = re.compile(r"runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer")
reports = []     # sanitizer reports from any command, failing ones included


def scan(args, err):
    if SANITIZER.search(err):
        reports.append("feedmill %s:\n%s" % (" ".join(args), err))


def fm(*args, env=None):
    p = subprocess.run([FEEDMILL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=dict(os.environ, **(env or {})))
    err = p.stderr.decode("utf-8", "replace")
    scan(args, err)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def poll():
    """`feedmill run --once`: (status, log)."""
    st, log, _ = run_once(conf)
    scan(("run", "--once"), log)
    return st, log


def clock(when, align=False):
    """The environment for a command whose clock reads `when`
    (FEEDMILL_TIME_OFFSET is added to its time()); align: start just after
    a second begins, so that it reads its clock before the next one."""
    if align:
        time.sleep(1.02 - time.time() % 1)
    return {"FEEDMILL_TIME_OFFSET": str(when - int(time.time()))}


def executable(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def query(sql, args=()):
    db = sqlite3.connect(os.path.join(state, "feedmill.db"))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


# ---- feeds ----

ITEM = ("<item><title>%s</title><guid>%s</guid><link>https://news.example.org/%s</link>"
        "<pubDate>%s</pubDate><description>%s</description></item>")
PUBDATE = email.utils.formatdate(time.time() - 3600, usegmt=True)   # an hour ago: not "old"


def rss(path, title, items):
    with open(path, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0'><channel>"
                "<title>%s</title><link>https://news.example.org/</link>" % title)
        for (ttl, guid, desc) in items:
            f.write(ITEM % (ttl, guid, guid, PUBDATE, desc))
        f.write("</channel></rss>\n")


press = [
    ("Observers deploy for the parliamentary elections", "e1",
     "The election observation mission opened its office in the capital."),
    ("Grüße aus Wien: Konferenz über Menschenhandel", "t1",
     "Trafficking in human beings was discussed by experts from forty states."),
    ("Media freedom &amp; safety of journalists reviewed", "m1",
     "&lt;p&gt;The representative met editors.&lt;/p&gt;&lt;p&gt;A second paragraph "
     "on the safety of journalists.&lt;/p&gt;"),
]
press_feed = os.path.join(work, "press.rss")
rss(press_feed, "Press room", press)

# 400 releases of 1-2 KB each, every paragraph its own (or they would be
# taken for copies of each other)
rnd = random.Random(20250602)
vocab = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 10)))
         for _ in range(3000)]
bulk = []
for i in range(400):
    paras = ["&lt;p&gt;%s.&lt;/p&gt;" % " ".join(rnd.choice(vocab)
                                                 for _ in range(rnd.randint(60, 110)))
             for _ in range(3)]
    bulk.append(("Bulk release %04d on regional cooperation" % i, "b%04d" % i, "".join(paras)))
bulk_feed = os.path.join(work, "bulk.rss")
rss(bulk_feed, "Bulk desk", [])          # empty until part 2

# ---- the mail server, msmtp, the sendmail programs ----

port = free_port()
msmtprc = os.path.join(work, "msmtprc")
msmtp_log = os.path.join(work, "msmtp.log")
with open(msmtprc, "w") as f:
    f.write("defaults\nlogfile %s\ntimeout 30\n\naccount test\nhost 127.0.0.1\nport %d\n"
            "from %s\nauth off\ntls off\n\naccount default : test\n" % (msmtp_log, port, FROM))
os.chmod(msmtprc, 0o600)
# the working program: msmtp with the test's msmtprc; it notes its
# arguments and what it was given (msmtp itself turns any line end into
# CRLF, so what arrives cannot tell)
args_file = os.path.join(work, "args")
given = os.path.join(work, "given.eml")
good = executable(os.path.join(work, "sendmail-msmtp"),
                  "#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s\ntee %s | exec %s -C %s \"$@\"\n"
                  % (args_file, given, MSMTP, msmtprc))
failed_input = os.path.join(work, "tempfail.eml")
tempfail = executable(os.path.join(work, "sendmail-tempfail"),
                      "#!/bin/sh\ncat > %s\nexit 75\n" % failed_input)
missing = executable(os.path.join(work, "sendmail-missing"),
                     "#!/bin/sh\nexec %s/no-such-dir/sendmail \"$@\"\n" % work)
badinterp = executable(os.path.join(work, "sendmail-badinterp"),
                       "#!%s/no-such-dir/sh\nexit 0\n" % work)

state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")

# the default taxonomy without its learned model: filing is not what this
# tests, and every command loading the model takes seconds under ASan
fields = os.path.join(work, "fields.conf")
with open(FIELDS_CONF, encoding="utf-8") as f:
    taxonomy = f.read()
with open(fields, "w", encoding="utf-8") as f:
    f.write(re.sub(r"(?m)^model\s*=.*$", "", taxonomy))


def configure(sendmail, path=conf):
    write_conf(path, state, [("press", "file://" + press_feed), ("bulk", "file://" + bulk_feed)])
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(re.sub(r"(?m)^fields = .*$", "fields = " + fields, text, count=1))
    with open(path, "a") as f:
        f.write("\n[digest daily]\nto = %s\nat = 07:00\ntimezone = Europe/Vienna\n"
                "subject = Daily news: {count} releases ({date})\n"
                "\n[smtp]\nfrom = %s\nsendmail = %s\n" % (", ".join(TO), FROM, sendmail))


def titles_in(text, titles):
    absent = [x for x in titles if x not in text]
    return not absent, absent[:5]


def text_and_html(msg, raw_lines=False):
    """The decoded parts; with CRLF line ends as they came unless raw_lines."""
    tp = msg.get_body(("plain",))
    hp = msg.get_body(("html",))
    text, html = (tp.get_content() if tp else ""), (hp.get_content() if hp else "")
    if raw_lines:
        return text, html
    return text.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def line_ends_ok(raw):
    """CRLF everywhere: no bare LF, no bare CR, no CR doubled."""
    return (b"\r\r\n" not in raw and raw.count(b"\n") == raw.count(b"\r\n")
            and raw.count(b"\r") == raw.count(b"\r\n"))


def stored(n):
    """The message and status of the digest's nth run (from 0)."""
    rows = query("SELECT message, status FROM digest_run ORDER BY id")
    return (bytes(rows[n][0]), rows[n][1]) if len(rows) > n else (None, None)


def given_ok(body):
    """What the sendmail program was given is the stored message, with LF
    line ends."""
    try:
        with open(given, "rb") as f:
            got = f.read()
    except OSError:
        got = b""
    return body is not None and got == body.replace(b"\r\n", b"\n"), (len(got), len(body or b""))


def msmtp_tail():
    try:
        with open(msmtp_log) as f:
            return f.read()[-2000:]
    except OSError:
        return "(no msmtp log)"


press_titles = ["Observers deploy for the parliamentary elections",
                "Grüße aus Wien: Konferenz über Menschenhandel",
                "Media freedom & safety of journalists reviewed"]

inbox = Inbox()
ctl = Controller(inbox, hostname="127.0.0.1", port=port)
ctl.start()
try:
    # ---- check-config: sendmail must be an absolute path to a program ----
    for bad, why in (("msmtp", "a relative name"),
                     (os.path.join(work, "nonexistent"), "a missing file"),
                     (msmtprc, "a file that is not executable")):
        cc = os.path.join(work, "check.conf")
        configure(bad, cc)
        st, out, err = fm("check-config", "-c", cc)
        t.ok(st != 0 and "sendmail must be the absolute path" in err and bad in err
             and re.search(r"check\.conf:\d+: ", err),
             "check-config refuses sendmail = %s" % why, out + err)
    configure(good, os.path.join(work, "check.conf"))
    st, out, err = fm("check-config", "-c", os.path.join(work, "check.conf"))
    t.ok(st == 0, "check-config accepts the msmtp wrapper", out + err)

    # ---- 1. a small digest, sent through msmtp ----
    configure(good)
    st, log = poll()
    t.ok(st == 0, "the feeds are polled", log)

    # the dry run and the first two sends happen at the same second on
    # feedmill's clock, T0 (ten minutes ahead)
    T0 = int(time.time()) + 600
    st, dry, err = fm("digest", "daily", "--dry-run", "-c", conf, env=clock(T0, True))
    t.ok(st == 0 and "Subject: Daily news: 3 releases (" in dry, "--dry-run prints the message",
         dry + err)
    t.ok("Subject:" in dry and "\r" not in dry, "the dry run prints no CR")
    t.ok(not os.path.exists(args_file) and len(inbox.messages) == 0,
         "--dry-run runs no sendmail, sends nothing")
    drymsg = email.message_from_string(dry, policy=email.policy.default)
    drytext, _ = text_and_html(drymsg)

    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0, True))
    m = re.search(r"digest daily: sent (<[^>]+>), 3 releases, to 2 addresses", out)
    t.ok(st == 0 and m, "feedmill digest sends through sendmail", out + err + msmtp_tail())
    t.ok(len(inbox.messages) == 1, "exactly one message arrives",
         (len(inbox.messages), msmtp_tail()))
    try:
        with open(args_file) as f:
            argv = f.read().splitlines()
    except OSError:
        argv = None
    t.ok(argv == ["-i", "-f", FROM, "--"] + TO, "sendmail is called as -i -f FROM -- TO...", argv)
    mail_from, rcpts, raw = inbox.messages[0] if inbox.messages else ("", [], b"")
    t.ok(mail_from == FROM, "envelope sender is the configured from", mail_from)
    t.ok(sorted(rcpts) == sorted(TO), "envelope recipients are the digest's to addresses", rcpts)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    t.ok(msg.get_content_type() == "multipart/alternative", "multipart/alternative",
         msg.get_content_type())
    parts = [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else []
    t.ok(parts == ["text/plain", "text/html"], "a text/plain and a text/html part", parts)
    for h in ("From", "To", "Date", "Subject", "Message-ID", "List-Id"):
        t.ok(msg[h] is not None, "header %s" % h)
    t.ok(msg["Auto-Submitted"] == "auto-generated", "Auto-Submitted: auto-generated",
         msg["Auto-Submitted"])
    t.ok(m and msg["Message-ID"] == m.group(1), "the Message-ID is the one feedmill reports",
         (msg["Message-ID"], m and m.group(1)))
    t.ok(msg["Subject"] and msg["Subject"].startswith("Daily news: 3 releases ("), "the subject",
         msg["Subject"])
    t.ok(msg.is_multipart() and all(not p.defects for p in msg.walk()),
         "the email package finds no defects",
         [(p.get_content_type(), p.defects) for p in msg.walk()])
    text, html = text_and_html(msg, raw_lines=True)
    t.ok(text and "\r" not in text.replace("\r\n", "") and "\r" not in html.replace("\r\n", ""),
         "no stray CR inside the decoded parts")
    text, html = text_and_html(msg)
    ok, miss = titles_in(text, press_titles)
    t.ok(ok, "the text part carries every release title (UTF-8 intact)", (miss, text))
    t.ok(html.count("Media freedom &amp; safety") == 1, "the HTML part too, escaped", html)
    t.ok(raw and line_ends_ok(raw), "CRLF line ends throughout, none doubled, no bare CR or LF",
         (raw.count(b"\r\r\n"), raw.count(b"\n"), raw.count(b"\r\n"), raw.count(b"\r")))
    body, status = stored(0)
    t.ok(status == "sent", "the run is recorded as sent", status)
    t.ok(body is not None and raw == body,
         "what arrives is, byte for byte, the message in the outbox",
         (len(raw), len(body or b"")))
    ok, diag = given_ok(body)
    t.ok(ok, "sendmail was given exactly that message, with LF line ends", diag)
    links = lambda s: re.findall(r"^\[\d+\] (\S+)$", s, re.M)  # noqa: E731
    t.ok(links(drytext) == links(text) and len(links(text)) == 3 and
         titles_in(drytext, press_titles)[0] and drymsg["Subject"] == msg["Subject"],
         "the dry run made just before showed the same releases",
         (links(drytext), links(text), drymsg["Subject"], msg["Subject"]))
    # the same but for the Message-ID's random part, which is each run's own
    no_id = lambda b: re.sub(rb"(?m)^Message-ID: .*$", b"", b)  # noqa: E731
    t.ok(no_id(dry.encode()) == no_id(raw.replace(b"\r\n", b"\n")),
         "the dry run at the same time is the message sent (but its Message-ID), "
         "without CRs")
    t.ok(drymsg["Message-ID"] != msg["Message-ID"],
         "a dry run and a real run in the same second have different Message-IDs",
         (drymsg["Message-ID"], msg["Message-ID"]))

    # ---- 2. a digest far larger than the 16 KiB chunks piped to sendmail ----
    rss(bulk_feed, "Bulk desk", bulk)
    # a poll ingests for a quarter of a second and defers the rest
    polls, st, log = 0, 0, "event=deferred"
    while st == 0 and "event=deferred" in log and polls < 50:
        st, log = poll()
        polls += 1
    n = query("SELECT count(*) FROM release")[0][0]
    t.ok(st == 0 and n == 403, "400 more releases are ingested (%d polls)" % polls, (n, log))
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0, True))
    t.ok(st == 0 and "sent" in out and "400 releases" in out, "the large digest is sent",
         out + err + msmtp_tail())
    t.ok(len(inbox.messages) == 2, "one more message arrives", len(inbox.messages))
    raw = inbox.messages[1][2] if len(inbox.messages) == 2 else b""
    t.ok(len(raw) > 20 * 16384, "the message is many chunks long", len(raw))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text, html = text_and_html(msg)
    bulk_titles = [b[0] for b in bulk]
    ok, miss = titles_in(text, bulk_titles)
    t.ok(ok, "all 400 titles are in the text part", miss)
    t.ok(len(links(text)) == 400 and links(text)[-1].startswith("https://news.example.org/b"),
         "the text part ends with its 400 links", links(text)[-3:])
    t.ok(html.rstrip().endswith("</html>") and html.count("Bulk release ") >= 400,
         "the HTML part is complete (all titles, ends with </html>)", html[-300:])
    t.ok(raw.rstrip().endswith(b"--") and msg.get_boundary() and
         raw.rstrip().endswith(("--" + msg.get_boundary() + "--").encode()),
         "the message ends with its closing boundary", raw[-200:])
    t.ok(raw and line_ends_ok(raw), "CRLF line ends throughout the large message",
         (raw.count(b"\r\r\n"), raw.count(b"\n"), raw.count(b"\r\n"), raw.count(b"\r")))
    body, status = stored(1)
    t.ok(body is not None and raw == body and status == "sent",
         "it arrives byte for byte as stored, and is recorded as sent",
         (len(raw), len(body or b""), status))
    ok, diag = given_ok(body)
    t.ok(ok, "sendmail was given all of it, chunk after chunk, with LF line ends", diag)
    t.ok(text and "Observers deploy" not in text, "releases already mailed are not in it")
    runs = query("SELECT created, message_id FROM digest_run ORDER BY id")
    ids = [m_["Message-ID"] for m_ in (email.message_from_bytes(x[2], policy=email.policy.default)
                                       for x in inbox.messages)]
    t.ok(len(runs) == 2 and len(set(r[1] for r in runs)) == 2 and len(set(ids)) == len(ids) == 2,
         "two runs composed in the same second have distinct Message-IDs", (runs, ids))

    # ---- 3. again: nothing new, nothing sent ----
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 60))
    t.ok(st == 0 and "nothing new" in out, "sending again: nothing new", out + err)
    t.ok(len(inbox.messages) == 2, "no further message", len(inbox.messages))
    dup = query("SELECT count(*) FROM (SELECT release FROM digest_item GROUP BY release "
                "HAVING count(*) > 1)")[0][0]
    t.ok(dup == 0 and query("SELECT count(*) FROM digest_item")[0][0] == 403,
         "each of the 403 releases is in exactly one digest", dup)

    # ---- 4. a sendmail that fails: kept, then the same message resent ----
    press += [("Border guards trained in risk analysis", "g1", "A course on border management."),
              ("Youth forum on civic participation", "y1", "Young people met in Skopje.")]
    rss(press_feed, "Press room", press)
    st, log = poll()
    t.ok(st == 0, "two more releases are ingested", log)
    configure(tempfail)
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 120))
    t.ok(st != 0 and "kept in the outbox" in err, "a sendmail exiting 75: the send fails, the "
         "digest is kept in the outbox", (st, out, err))
    t.ok(tempfail in err and "75" in err, "the error names the program and its status", err)
    t.ok(len(inbox.messages) == 2, "nothing arrives", len(inbox.messages))
    pending = query("SELECT message_id, attempts, error FROM digest_run WHERE status = 'pending'")
    t.ok(len(pending) == 1 and pending[0][1] >= 1 and pending[0][2],
         "one run is pending, its attempt and error recorded", pending)
    pending_id = pending[0][0] if pending else None
    try:
        with open(failed_input, "rb") as f:
            piped = f.read()
    except OSError:
        piped = b""
    t.ok(piped and b"\r" not in piped and b"\n" in piped,
         "the failed sendmail was given the message with LF line ends", piped[:200])
    pm = email.message_from_bytes(piped, policy=email.policy.default)
    t.ok(pending_id and pm["Message-ID"] == pending_id, "... the pending one",
         (pm["Message-ID"], pending_id))

    configure(good)
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 180))
    t.ok(st == 0 and pending_id and pending_id in out, "with a working sendmail the pending run "
         "is sent", out + err + msmtp_tail())
    t.ok(len(inbox.messages) == 3, "exactly one message arrives", len(inbox.messages))
    raw = inbox.messages[2][2] if len(inbox.messages) == 3 else b""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    t.ok(pending_id and msg["Message-ID"] == pending_id,
         "its Message-ID is that of the failed attempt", (msg["Message-ID"], pending_id))
    text, _ = text_and_html(msg)
    t.ok("Border guards trained" in text and "Youth forum" in text and "Bulk release" not in text,
         "it carries the two new releases, nothing older", text[:2000])
    t.ok(raw and raw.replace(b"\r\n", b"\n") == piped,
         "it is the message the failed attempt was given (with CRLF)")
    t.ok(query("SELECT status FROM digest_run WHERE message_id = ?", (pending_id,)) == [("sent",)]
         and query("SELECT count(*) FROM digest_run WHERE status != 'sent'")[0][0] == 0,
         "the run is now recorded as sent, nothing pending")
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 240))
    t.ok(st == 0 and "nothing new" in out and len(inbox.messages) == 3,
         "and then: nothing new, nothing sent", out + err)

    # ---- 5. a sendmail that cannot run ----
    press += [("Rule of law conference closes", "r1", "Judges and prosecutors met.")]
    rss(press_feed, "Press room", press)
    poll()
    # a script whose own exec fails exits 127 (the shell's word for it);
    # one feedmill cannot exec at all is "cannot run" with the reason
    cannot_run = [(missing, "runs a program that does not exist (exit 127)",
                   "exit status 127"),
                  (badinterp, "cannot be executed (bad interpreter)",
                   "cannot run %s: No such file or directory" % badinterp)]
    for k, (prog, why, says) in enumerate(cannot_run):
        configure(prog)
        st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 300 + 60 * k))
        t.ok(st != 0 and prog in err and says in err and "kept in the outbox" in err,
             "a sendmail that %s: an error naming it, the digest kept" % why, (st, out, err))
        t.ok(len(inbox.messages) == 3, "nothing arrives", len(inbox.messages))
    configure(good)
    st, out, err = fm("digest", "daily", "-c", conf, env=clock(T0 + 420))
    t.ok(st == 0 and len(inbox.messages) == 4, "with a working sendmail again it goes out once",
         out + err + msmtp_tail())
    text = text_and_html(email.message_from_bytes(inbox.messages[-1][2],
                                                  policy=email.policy.default))[0] \
        if len(inbox.messages) == 4 else ""
    t.ok("Rule of law conference" in text and "Youth forum" not in text,
         "with only the release it was composed with", text[:1000])

    # ---- 6. the daemon does not wait for the program ----
    # A sendmail that takes its time (msmtp delivers before it exits, as
    # long as the network takes): the daemon runs it from its loop and
    # answers HTTP meanwhile. Its clock starts 15 s before a 07:00 in
    # Vienna a day or so on (a daemon sends at its `at`, not at start).
    slow_mark = os.path.join(work, "slow-started")
    slow = executable(os.path.join(work, "sendmail-slow"),
                      "#!/bin/sh\ntouch %s\nsleep 4\nexec %s \"$@\"\n" % (slow_mark, good))
    press += [("Media freedom office visits the region", "m2",
               "&lt;p&gt;The office toured newsrooms in three towns.&lt;/p&gt;&lt;p&gt;Local "
               "editors spoke of pressure from advertisers.&lt;/p&gt;")]
    rss(press_feed, "Press room", press)
    configure(slow)
    http_port = free_port()
    with open(conf) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text.replace("listen =\n", "listen = 127.0.0.1:%d\nbase_url = http://127.0.0.1:%d/\n"
                             % (http_port, http_port), 1))
    vienna = zoneinfo.ZoneInfo("Europe/Vienna")
    day = datetime.datetime.fromtimestamp(T0 + 86400, vienna)
    seven = day.replace(hour=7, minute=0, second=0, microsecond=0)
    if seven.timestamp() <= T0 + 86400:
        seven = (day + datetime.timedelta(days=1)).replace(hour=7, minute=0, second=0,
                                                            microsecond=0)
    d = Daemon(conf, env_extra=clock(int(seven.timestamp()) - 15))
    try:
        started = d.wait_for(lambda l: "event=listening" in l, timeout=30)
        t.ok(started, "the daemon starts with a slow sendmail", d.log())
        deadline = time.time() + 45
        while time.time() < deadline and not os.path.exists(slow_mark):
            time.sleep(0.05)
        t.ok(os.path.exists(slow_mark), "at 07:00 its digest runs the program", d.log())
        t0 = time.time()
        try:
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--max-time", "3", "http://127.0.0.1:%d/healthz" % http_port],
                                 capture_output=True, text=True, timeout=10).stdout
        except subprocess.TimeoutExpired:
            out = ""
        took = time.time() - t0
        t.ok(out in ("200", "503") and took < 2 and len(inbox.messages) == 4,
             "while the program runs, the daemon answers HTTP at once (%.2f s)" % took,
             (out, took, len(inbox.messages)))
        sent = d.wait_for(lambda l: "event=digest-sent" in l, timeout=30)
        t.ok(sent and len(inbox.messages) == 5, "then the digest is sent, once",
             d.log() + msmtp_tail())
        text = text_and_html(email.message_from_bytes(inbox.messages[-1][2],
                                                      policy=email.policy.default))[0] \
            if len(inbox.messages) == 5 else ""
        t.ok("Media freedom office visits" in text, "with the new release", text[:500])
        st, _ = d.stop()
        t.ok(st == 0, "the daemon stops cleanly", d.log())
        scan(("run",), d.log())
    finally:
        if d.proc.poll() is None:
            d.stop()
    t.ok(query("SELECT count(*) FROM digest_run WHERE status = 'pending'")[0][0] == 0,
         "nothing is left pending")

    # ---- 7. the daemon stopped while the program runs ----
    # It is killed before its input ends, so it delivers nothing, and the
    # run stays pending for the next start: no truncated mail, none lost.
    open(slow_mark, "w").close()
    os.unlink(slow_mark)
    press += [("Border management training ends", "bm1", "Border guards trained.")]
    rss(press_feed, "Press room", press)
    # two days after that 07:00: a catch-up run at start
    d = Daemon(conf, env_extra=clock(int(seven.timestamp()) + 2 * 86400))
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not os.path.exists(slow_mark):
            time.sleep(0.05)
        t.ok(os.path.exists(slow_mark), "a second catch-up digest runs the program", d.log())
        st, secs = d.stop()
        time.sleep(5)    # what the program would have taken, and more
        t.ok(st == 0 and secs < 3 and len(inbox.messages) == 5,
             "stopped meanwhile: the daemon exits at once (%.1f s), nothing is delivered" % secs,
             (st, secs, len(inbox.messages), d.log()))
        scan(("run",), d.log())
    finally:
        if d.proc.poll() is None:
            d.stop()
    t.ok(query("SELECT count(*) FROM digest_run WHERE status = 'pending'")[0][0] == 1,
         "the run stays pending")
    configure(good)
    st, out, err = fm("digest", "daily", "-c", conf,
                      env=clock(int(seven.timestamp()) + 2 * 86400 + 60))
    time.sleep(0.5)
    t.ok(st == 0 and len(inbox.messages) == 6, "and goes out once at the next chance",
         out + err + msmtp_tail())
    t.ok(not reports, "no sanitizer reports from any command", "\n".join(reports))
finally:
    ctl.stop()
    if not t.failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("# left for a look: " + work)

t.done()
