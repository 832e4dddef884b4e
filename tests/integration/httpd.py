#!/usr/bin/env python3
"""The built-in HTTP server as clients use it: curl for validators (304),
gzip, HEAD and errors; raw sockets for limits and slow clients; newsboat
subscribing to all.atom; /healthz; a socket passed the systemd way
(LISTEN_FDS). TAP output.
"""
import gzip
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feedmilltest import Daemon, FEEDMILL, Tap, free_port, write_conf  # noqa: E402

t = Tap()
work = tempfile.mkdtemp(prefix="feedmill-httpd-")


def curl(*args):
    p = subprocess.run(["curl", "-s", "--max-time", "10"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout


def head(url, *extra):
    """(status, {header: value}) of a request, body discarded."""
    rc, out = curl("-o", "/dev/null", "-D", "-", *extra, url)
    lines = out.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    hdrs = {}
    for l in lines[1:]:
        if ":" in l:
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return status, hdrs


ITEM = ("<item><title>%s</title><guid>%s</guid><link>https://news.example.org/%s</link>"
        "<pubDate>Mon, 0%d Nov 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;%s&lt;/p&gt;"
        "</description></item>")


def write_feed(n):
    items = "".join(ITEM % ("Release number %d on election observers" % i, "g%d" % i, "r%d" % i,
                            1 + i % 9, "Paragraph for release %d." % i) for i in range(n))
    with open(os.path.join(work, "feed.rss"), "w") as f:
        f.write("<rss version='2.0'><channel><title>Newsroom</title>"
                "<link>https://news.example.org/</link>%s</channel></rss>" % items)


write_feed(3)
port = free_port()
base = "http://127.0.0.1:%d" % port
state = os.path.join(work, "state")
conf = os.path.join(work, "feedmill.conf")
write_conf(conf, state, [("newsroom", "file://" + os.path.join(work, "feed.rss"), {"interval": "1h"})],
           extra="listen = 127.0.0.1:%d\nbase_url = %s/" % (port, base))
d = Daemon(conf)
t.ok(d.wait_for("event=listening address=127.0.0.1:%d" % port), "the daemon listens", d.log())
t.ok(d.wait_for("event=published"), "and publishes", d.log())
public = os.path.join(state, "public")

status, h = head(base + "/all.atom")
with open(os.path.join(public, "all.atom"), "rb") as f:
    on_disk = f.read()
rc, body = curl(base + "/all.atom")
t.ok(status == 200 and body == on_disk, "GET /all.atom serves the published file")
t.ok(h.get("content-type") == "application/atom+xml; charset=utf-8", "as application/atom+xml; charset=utf-8", h)
t.ok("etag" in h and "last-modified" in h, "with ETag and Last-Modified", h)
etag = h.get("etag", "")
status, _ = head(base + "/all.atom", "-H", "If-None-Match: " + etag)
t.ok(status == 304, "If-None-Match with the ETag gets 304", status)
status, _ = head(base + "/all.atom", "-H", "If-Modified-Since: " + h.get("last-modified", ""))
t.ok(status == 304, "If-Modified-Since with Last-Modified gets 304", status)
status, _ = head(base + "/all.atom", "-H", 'If-None-Match: "nope"')
t.ok(status == 200, "another ETag gets the file", status)

rc, out = curl("-D", os.path.join(work, "gz.h"), "-H", "Accept-Encoding: gzip", base + "/all.atom")
with open(os.path.join(work, "gz.h")) as f:
    gzh = f.read().lower()
t.ok("content-encoding: gzip" in gzh and gzip.decompress(out) == on_disk,
     "gzip when the client accepts it, the same bytes once inflated", gzh)
t.ok("vary: accept-encoding" in gzh, "Vary: Accept-Encoding")

p = subprocess.run(["curl", "-s", "-I", base + "/all.atom"], stdout=subprocess.PIPE)
t.ok(p.stdout.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" == p.stdout[-4:], "HEAD gets headers, no body")

for path in ("/feedmill.db", "/../feedmill.conf", "/%2e%2e/feedmill.conf", "/fields/../all.atom",
             "/archive/all/x.atom", "/all.atom.tmp-abc", "/.hidden.atom", "/sources/.x.atom",
             "/public/all.atom", "/etc/passwd"):
    status, _ = head(base + path, "--path-as-is")
    t.ok(status == 404, "%s is 404: nothing outside the published set" % path, status)
rc, out = curl("-X", "POST", "-d", "x=1", "-D", "-", "-o", "/dev/null", base + "/all.atom")
t.ok(out.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD" in out, "POST is 405 with Allow", out)
status, h = head(base + "/")
t.ok(status == 200 and h.get("content-type", "").startswith("text/html"), "/ is index.html", h)
t.ok("default-src 'none'" in h.get("content-security-policy", ""), "index.html forbids scripts by CSP", h)

rc, out = curl(base + "/healthz")
try:
    hz = json.loads(out)
except ValueError:
    hz = {}
t.ok(hz.get("status") == "ok" and hz.get("sources") == 1 and hz.get("releases") == 3 and hz.get("last_success"),
     "/healthz reports sources, releases and the last success", out)

# republishing after a change: new ETag, the old one no longer 304
write_feed(5)
d.send(signal.SIGUSR1)
t.ok(d.wait_for(lambda l: "event=published releases=2" in l), "new releases are published", d.log())
status, h2 = head(base + "/all.atom", "-H", "If-None-Match: " + etag)
t.ok(status == 200 and h2.get("etag") != etag, "after a change the old ETag gets the new file", h2)

# limits: a request with 100 KB of headers is refused, the server lives on
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
s.settimeout(10)
try:
    reply = s.recv(200)
except (socket.timeout, ConnectionResetError):
    reply = b""
s.close()
t.ok(not reply.startswith(b"HTTP/1.1 200"), "oversized request headers are refused", reply[:60])
status, _ = head(base + "/all.atom")
t.ok(status == 200, "and the server still answers", status)

# a slow client holding a half-sent request does not stall anyone
slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
for s in slow:
    s.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n")
start = time.monotonic()
status, _ = head(base + "/all.atom")
t.ok(status == 200 and time.monotonic() - start < 2, "half-sent requests do not stall others")
# a reader that never reads: the server's writes do not block the loop
greedy = socket.create_connection(("127.0.0.1", port))
greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
greedy.sendall(b"GET /all.atom HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
start = time.monotonic()
status, _ = head(base + "/healthz")
t.ok(status == 200 and time.monotonic() - start < 2, "a client that does not read does not stall others")
for s in slow + [greedy]:
    s.close()

# newsboat, a real feed reader, subscribes over HTTP
urls = os.path.join(work, "urls")
with open(urls, "w") as f:
    f.write(base + "/all.atom\n")
cache = os.path.join(work, "newsboat.db")
env = dict(os.environ, HOME=work)
p = subprocess.run(["newsboat", "-u", urls, "-c", cache, "-C", os.path.join(work, "nbconf"), "-x", "reload"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
titles = []
if os.path.exists(cache):
    db = sqlite3.connect(cache)
    titles = sorted(r[0] for r in db.execute("SELECT title FROM rss_item"))
    db.close()
t.ok(p.returncode == 0 and titles == sorted("Release number %d on election observers" % i for i in range(5)),
     "newsboat subscribes to all.atom and lists its 5 entries", (p.returncode, p.stderr[-300:], titles))

status, _ = d.stop()
t.ok(status == 0, "the daemon stops cleanly", d.log())

# socket activation: the listening socket on fd 3, LISTEN_PID/LISTEN_FDS set
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(16)
aport = sock.getsockname()[1]
write_conf(conf, state, [("newsroom", "file://" + os.path.join(work, "feed.rss"), {"interval": "1h"})],
           extra="listen = 127.0.0.1:1\nbase_url = %s/" % base)
if sock.fileno() != 3:
    os.dup2(sock.fileno(), 3, inheritable=True)
proc = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" run -c "$1"', FEEDMILL, conf],
                        pass_fds=(3,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if sock.fileno() != 3:
    os.close(3)
sock.close()
ok = False
for _ in range(100):
    status, _ = head("http://127.0.0.1:%d/all.atom" % aport)
    if status == 200:
        ok = True
        break
    time.sleep(0.1)
t.ok(ok, "with LISTEN_FDS it serves the socket systemd passed")
proc.send_signal(signal.SIGTERM)
try:
    proc.wait(timeout=20)
except subprocess.TimeoutExpired:
    proc.kill()
    proc.wait()
t.ok(proc.returncode == 0, "and stops cleanly", proc.stderr.read().decode()[-500:])

t.done()
