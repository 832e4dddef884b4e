#!/usr/bin/python3
"""`feedmill digest NAME [--dry-run]` against a real SMTP server (aiosmtpd,
Debian's python3-aiosmtpd, on 127.0.0.1; a second one with STARTTLS and
AUTH): what arrives is parsed with Python's email package and checked for
structure, headers, grouping, escaping and no release twice; a server down
at send time keeps the digest in the outbox, and it goes out once when the
server is back. TAP output.

Debian's /usr/bin/python3 runs this: that is where python3-aiosmtpd lives.
"""
import email
import email.policy
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feedmilltest import Daemon, FEEDMILL, Inbox, Tap, free_port, run_once, write_conf  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

t = Tap()
work = tempfile.mkdtemp(prefix="feedmill-digest-")


def fm(*args, env=None):
    p = subprocess.run([FEEDMILL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


ITEM = ("<item><title>%s</title><guid>%s</guid><link>https://news.example.org/%s</link>"
        "%s<description>%s</description></item>")


def item(title, guid, cats, desc):
    return ITEM % (title, guid, guid, cats, desc)

items = [
    ("Observers deploy for the parliamentary elections", "e1", "<category>Elections</category>",
     "The election observation mission opened its office."),
    ("Journalists &amp; &lt;b&gt;bold&lt;/b&gt; claims\r\nBcc: victim@example.org", "m1",
     "<category>Media freedom and development</category><category>Human rights</category>",
     "&lt;p&gt;A &lt;script&gt;alert(1)&lt;/script&gt; statement on media freedom.&lt;/p&gt;"),
    ("Grüße aus Wien: Konferenz über Menschenhandel", "t1",
     "<category>Combating trafficking in human beings</category><category>Migration</category>",
     "Trafficking in human beings was discussed."),
]
feed = os.path.join(work, "feed.rss")
with open(feed, "w") as f:
    f.write("<rss version='2.0'><channel><title>Press room</title><link>https://news.example.org/</link>"
            + "".join(item(*i) for i in items) + "</channel></rss>")

port = free_port()
state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")


def configure(smtp_extra="", url=None):
    write_conf(conf, state, [("press", "file://" + feed)],
               extra="")
    with open(conf, "a") as f:
        f.write("\n[digest daily]\nto = desk@example.org, chief@example.org\nat = 07:00\n"
                "timezone = Europe/Vienna\nsubject = Daily news: {count} releases ({date})\n"
                "\n[smtp]\nurl = %s\nfrom = feedmill@example.org\n%s"
                % (url or "smtp://127.0.0.1:%d" % port, smtp_extra))


configure()
st, log, _ = run_once(conf)
t.ok(st == 0, "the feed is polled", log)

st, out, err = fm("digest", "daily", "--dry-run", "-c", conf)
t.ok(st == 0 and "Subject: Daily news: 3 releases (" in out, "--dry-run prints the message", out + err)
db = sqlite3.connect(os.path.join(state, "feedmill.db"))
t.ok(db.execute("SELECT count(*) FROM digest_run").fetchone()[0] == 0, "--dry-run records nothing")
db.close()

# the server is down: the digest stays in the outbox
st, out, err = fm("digest", "daily", "-c", conf)
t.ok(st == 1 and "kept in the outbox" in err, "with the server down the send fails, kept", out + err)
db = sqlite3.connect(os.path.join(state, "feedmill.db"))
pending = db.execute("SELECT count(*), max(message_id) FROM digest_run WHERE status = 'pending'").fetchone()
db.close()
t.ok(pending[0] == 1, "one run is pending in the outbox", pending)

inbox = Inbox()
ctl = Controller(inbox, hostname="127.0.0.1", port=port)
ctl.start()
try:
    st, out, err = fm("digest", "daily", "-c", conf)
    t.ok(st == 0 and "sent" in out, "with the server up the pending digest is sent", out + err)
    st, out, err = fm("digest", "daily", "-c", conf)
    t.ok(st == 0 and "nothing new" in out, "sending again: nothing new, nothing sent", out + err)
finally:
    ctl.stop()
t.ok(len(inbox.messages) == 1, "exactly one message arrived", len(inbox.messages))
mail_from, rcpts, raw = inbox.messages[0] if inbox.messages else ("", [], b"")
t.ok(mail_from == "feedmill@example.org" and sorted(rcpts) == ["chief@example.org", "desk@example.org"],
     "envelope from and every recipient", (mail_from, rcpts))
msg = email.message_from_bytes(raw, policy=email.policy.default)
t.ok(msg["Message-ID"] == pending[1], "the message sent is the one composed (same Message-ID)",
     (msg["Message-ID"], pending[1]))
t.ok(msg.get_content_type() == "multipart/alternative", "multipart/alternative", msg.get_content_type())
parts = [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else []
t.ok(parts == ["text/plain", "text/html"], "a text/plain and a text/html part", parts)
for h in ("From", "To", "Date", "Subject", "Message-ID", "List-Id"):
    t.ok(msg[h] is not None, "header %s" % h)
t.ok(msg["Auto-Submitted"] == "auto-generated", "Auto-Submitted: auto-generated")
t.ok(all(p["Content-Transfer-Encoding"] == "quoted-printable" and p.get_content_charset() == "utf-8"
         for p in msg.iter_parts()), "both parts UTF-8, quoted-printable")
t.ok(b"Bcc:" not in raw.split(b"\r\n\r\n")[0], "no header comes from a feed's line break")
text = msg.get_body(("plain",)).get_content()
html = msg.get_body(("html",)).get_content()
t.ok(all(len(l) <= 72 or " " not in l for l in text.splitlines()), "text lines wrap at 72")
t.ok("https://news.example.org/e1" in text and "[1]" in text, "the text part lists the links", text)
t.ok(text.count("Journalists") == 1 and html.count("Journalists") == 1,
     "a release with several fields appears once", text)
t.ok("Also under: Media freedom and development" in text, "under its first field, naming the others", text)
els = [l for l in text.splitlines() if l.startswith("== ")]
t.ok(els == ["== Combating trafficking in human beings ==", "== Elections ==",
             "== Human rights =="], "grouped by field in taxonomy order", els)
t.ok("Grüße aus Wien" in text, "UTF-8 text arrives intact")
t.ok("<script" not in html and "<b>" not in html and "Journalists &amp; bold claims" in html,
     "feed text in the HTML part is escaped, markup in titles dropped", html)
t.ok("<img" not in html and "src=" not in html, "no images in the HTML part")

# STARTTLS and AUTH
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
gen = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                      "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                      "-addext", "subjectAltName=IP:127.0.0.1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t.ok(gen.returncode == 0, "a test certificate is made")
tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"feedmill" and \
        auth_data.password == b"s3cret"
    return AuthResult(success=ok)


secure = Inbox()
port2 = free_port()
ctl = Controller(secure, hostname="127.0.0.1", port=port2, tls_context=tls, require_starttls=True,
                 authenticator=authenticator, auth_require_tls=True)
ctl.start()
try:
    pw = os.path.join(work, "password")
    with open(pw, "w") as f:
        f.write("s3cret\n")
    configure("username = feedmill\npassword_file = %s\nstarttls = required\n" % pw,
              "smtp://127.0.0.1:%d" % port2)
    with open(feed, "a"):
        pass
    with open(feed) as f:
        body = f.read()
    with open(feed, "w") as f:
        f.write(body.replace("</channel>", item("Police reform plan presented", "p1",
                                                   "<category>Policing</category>",
                                                   "A plan.") + "</channel>"))
    st, log, _ = run_once(conf)
    st, out, err = fm("digest", "daily", "-c", conf, env={"FEEDMILL_SMTP_CAFILE": cert})
    t.ok(st == 0 and len(secure.messages) == 1, "sent with STARTTLS and AUTH", out + err)
    got = email.message_from_bytes(secure.messages[0][2], policy=email.policy.default) \
        if secure.messages else None
    t.ok(got is not None and "1 releases" in got["Subject"] and
         "Police reform" in got.get_body(("plain",)).get_content(),
         "the second run carries only the new release", got["Subject"] if got else None)
    with open(pw, "w") as f:
        f.write("wrong\n")
    with open(feed) as f:
        body = f.read()
    with open(feed, "w") as f:
        f.write(body.replace("</channel>", item("Another release", "a9", "", "Text.") + "</channel>"))
    run_once(conf)
    st, out, err = fm("digest", "daily", "-c", conf, env={"FEEDMILL_SMTP_CAFILE": cert})
    t.ok(st == 1 and len(secure.messages) == 1, "a wrong password is refused, nothing sent", err)
finally:
    ctl.stop()

configure("starttls = required\n", "smtp://127.0.0.1:%d" % port)
plain = Inbox()
ctl = Controller(plain, hostname="127.0.0.1", port=port)
ctl.start()
try:
    st, out, err = fm("digest", "daily", "-c", conf)
    t.ok(st == 1 and len(plain.messages) == 0,
         "starttls = required refuses a server without STARTTLS", out + err)
finally:
    ctl.stop()

# ---- the daemon sends on schedule, catches up once, retries ----
import calendar  # noqa: E402
import time  # noqa: E402

feed2 = os.path.join(work, "feed2.rss")


def write_feed2(entries):
    with open(feed2, "w") as f:
        f.write("<rss version='2.0'><channel><title>Desk</title><link>https://desk.example.org/</link>"
                + "".join(item(*e) for e in entries) + "</channel></rss>")


entries = [("Border guards trained in risk analysis", "b1", "", "Border management course.")]
write_feed2(entries)
port3 = free_port()
state2 = os.path.join(work, "state2")
conf2 = os.path.join(work, "feedmill2.conf")
write_conf(conf2, state2, [("desk", "file://" + feed2, {"interval": "1h"})])
with open(conf2, "a") as f:
    f.write("\n[digest morning]\nto = desk@example.org\nat = 07:00\ntimezone = Etc/UTC\n"
            "\n[smtp]\nurl = smtp://127.0.0.1:%d\nfrom = feedmill@example.org\n" % port3)
now = time.time()
today7 = calendar.timegm(time.gmtime(now)[:3] + (7, 0, 0, 0, 0, 0))
next7 = today7 if today7 > now + 30 else today7 + 86400
# The daemon's clock: 15 s before 07:00. Starting must not take all of it
# (under ASan on a busy machine, loading the taxonomy's model alone takes
# seconds): a daemon that starts after 07:00 rightly waits for tomorrow.
offset = int(next7 - now - 15)
box = Inbox()
ctl = Controller(box, hostname="127.0.0.1", port=port3)
ctl.start()
try:
    d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset)})
    got = d.wait_for("event=digest-sent", timeout=45)
    t.ok(got and len(box.messages) == 1, "the daemon sends the digest at 07:00 on its clock", d.log())
    sent_at = None
    if box.messages:
        first_msg = email.message_from_bytes(box.messages[0][2], policy=email.policy.default)
        sent_at = first_msg["Date"].datetime.timestamp() if first_msg["Date"] else None
    t.ok(sent_at is not None and 0 <= sent_at - next7 < 10,
         "composed at 07:00 on the daemon's clock, not before", "Date: %s, 07:00 is %d"
         % (sent_at, next7))
    time.sleep(1)
    st_, _ = d.stop()
    t.ok(st_ == 0 and len(box.messages) == 1, "once", d.log())

    # a week later, with news: one catch-up mail at start, not seven
    entries.append(("Youth forum on civic participation", "y1", "", "Young people met."))
    write_feed2(entries)
    d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset + 7 * 86400 + 3600)})
    got = d.wait_for("event=digest-sent", timeout=30)
    time.sleep(2)
    t.ok(got and len(box.messages) == 2, "a missed week gives one catch-up mail", d.log())
    last = email.message_from_bytes(box.messages[-1][2], policy=email.policy.default) \
        if len(box.messages) == 2 else None
    body = last.get_body(("plain",)).get_content() if last else ""
    t.ok("Youth forum" in body and "Border guards" not in body,
         "with what is new since the last mail, nothing twice", body)
    st_, _ = d.stop()
