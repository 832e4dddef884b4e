#!/usr/bin/env python3
"""Hostile input for `feedmill parse`: every case must end with exit status 1,
one line on stderr naming the input and the problem, no crash, and bounded
time and memory. Entries completed before the problem are still printed.

TAP output; run by `make check` with $FEEDMILL set to the binary.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

FEEDMILL = os.environ.get("FEEDMILL", "./feedmill")
# Generous enough for a slow machine; an unbounded parser blows through
# both (before the limits, 100 000 namespace declarations took 757 s and
# nested xml:base 1957 MB). AddressSanitizer's quarantine needs more room.
MAX_SECONDS = 90
with open(FEEDMILL, "rb") as _binary:
    SANITIZED = b"__asan_init" in _binary.read()
MAX_RSS_MB = 700 if SANITIZED else 200
# What a sound parser does with 64 MB of hostile input in well under this;
# each case was minutes before its fix.
FAST_SECONDS = 60 if SANITIZED else 15

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


def run(args, stdin_bytes=None, stdin_gen=None):
    """Run feedmill; feed stdin from bytes or a generator of chunks.
    Returns (status, stdout, stderr, seconds, max_rss_mb)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    stats = tempfile.NamedTemporaryFile()
    start = time.monotonic()
    # GNU time forks feedmill itself and reports its peak RSS. Measuring it
    # from here would count this interpreter's memory: a child's peak
    # includes what its parent had mapped when it was forked.
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", stats.name, FEEDMILL] + args,
                            stdout=out, stderr=err,
                            stdin=subprocess.PIPE if (stdin_bytes is not None or stdin_gen) else subprocess.DEVNULL)

    def writer():
        try:
            if stdin_bytes is not None:
                proc.stdin.write(stdin_bytes)
            else:
                for chunk in stdin_gen:
                    proc.stdin.write(chunk)
            proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass  # feedmill stopped reading: that is the point

    t = None
    if proc.stdin:
        t = threading.Thread(target=writer, daemon=True)
        t.start()
    proc.wait()
    seconds = time.monotonic() - start
    with open(stats.name) as f:
        # "Command exited with non-zero status N" may come first
        max_rss_kb = int(f.read().split()[-1])
    if t:
        try:
            proc.stdin.close()
        except OSError:
            pass
    out.seek(0)
    err.seek(0)
    return (proc.returncode, out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"), seconds,
            max_rss_kb / 1024.0)


def check_bad(name, label, result, expect_in_error, entries=None):
    status, out, err, secs, rss = result
    ok(status == 1, "%s: exit status 1" % name, "status %d\n%s" % (status, err))
    lines = err.strip().splitlines()
    ok(len(lines) == 1 and label in lines[0] and expect_in_error in lines[0],
       "%s: one stderr line naming '%s' and saying '%s'" % (name, label, expect_in_error), err)
    ok(secs < MAX_SECONDS and rss < MAX_RSS_MB,
       "%s: bounded (%.1fs, %.0f MB)" % (name, secs, rss),
       "took %.1fs, %.0f MB peak" % (secs, rss))
    if entries is not None:
        try:
            doc = json.loads(out)
            got = len(doc["entries"])
        except Exception as e:  # noqa: BLE001 - report any breakage
            got = "unparseable output: %s" % e
        ok(got == entries, "%s: the %d entries before the problem are printed" % (name, entries),
           "got %s" % got)


def write(tmp, name, *parts):
    """Write a file from parts (bytes, or callables returning bytes), so
    that big inputs never sit in this process: a forked child's peak RSS
    would count them."""
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        for part in parts:
            f.write(part() if callable(part) else part)
    return path


ITEM = (b"<item><title>Release %d</title><link>https://example.org/r/%d</link><description>&lt;p&gt;"
        + b"A paragraph of a press release, long enough to look like one. " * 12
        + b"&lt;/p&gt;</description></item>\n")


def items(n):
    return b"".join(ITEM % (i, i) for i in range(n))


def rss(body):
    return b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>T</title>' + body


