#!/usr/bin/env python3
"""Self-check of httpfixtures.py: the fixtures themselves must work before
any feedmill test that uses them can be believed.  TAP output; exit 1 on any
failure.  Needs /usr/sbin/nginx and curl; takes a few seconds.
"""
import gzip
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpfixtures  # noqa: E402

tests = 0
failed = 0


def ok(cond, name, diag=""):
    global tests, failed
    tests += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (tests, name))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def get(url, headers=None, timeout=5.0, method="GET"):
    """One request on a fresh connection: (status, headers, body), header
    names lowercased.  No redirect following, no decompression."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        target = u.path + ("?" + u.query if u.query else "")
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def process_group_gone(pgid):
    """True once no process is left in the group: nginx runs in a session
    of its own, so this covers the master and every worker."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


# Our own little feeds; the big one is over gzip_min_length and then some.
SMALL_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Self-check feed</title>
<link>http://127.0.0.1/</link>
<description>Checks that nginx serves what it is given.</description>
<item><title>Only entry</title><guid isPermaLink="false">selfcheck-1</guid></item>
</channel>
</rss>
"""
BIG_FEED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n'
            b"<channel>\n<title>Bigger self-check feed</title>\n"
            + b"".join(b"<item><title>Entry %d</title><guid>big-%d</guid>"
                       b"<description>Repetitive text compresses well."
                       b"</description></item>\n" % (i, i) for i in range(200))
            + b"</channel>\n</rss>\n")


def check_nginx(tmp):
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    with open(os.path.join(root, "small.xml"), "wb") as f:
        f.write(SMALL_FEED)
    with open(os.path.join(root, "big.xml"), "wb") as f:
        f.write(BIG_FEED)

    nginx = httpfixtures.Nginx(root, os.path.join(tmp, "nginx"), hosts=2)
    with nginx:
        pid = nginx.proc.pid
        status, headers, body = get(nginx.url("small.xml"))
        etag = headers.get("etag")
        ok(status == 200 and body == SMALL_FEED, "nginx serves a file",
           "status %s, %d bytes" % (status, len(body)))
        ok(etag and headers.get("last-modified")
           and headers.get("content-type") == "application/rss+xml",
           "nginx sends ETag, Last-Modified and the rss type", headers)

        status, headers, body = get(nginx.url("small.xml"),
                                    {"If-None-Match": etag or "none",
                                     "User-Agent": "selfcheck\t\"agent\""})
        ok(status == 304 and body == b"", "nginx answers 304 to its own ETag",
           "status %s" % status)

        log = nginx.requests(min_count=2)
        ok([(e["method"], e["uri"], e["status"]) for e in log]
           == [("GET", "/small.xml", 200), ("GET", "/small.xml", 304)],
           "access log records both requests", log)
        ok(len(log) == 2 and log[0]["if_none_match"] is None
           and log[1]["if_none_match"] == etag
           and log[0]["bytes"] == len(SMALL_FEED) and log[1]["bytes"] == 0,
           "access log has If-None-Match and body sizes", log)
        ok(len(log) == 2 and log[1]["user_agent"] == 'selfcheck\t"agent"',
           "access log unescapes nginx's \\xHH escapes", log)

        curl = subprocess.run(
            ["curl", "-sS", "-D", "-", "-o", "/dev/null",
             "-H", "Accept-Encoding: gzip", nginx.url("big.xml")],
            capture_output=True, text=True, timeout=10)
        ok(curl.returncode == 0
           and "content-encoding: gzip" in curl.stdout.lower(),
           "curl: nginx gzips a %d-byte .xml file" % len(BIG_FEED),
           curl.stdout + curl.stderr)

        status, headers, body = get(nginx.url("big.xml"),
                                    {"Accept-Encoding": "gzip"})
        try:
            plain = gzip.decompress(body)
        except (OSError, EOFError) as e:
            plain = repr(e)
        ok(status == 200 and plain == BIG_FEED and len(body) < len(BIG_FEED),
           "gzipped body inflates to the file (%d -> %d bytes)"
           % (len(body), len(BIG_FEED)), headers)
        # Surprise worth pinning: gzip turns the strong ETag into a weak one.
        gz_etag = headers.get("etag", "")
        status, _, _ = get(nginx.url("big.xml"),
                           {"Accept-Encoding": "gzip",
                            "If-None-Match": gz_etag})
        ok(gz_etag.startswith('W/"') and status == 304,
           "gzipped response has a weak ETag that still gives 304",
           "etag %r, status %s" % (gz_etag, status))

        status, _, body = get(nginx.url("small.xml", host_index=1))
        ok(status == 200 and body == SMALL_FEED
           and nginx.url("x", 1).startswith("http://127.0.0.2:"),
           "second loopback host 127.0.0.2 serves the same root")
    ok(process_group_gone(pid) and not nginx.running,
       "nginx master and workers are gone after the with block")


def check_fault_server():
    with httpfixtures.FaultServer() as fs:
        status, headers, body = get(fs.url("/feed/alpha"))
        ok(status == 200 and headers.get("etag") == '"v1-alpha"'
           and headers.get("last-modified") == httpfixtures.LAST_MODIFIED
           and body.count(b"<item>") == 2 and b"alpha" in body
           and headers.get("content-type", "").startswith(
               "application/rss+xml"),
           "fault /feed gives 200 with ETag and two items", headers)
        status, headers, body = get(fs.url("/feed/alpha"),
                                    {"If-None-Match": '"v1-alpha"'})
        ok(status == 304 and body == b"", "fault /feed gives 304 on its ETag",
           "status %s" % status)
        ok(fs.hits("/feed/alpha") == 2
           and fs.requests[-1][1].get("if-none-match") == '"v1-alpha"',
           "fault server records hits and lowercased headers", fs.requests)

        status, _, _ = get(fs.url("/status/500"))
        ok(status == 500, "/status/500 gives 500", status)

        status, headers, _ = get(fs.url("/moved301/beta"))
        ok(status == 301 and headers.get("location") == fs.url("/feed/beta"),
           "/moved301 gives 301 to the absolute /feed URL", headers)

        status, headers, _ = get(fs.url("/chain-301-302/gamma"))
        ok(status == 301
           and headers.get("location") == fs.url("/moved302/gamma"),
           "/chain-301-302 starts with a 301 to /moved302", headers)

        status, headers, _ = get(fs.url("/ratelimit?after=7"))
        ok(status == 429 and headers.get("retry-after") == "7",
           "/ratelimit?after=7 gives 429 with Retry-After 7", headers)

        status, headers, _ = get(fs.url("/unavailable-date?in=60"))
        ok(status == 503 and headers.get("retry-after", "").endswith(" GMT"),
           "/unavailable-date gives 503 with an HTTP-date", headers)

        status, headers, _ = get(fs.url("/loop/1"))
        ok(status == 302 and headers.get("location") == "/loop/2",
           "/loop/1 redirects to /loop/2", headers)

        start = time.monotonic()
        try:
            get(fs.url("/hang"), timeout=1.0)
            result = "answered"
        except socket.timeout:
            result = "timeout"
        except OSError as e:
            result = repr(e)
        elapsed = time.monotonic() - start
        ok(result == "timeout" and elapsed < 1.5,
           "/hang times out a 1 s client (%.2f s)" % elapsed, result)

        status, headers, body = get(fs.url("/gzipbomb"))
        head = zlib.decompressobj(31).decompress(body, 4096)
        isize = int.from_bytes(body[-4:], "little")
        ok(status == 200 and headers.get("content-encoding") == "gzip"
           and len(body) < 2 << 20
           and int(headers.get("content-length", -1)) == len(body)
           and head.startswith(b"<?xml") and isize > 1 << 30,
           "/gzipbomb is %d bytes that claim to inflate to %d"
           % (len(body), isize), headers)

        try:
            status, _, body = get(fs.url("/reset"))
            result = "complete read, status %s, %d bytes" % (status, len(body))
        except (ConnectionError, http.client.IncompleteRead) as e:
            result = type(e).__name__
        ok(result in ("ConnectionResetError", "IncompleteRead"),
           "/reset breaks the connection", result)

        u = urllib.parse.urlsplit(fs.url("/endless"))
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
        conn.request("GET", "/endless")
        resp = conn.getresponse()
        got = len(resp.read(1 << 20))
        conn.close()
        ok(resp.status == 200 and got == 1 << 20
           and resp.getheader("transfer-encoding") == "chunked",
           "/endless streams at least 1 MiB of chunks")

        status, _, _ = get(fs.url("/no/such/route"))
        ok(status == 404, "unknown route gives 404", status)

        # Clients that never finish must not hold up shutdown.
        hangers = []
        for path in ("/hang", "/hang-headers", "/drip", "/slowheaders"):
            s = socket.create_connection(("127.0.0.1", fs.port))
            s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            hangers.append(s)
        deadline = time.monotonic() + 2
        while fs.hits("/slowheaders") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.monotonic()
    # (left the with block: stop() ran)
    elapsed = time.monotonic() - start
    ok(elapsed < 1.0, "fault server stops in %.2f s with 4 hanging clients"
       % elapsed)
    closed = 0
    for s in hangers:
        s.settimeout(1.0)
        try:
            while s.recv(65536):
                pass
            closed += 1
        except ConnectionError:
            closed += 1
        except socket.timeout:
            pass
        s.close()
    ok(closed == len(hangers), "hanging clients see their connection closed",
       "%d of %d" % (closed, len(hangers)))


def main():
    tmp = tempfile.mkdtemp(prefix="httpfixtures-selftest-")
    try:
        check_nginx(tmp)
        check_fault_server()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