finally:
    ctl.stop()

# the server down when due: kept, retried, delivered once; even across a
# restart
entries.append(("Rule of law conference closes", "r1", "", "Judges met."))
write_feed2(entries)
d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset + 8 * 86400 + 3600)})
t.ok(d.wait_for("event=digest-failed", timeout=30), "with the server down the send fails", d.log())
st_, _ = d.stop(signal.SIGKILL)
box2 = Inbox()
ctl = Controller(box2, hostname="127.0.0.1", port=port3)
ctl.start()
try:
    d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset + 8 * 86400 + 3700)})
    got = d.wait_for("event=digest-sent", timeout=40)
    time.sleep(2)
    t.ok(got and len(box2.messages) == 1, "after a SIGKILL and a restart the pending digest "
         "is delivered, once", d.log())
    body = email.message_from_bytes(box2.messages[0][2], policy=email.policy.default) \
        .get_body(("plain",)).get_content() if box2.messages else ""
    t.ok("Rule of law conference" in body and "Youth forum" not in body,
         "the pending run as it was composed", body)
    d.stop()
finally:
    ctl.stop()

# killed between composing and the server taking it: sent once after
# the restart (the server never took the first try)
class SlowInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio
        await asyncio.sleep(5)
        envelope.rcpt_tos.append(address)
        return "250 OK"