def main():
    with tempfile.TemporaryDirectory() as tmp:
        p = write(tmp, "empty.xml", b"")
        check_bad("empty file", "empty.xml", run(["parse", "--json", p]), "empty document", entries=0)

        p = write(tmp, "truncated.xml", rss(items(2)) + b"<item><title>Thi")
        check_bad("truncated", "truncated.xml", run(["parse", "--json", p]), "line", entries=2)

        p = write(tmp, "mismatched.xml", rss(items(3)) + b"<item><title>x</link></item></channel></rss>")
        check_bad("not well-formed", "mismatched.xml", run(["parse", "--json", p]), "mismatched tag", entries=3)

        rnd = random.Random(20261129)
        p = write(tmp, "garbage.bin", rnd.randbytes(1 << 20))
        check_bad("binary garbage", "garbage.bin", run(["parse", "--json", p]), "line 1,", entries=0)

        p = write(tmp, "page.html", b"<!DOCTYPE html>\n<html><head><title>Not found</title></head><body></body></html>")
        check_bad("an HTML page", "page.html", run(["parse", p]), "not an RSS or Atom feed")

        lol = [b'<!DOCTYPE rss [\n<!ENTITY lol0 "lollollollollollollollollollol">\n']
        for i in range(1, 10):
            lol.append(b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1)) * 10))
        lol.append(b']>\n<rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>\n')
        p = write(tmp, "laughs.xml", b"".join(lol))
        check_bad("entity expansion bomb", "laughs.xml", run(["parse", "--json", p]), "amplification", entries=0)

        def two_gigabytes():
            yield rss(b"")
            block = items(2000)
            sent = 0
            while sent < (2 << 30):
                yield block
                sent += len(block)
        check_bad("a 2 GB stream", "-", run(["parse", "--json", "-"], stdin_gen=two_gigabytes()),
                  "larger than")

        p = write(tmp, "deep.xml", b'<rss version="2.0"><channel>', lambda: b"<x>" * 1000000,
                  lambda: b"</x>" * 1000000, b"</channel></rss>")
        check_bad("a million nested elements", "deep.xml", run(["parse", "--json", p]), "nested deeper")

        def huge_title():
            yield rss(items(1)) + b"<item><title>"
            block = b"x" * (1 << 20)
            for _ in range(100):
                yield block
            yield b"</title></item></channel></rss>"
        check_bad("a 100 MB text node", "-", run(["parse", "--json", "-"], stdin_gen=huge_title()),
                  "larger than", entries=1)

        p = write(tmp, "attr.xml", rss(items(1)), b'<item><title a="', lambda: b"y" * (50 << 20),
                  b'">t</title></item></channel></rss>')
        check_bad("a 50 MB attribute", "attr.xml", run(["parse", "--json", p]), "larger than", entries=1)

        p = write(tmp, "comment.xml", rss(items(1)), b"<!--", lambda: b"z" * (50 << 20),
                  b"--></channel></rss>")
        check_bad("a 50 MB comment", "comment.xml", run(["parse", "--json", p]), "larger than", entries=1)

        p = write(tmp, "namespaces.xml", b'<rss version="2.0"><channel><title>T</title>',
                  lambda: b"".join(b"<x " + b" ".join(b'xmlns:n%d_%d="urn:x:%d"' % (j, i, i) for i in range(1000))
                                   + b">" for j in range(100)),
                  lambda: b"<n5_5:x/>" * 500000, b"</x>" * 100, b"</channel></rss>")
        check_bad("100 000 namespace declarations", "namespaces.xml",
                  run(["parse", "--json", p]), "namespace declarations")

        # 64 declarations in scope (the most allowed) and 60 MB of elements:
        # every element name is resolved through them.
        p = write(tmp, "many-ns.xml", b'<rss version="2.0" ',
                  b" ".join(b'xmlns:n%d="urn:x:%d"' % (i, i) for i in range(63)),
                  b"><channel><title>T</title>", lambda: b"<n7:a/>" * (8 << 20), b"</channel></rss>")
        status, out, err, secs, rss_mb = run(["parse", "--json", p])
        ok(status == 0 and secs < FAST_SECONDS,
           "64 namespaces in scope and 8 million elements: %.1fs" % secs, err)

        # Every element re-declares xml:base, and every entry has links.
        p = write(tmp, "bases-flat.xml", b'<rss version="2.0" xml:base="http://e.org/', b"a" * 6000,
                  b'/"><channel><title>t</title>', lambda: b'<x xml:base="."/>' * 2000000,
                  lambda: b"<item><title>i</title><link>x</link><link>y</link></item>" * 200000,
                  b"</channel></rss>")
        status, out, err, secs, rss_mb = run(["parse", "--json", p])
        ok(status == 1 and "times the document's size to resolve" in err and secs < FAST_SECONDS,
           "2 million xml:base under a 6 KB base: refused as too costly, in %.1fs" % secs, err)
        p = write(tmp, "links.xml", b'<rss version="2.0" xml:base="http://e.org/', b"a" * 1000,
                  b'/"><channel><title>t</title>',
                  lambda: (b"<item><title>i</title>" + b"<link>x</link>" * 40 + b"</item>") * 90000,
                  b"</channel></rss>")
        status, out, err, secs, rss_mb = run(["parse", p])
        ok(status == 0 and secs < FAST_SECONDS,
           "90 000 entries of 40 links each under a 1 KB base: %.1fs" % secs, err)

        # Large comments fed in small reads: expat 2.5 rescans an unfinished
        # token on every call.
        def comments():
            yield rss(b"")
            for _ in range(60):
                yield b"<!--"
                for _ in range(64):
                    yield b"c" * 16000
                yield b"--><x/>"
            yield b"</channel></rss>"
        status, out, err, secs, rss_mb = run(["parse", "--json", "-"], stdin_gen=comments())
        ok(secs < FAST_SECONDS, "60 comments of 1 MB arriving in 16 KB reads: %.1fs" % secs, err)

        p = write(tmp, "bases.xml", b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/">',
                  lambda: b"".join(b'<x xml:base="%s/">' % (b"d%d" % i * 6000) for i in range(400)),
                  lambda: b"</x>" * 400, b"</feed>")
        check_bad("400 nested relative xml:base of 12 KB each", "bases.xml",
                  run(["parse", "--json", p]), "xml:base longer than")

        def category_flood():
            yield rss(b"<item><title>Flood</title>")
            block = b"".join(b"<category>c%d</category>" % i for i in range(10000))
            for _ in range(150):
                yield block
            yield b"</item></channel></rss>"
        status, out, err, secs, rss_mb = run(["parse", "--json", "-"], stdin_gen=category_flood())
        cats = len(json.loads(out)["entries"][0]["categories"]) if status == 0 else -1
        ok(status == 0 and cats == 64 and secs < MAX_SECONDS and rss_mb < MAX_RSS_MB,
           "1.5 million categories in one entry: the first 64 kept, bounded (%.1fs, %.0f MB)" % (secs, rss_mb),
           "status %d, %d categories, %s" % (status, cats, err))

        # An unknown entity with a long non-ASCII name is kept whole, and
        # the JSON stays valid.
        name = "a" + "\u00e9" * 300
        p = write(tmp, "entity.xml", ('<rss version="2.0"><channel><item><title>&%s;</title></item>'
                                      '</channel></rss>' % name).encode("utf-8"))
        status, out, err, secs, rss_mb = run(["parse", "--json", p])
        try:
            title = json.loads(out)["entries"][0]["title"]
        except Exception as e:  # noqa: BLE001
            title = "unparseable output: %s" % e
        ok(status == 0 and title == "&%s;" % name,
           "an unknown 600-byte entity name is kept whole in valid JSON", "%s %s" % (title[:80], err))

        # Markup escaping makes --json output several times the input;
        # memory must not follow it.
        entry = (b'<entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><a b=\''
                 + b'"' * 60000 + b"'/></div></content></entry>")
        p = write(tmp, "amplified.xml", b'<feed xmlns="http://www.w3.org/2005/Atom">',
                  lambda: entry * 500, b"</feed>")
        status, out, err, secs, rss_mb = run(["parse", "--json", p])
        ok(status == 0 and rss_mb < MAX_RSS_MB and secs < FAST_SECONDS,
           "--json on a feed whose output is 6 times its size: %.1fs, %.0f MB" % (secs, rss_mb), err)

        # One bad file among good ones: the others are still parsed.
        good = write(tmp, "good.xml", rss(items(2)) + b"</channel></rss>")
        bad = write(tmp, "bad.xml", b"<rss><channel><item>")
        status, out, err, _, _ = run(["parse", "--json", good, bad, good])
        docs = [json.loads(line) for line in out.splitlines() if line.strip()]
        ok(status == 1 and [len(d["entries"]) for d in docs] == [2, 0, 2]
           and err.count("\n") == 1 and "bad.xml" in err,
           "a bad file among good ones: all three printed, one error, status 1",
           "status %d, %s, %s" % (status, [len(d["entries"]) for d in docs], err))

    print("1..%d" % tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