entries.append(("Election code amended after review", "e9", "", "The code changed."))
write_feed2(entries)
slow = SlowInbox()
ctl = Controller(slow, hostname="127.0.0.1", port=port3)
ctl.start()
try:
    d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset + 9 * 86400 + 3600)})
    t.ok(d.wait_for("event=digest-composed", timeout=30), "a run is composed", d.log())
    time.sleep(1)
    d.stop(signal.SIGKILL)
finally:
    ctl.stop()
box3 = Inbox()
ctl = Controller(box3, hostname="127.0.0.1", port=port3)
ctl.start()
try:
    d = Daemon(conf2, env_extra={"FEEDMILL_TIME_OFFSET": str(offset + 9 * 86400 + 3700)})
    got = d.wait_for("event=digest-sent", timeout=40)
    time.sleep(2)
    t.ok(got and len(slow.messages) == 0 and len(box3.messages) == 1,
         "killed while sending, the run goes out once after the restart",
         (len(slow.messages), len(box3.messages), d.log()))
    body = email.message_from_bytes(box3.messages[0][2], policy=email.policy.default) \
        .get_body(("plain",)).get_content() if box3.messages else ""
    t.ok("Election code amended" in body, "with the release it was composed with", body)
    d.stop()
finally:
    ctl.stop()

t.done()
