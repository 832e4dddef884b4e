"""Real local HTTP servers for feedmill's integration tests (stdlib only).

Two fixtures, both context managers that listen on loopback addresses only:

Nginx(root_dir, workdir, hosts=1, workers=1, extra_locations="")
    The distribution's nginx binary serving the files of root_dir, with
    ETag/Last-Modified, gzip and keep-alive, so feedmill meets a real,
    well-behaved server.  .url(path, host_index=0), .host(index),
    .requests(min_count=0, timeout=2.0) parses the access log,
    .error_log() returns the error log text.

FaultServer()
    An asyncio server of our own in a daemon thread that misbehaves on
    purpose (hangs, resets, redirect loops, endless and bomb bodies, ...)
    in the ways nginx cannot be made to.  .url(path), .hits(prefix),
    .requests, .clear().  The routes are listed in FaultServer's docstring.

Both pick their port themselves; nothing is ever bound on a public address.
"""
import asyncio
import atexit
import email.utils
import grp
import http
import os
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
import weakref
import zlib
from xml.sax.saxutils import escape as xml_escape

NGINX_BINARY = "/usr/sbin/nginx"

# How long a fixture may take to come up or go down before we call it broken.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
POLL_INTERVAL = 0.02


def _free_port(host="127.0.0.1"):
    """A port that was free a moment ago.  Racy by nature (someone may take it
    before nginx binds it); Nginx.start() retries on EADDRINUSE."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _conf_quote(value):
    """Quote a path for nginx.conf so that spaces, ';' or '{' in a temporary
    directory's name cannot break the configuration."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_text(path, limit=20000):
    """The tail of a log file, for error messages; never raises."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


# --------------------------------------------------------------------------
# nginx
# --------------------------------------------------------------------------

# Fields of the access log, in order.  Tab separated: none of the values can
# contain a raw tab, because nginx's default log escaping turns control
# characters (and '"' and '\') into \xHH.
_LOG_FIELDS = (
    ("method", "$request_method"),
    ("uri", "$request_uri"),
    ("status", "$status"),
    ("bytes", "$body_bytes_sent"),
    ("if_none_match", "$http_if_none_match"),
    ("if_modified_since", "$http_if_modified_since"),
    ("user_agent", "$http_user_agent"),
    ("accept_encoding", "$http_accept_encoding"),
)
_NGINX_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")


def _unescape_byte(match):
    return bytes([int(match.group(1), 16)])

# Nginx instances started and not yet stopped, so that a test that dies
# without leaving its `with` block does not leave nginx behind.
_live_nginx = weakref.WeakSet()


@atexit.register
def _stop_leftovers():
    for server in list(_live_nginx):
        server.stop()


class Nginx:
    """The real nginx serving root_dir on 127.0.0.1 (and, with hosts=N,
    127.0.0.2 ... 127.0.0.N) on one port picked at start.

    workdir is created if needed and holds nginx.conf, the pid file, the
    temporary directories, access.log and error.log.  Both logs are
    truncated at each start so that requests() shows this run only.

    extra_locations is pasted verbatim into the server block (there is no
    `location /` of ours to collide with: root is set at server level).
    """

    def __init__(self, root_dir, workdir, hosts=1, workers=1,
                 extra_locations="", binary=NGINX_BINARY):
        if not 1 <= hosts <= 254:
            raise ValueError("hosts must be 1..254 (127.0.0.1 .. 127.0.0.254)")
        self.root_dir = os.path.abspath(root_dir)
        self.workdir = os.path.abspath(workdir)
        self.hosts = hosts
        self.workers = workers
        self.extra_locations = extra_locations
        self.binary = binary
        self.port = None
        self.proc = None
        self.conf_path = os.path.join(self.workdir, "nginx.conf")
        self.access_log_path = os.path.join(self.workdir, "access.log")
        self.error_log_path = os.path.join(self.workdir, "error.log")
        self.stderr_path = os.path.join(self.workdir, "nginx.stderr")

    # -- addresses -----------------------------------------------------------

    def host(self, index=0):
        return "127.0.0.%d" % (1 + index)

    def url(self, path="", host_index=0):
        """http://127.0.0.{1+host_index}:{port}/{path}; path is used as
        given (quote it yourself if it needs quoting)."""
        if not 0 <= host_index < self.hosts:
            raise IndexError("host_index %d out of range (hosts=%d)"
                             % (host_index, self.hosts))
        return "http://%s:%d/%s" % (self.host(host_index), self.port,
                                    path.lstrip("/"))

    # -- configuration -------------------------------------------------------

    def _config(self):
        wd = self.workdir
        q = lambda name: _conf_quote(os.path.join(wd, name))  # noqa: E731
        lines = ["# Written by tests/integration/httpfixtures.py at each start."]
        if os.geteuid() == 0:
            # As root, nginx would switch its workers to 'nobody', who cannot
            # read a test's private temporary directory.  As anyone else the
            # directive only earns a warning, so leave it out.
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
            lines.append("user %s %s;" % (user, group))
        # 4096 connections per worker need more descriptors than the usual
        # soft limit of 1024; ask for what the hard limit allows.
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nofile = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
        log_format = "\\t".join(var for _, var in _LOG_FIELDS)
        listens = "\n".join("        listen %s:%d;" % (self.host(i), self.port)
                            for i in range(self.hosts))
        lines.append("""\
worker_processes %(workers)d;
worker_rlimit_nofile %(nofile)d;
pid %(pid)s;
lock_file %(lock)s;
error_log %(error_log)s notice;

events {
    worker_connections 4096;
}

http {
    log_format feedmill_tests "%(log_format)s";
    access_log %(access_log)s feedmill_tests;

    types {
        application/rss+xml rss xml;
        application/atom+xml atom;
        text/html html;
        text/plain txt;
    }
    default_type application/octet-stream;

    # Every path nginx might write to stays inside workdir: the compiled-in
    # defaults live under /var/lib/nginx, which a test must not touch.
    client_body_temp_path %(body)s;
    proxy_temp_path %(proxy)s;
    fastcgi_temp_path %(fastcgi)s;
    uwsgi_temp_path %(uwsgi)s;
    scgi_temp_path %(scgi)s;

    keepalive_requests 100000;
    keepalive_timeout 60s;

    gzip on;
    gzip_types application/atom+xml application/rss+xml application/xml text/xml;

    server {
%(listens)s
        server_name localhost;
        root %(root)s;

%(extra)s
    }
}
""" % {
            "workers": self.workers,
            "nofile": nofile,
            "pid": q("nginx.pid"),
            "lock": q("nginx.lock"),
            "error_log": _conf_quote(self.error_log_path),
            "access_log": _conf_quote(self.access_log_path),
            "log_format": log_format,
            "body": q("tmp/body"),
            "proxy": q("tmp/proxy"),
            "fastcgi": q("tmp/fastcgi"),
            "uwsgi": q("tmp/uwsgi"),
            "scgi": q("tmp/scgi"),
            "listens": listens,
            "root": _conf_quote(self.root_dir),
            "extra": self.extra_locations,
        })
        return "\n".join(lines)

    # -- life cycle ----------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if self.proc is not None:
            raise RuntimeError("nginx already started")
        os.makedirs(os.path.join(self.workdir, "tmp"), exist_ok=True)
        last_error = None
        # The port was only free when we looked; on the rare collision pick
        # another one instead of failing the test.
        for _attempt in range(3):
            self.port = _free_port()
            try:
                self._start_once()
                return
            except _PortTaken as e:
                last_error = e
        raise RuntimeError("nginx could not bind a port: %s" % last_error)

    def _start_once(self):
        with open(self.conf_path, "w") as f:
            f.write(self._config())
        for path in (self.access_log_path, self.error_log_path):
            open(path, "w").close()
        pid_path = os.path.join(self.workdir, "nginx.pid")
        try:
            os.unlink(pid_path)         # left over if a run was SIGKILLed
        except FileNotFoundError:
            pass
        argv = [self.binary, "-p", self.workdir + "/", "-c", self.conf_path,
                "-e", self.error_log_path, "-g", "daemon off;"]
        # If this Python process is killed outright, nginx gets SIGTERM (its
        # fast shutdown) instead of living on; setpriv does it without a
        # preexec_fn, which is unsafe in a process that has threads.  (The
        # signal comes when the *thread* that started nginx ends: start it
        # from the main thread or one that outlives it.)
        setpriv = shutil.which("setpriv")
        if setpriv:
            argv = [setpriv, "--pdeathsig", "TERM", "--"] + argv
        with open(self.stderr_path, "wb") as err:
            # A session of its own, so that stop() can kill master and
            # workers together as a process group if it has to.
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err,
                                         start_new_session=True)
        _live_nginx.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                status = self.proc.returncode
                self.proc = None
                _live_nginx.discard(self)
                logs = self.error_log() + _read_text(self.stderr_path)
                if "Address already in use" in logs:
                    raise _PortTaken(logs)
                raise RuntimeError("nginx exited with status %s at start:\n%s"
                                   % (status, logs))
            # nginx writes its pid file only once every listening socket is
            # bound.  A connection alone proves nothing: if someone else took
            # the port, nginx keeps retrying bind() for 2.5 s while the
            # intruder answers.
            if _read_text(pid_path).strip() == str(self.proc.pid):
                try:
                    with socket.create_connection(("127.0.0.1", self.port),
                                                  timeout=0.5):
                        return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("nginx did not accept connections within "
                                   "%.0f s:\n%s" % (START_TIMEOUT,
                                                    self.error_log()))
            time.sleep(POLL_INTERVAL)

    def stop(self):
        """Fast shutdown (SIGTERM: the master stops its workers and waits for
        them); SIGKILL to the whole process group if that takes too long."""
        proc, self.proc = self.proc, None
        _live_nginx.discard(self)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        # The master is our child and the group leader (start_new_session),
        # so its pid is the group id; also sweeps up orphaned workers.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- logs ----------------------------------------------------------------

    def error_log(self):
        return _read_text(self.error_log_path)

    def requests(self, min_count=0, timeout=2.0):
        """The access log as a list of dicts with keys method, uri, status
        (int), bytes (int), if_none_match, if_modified_since, user_agent,
        accept_encoding; "-" (nginx's word for empty/absent) becomes None.

        nginx writes a request's log line only after the response has gone
        out, so a client can hold the response before the line exists.  Pass
        min_count to wait (up to timeout seconds) until that many lines are
        there."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self._parse_access_log()
            if len(entries) >= min_count or time.monotonic() > deadline:
                return entries
            time.sleep(POLL_INTERVAL)

    def _parse_access_log(self):
        try:
            with open(self.access_log_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        entries = []
        # A line without its newline is still being written: skip it.
        for raw in data.split(b"\n")[:-1]:
            fields = raw.split(b"\t")
            if len(fields) != len(_LOG_FIELDS):
                continue
            entry = {}
            for (key, _), value in zip(_LOG_FIELDS, fields):
                value = _NGINX_ESCAPE.sub(_unescape_byte, value)
                value = value.decode("utf-8", "replace")
                entry[key] = None if value == "-" else value
            for key in ("status", "bytes"):
                if entry[key] is not None:
                    entry[key] = int(entry[key])
            entries.append(entry)
        return entries


class _PortTaken(Exception):
    pass


# --------------------------------------------------------------------------
# Fault server
# --------------------------------------------------------------------------

LAST_MODIFIED = "Sun, 01 Nov 2026 10:00:00 GMT"
_CHUNK = 64 * 1024

_RSS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0">\n'
    '<channel>\n'
    '<title>%s</title>\n'
    '<link>http://127.0.0.1/</link>\n'
    '<description>Generated by the feedmill fault server.</description>\n'
)


def _rss_item(title, guid):
    return ('<item><title>%s</title><guid isPermaLink="false">%s</guid>'
            '<description>Filler text so that the stream keeps growing.'
            '</description></item>\n' % (title, guid))


def _feed_document(name, base_url):
    """The small, valid RSS 2.0 document behind /feed/<name>."""
    n = xml_escape(name)
    link = xml_escape(base_url + "/feed/" + name)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0">\n'
        '  <channel>\n'
        '    <title>Fault server feed %(n)s</title>\n'
        '    <link>%(link)s</link>\n'
        '    <description>Two fixed entries for %(n)s.</description>\n'
        '    <item>\n'
        '      <title>First entry of %(n)s</title>\n'
        '      <link>%(link)s#first</link>\n'
        '      <guid isPermaLink="false">%(n)s-first</guid>\n'
        '      <pubDate>Sun, 01 Nov 2026 09:00:00 GMT</pubDate>\n'
        '      <description>The older of the two entries.</description>\n'
        '    </item>\n'
        '    <item>\n'
        '      <title>Second entry of %(n)s</title>\n'
        '      <link>%(link)s#second</link>\n'
        '      <guid isPermaLink="false">%(n)s-second</guid>\n'
        '      <pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate>\n'
        '      <description>The newer of the two entries.</description>\n'
        '    </item>\n'
        '  </channel>\n'
        '</rss>\n' % {"n": n, "link": link}
    ).encode("utf-8")


_HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Allotment 14 - vegetables and notes</title>
</head>
<body>
<header><h1>Allotment 14</h1><nav><a href="/">Home</a> | <a href="/about">About</a></nav></header>
<main>
<article>
<h2>Leeks went in today</h2>
<p>Forty seedlings in two rows, a hand apart. The slugs have not found them yet.</p>
</article>
<article>
<h2>Shed roof fixed</h2>
<p>New felt, fewer drips. The tools are dry for the first time since spring.</p>
</article>
</main>
<footer><p>Written by hand, no feed here.</p></footer>
</body>
</html>
"""

# The gzip bomb is the same for every server; build it once per process.
_bomb_lock = threading.Lock()
_bomb_bytes = None
BOMB_BLOCKS = 1024           # of 1 MiB each: about 1 GiB once inflated


def _deflate_segment(data, final=False):
    """Raw deflate blocks for data from a fresh compressor, ending on a byte
    boundary.  Such segments refer to nothing outside themselves, so they can
    be concatenated into one valid deflate stream as long as only the last
    one is final."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final
                                      else zlib.Z_FULL_FLUSH)


def gzip_bomb():
    """A gzip member of ~1 MiB that inflates to ~1 GiB: an RSS document whose
    description is 1 GiB of spaces.  Compressing 1 GiB with zlib takes ~6 s,
    so one 1 MiB block is compressed once and its segment repeated; only the
    CRC has to walk the whole inflated length (~0.3 s)."""
    global _bomb_bytes
    with _bomb_lock:
        if _bomb_bytes is None:
            head = (_RSS_HEAD % "Gzip bomb" + "<item><title>Huge</title>"
                    "<description>").encode()
            tail = b"</description></item>\n</channel>\n</rss>\n"
            block = b" " * (1 << 20)
            crc = zlib.crc32(head)
            for _ in range(BOMB_BLOCKS):
                crc = zlib.crc32(block, crc)
            crc = zlib.crc32(tail, crc)
            size = len(head) + BOMB_BLOCKS * len(block) + len(tail)
            _bomb_bytes = b"".join([
                # gzip header: deflate, no flags, no mtime, max compression,
                # OS unknown.
                b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",
                _deflate_segment(head),
                _deflate_segment(block) * BOMB_BLOCKS,
                _deflate_segment(tail, final=True),
                struct.pack("<II", crc, size & 0xFFFFFFFF),
            ])
        return _bomb_bytes


def _run_in_daemon_thread(loop, fn):
    """Like loop.run_in_executor, but on a daemon thread: the default
    executor is joined at shutdown, which would make stop() wait for a bomb
    still being built."""
    fut = loop.create_future()

    def work():
        try:
            result = fn()
        except BaseException as e:      # handed to the awaiting coroutine
            loop.call_soon_threadsafe(
                lambda: fut.done() or fut.set_exception(e))
        else:
            loop.call_soon_threadsafe(
                lambda: fut.done() or fut.set_result(result))

    threading.Thread(target=work, daemon=True).start()
    return fut


class _BadRequest(Exception):
    pass


class FaultServer:
    """A misbehaving HTTP/1.1 server on 127.0.0.1 (asyncio, daemon thread).

    Every response says `Connection: close` and the connection is closed
    after it.  Query strings are ignored except where named.

      /feed/<name>            200 RSS with 2 items titled with <name>;
                              ETag "v1-<name>", Last-Modified LAST_MODIFIED;
                              304 on a matching If-None-Match (or, with no
                              If-None-Match, If-Modified-Since >= it)
      /status/<code>          that status, short text/plain body
      /hang                   reads the request, never answers
      /hang-headers           200 headers with Content-Length 1000, no body
      /drip                   200 RSS, no Content-Length, one byte a second
      /loop/<n>               302 to /loop/<n+1> (relative Location)
      /redirect-self          301 to itself (relative Location)
      /moved301/<name>        301 to absolute .../feed/<name>
      /moved302/<name>, /moved307/<name>, /moved308/<name>   likewise
      /chain-301-302/<name>   301 to absolute .../moved302/<name>
      /gone                   410
      /ratelimit?after=N      429, Retry-After: N (default 120)
      /unavailable?after=N    503, Retry-After: N (default 120)
      /unavailable-date?in=N  503, Retry-After: HTTP-date N s ahead (def. 120)
      /endless                200 RSS, chunked, items forever (64 KiB chunks)
      /bigcl                  200, Content-Length 10^11, XML text forever
      /gzipbomb               200 RSS, Content-Encoding gzip, ~1 MiB that
                              inflates to ~1 GiB (sent whatever the client
                              accepts)
      /reset                  200, Content-Length 100000, ~2 KB of feed, RST
      /html                   200 text/html, an ordinary home page
      /garbage                200 application/rss+xml, 10 KB random bytes
      /slowheaders            nothing for 30 s, then the /feed/slowheaders feed
      anything else           404

    Streaming routes stop when the client closes; stop() (or leaving the
    `with` block) aborts every connection at once.
    """

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.port = None
        self._lock = threading.Lock()
        self._requests = []
        self._thread = None
        self._loop = None
        self._stopping = None
        self._ready = threading.Event()
        self._start_error = None
        self._tasks = set()
        self._transports = weakref.WeakSet()

    # -- public API ----------------------------------------------------------

    def url(self, path=""):
        return "http://%s:%d/%s" % (self.host, self.port, path.lstrip("/"))

    @property
    def base_url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def requests(self):
        """[(target, headers)] in arrival order; target is the request target
        as sent (path and query), headers a dict with lowercased names."""
        with self._lock:
            return list(self._requests)

    def hits(self, path_prefix):
        """How many requests had a target starting with path_prefix."""
        with self._lock:
            return sum(1 for target, _ in self._requests
                       if target.startswith(path_prefix))

    def clear(self):
        with self._lock:
            self._requests.clear()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self._thread = threading.Thread(target=self._run, name="FaultServer",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("FaultServer did not start")
        if self._start_error is not None:
            raise RuntimeError("FaultServer failed to start: %r"
                               % self._start_error)

    def stop(self):
        loop, thread = self._loop, self._thread
        if thread is None:
            return
        self._thread = None
        if loop is not None and thread.is_alive():
            try:
                loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:        # loop already closed
                pass
        thread.join(STOP_TIMEOUT)

    # -- event loop thread ---------------------------------------------------

    def _run(self):
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:
            self._start_error = e
            self._ready.set()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _serve(self):
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        # Hanging and streaming handlers would never end by themselves:
        # cancel them and cut every connection, including ones whose handler
        # is done but whose data the client never read.
        for task in list(self._tasks):
            task.cancel()
        for transport in list(self._transports):
            transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=0.5)
        await server.wait_closed()
        # Let the aborted transports' connection_lost callbacks run, which is
        # where their sockets are actually closed.
        await asyncio.sleep(0.01)

    async def _handle(self, reader, writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        self._transports.add(writer.transport)
        try:
            try:
                request = await self._read_request(reader)
            except _BadRequest as e:
                await self._respond(writer, "GET", 400, body=str(e).encode())
                return
            if request is None:
                return
            method, target, headers = request
            with self._lock:
                self._requests.append((target, headers))
            await self._dispatch(method, target, headers, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass        # the client went away: that is what many tests do
        except asyncio.CancelledError:
            # Only stop() cancels us.  Ending normally instead of re-raising
            # keeps Python 3.11's start_server from printing a traceback
            # for every cancelled connection (it calls task.exception()).
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            # Closing (not aborting) lets buffered data drain first; stop()
            # aborts whatever is still draining.
            writer.close()

    async def _read_request(self, reader):
        """(method, target, headers) or None if the client sent nothing."""
        try:
            line = await reader.readline()
            while line in (b"\r\n", b"\n"):     # RFC 9112: ignore leading CRLF
                line = await reader.readline()
            if not line:
                return None
            parts = line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                raise _BadRequest("bad request line")
            method, target, _version = parts
            headers = {}
            for _ in range(200):
                raw = await reader.readline()
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, sep, value = raw.decode("latin-1").partition(":")
                if not sep:
                    raise _BadRequest("bad header line")
                name, value = name.strip().lower(), value.strip()
                headers[name] = (headers[name] + ", " + value
                                 if name in headers else value)
            else:
                raise _BadRequest("too many headers")
        except ValueError:              # a line longer than the reader limit
            raise _BadRequest("line too long")
        # Read any request body: closing a socket with unread input makes
        # Linux send RST, which would look like a fault we did not intend.
        length = headers.get("content-length", "0")
        if length.isdigit() and 0 < int(length) <= 1 << 20:
            await reader.readexactly(int(length))
        return method, target, headers

    # -- response helpers ----------------------------------------------------

    @staticmethod
    def _reason(status):
        try:
            return http.HTTPStatus(status).phrase
        except ValueError:
            return "Unknown"

    @classmethod
    def _head(cls, status, headers=()):
        lines = ["HTTP/1.1 %d %s" % (status, cls._reason(status)),
                 "Date: " + email.utils.formatdate(usegmt=True),
                 "Server: feedmill-faultserver"]
        lines += ["%s: %s" % kv for kv in headers]
        lines += ["Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1")

    async def _respond(self, writer, method, status, headers=(), body=b""):
        headers = list(headers)
        if status >= 200 and status not in (204, 304):
            headers.append(("Content-Length", str(len(body))))
        if method == "HEAD" or status in (204, 304) or status < 200:
            body = b""
        writer.write(self._head(status, headers) + body)
        await writer.drain()

    async def _text(self, writer, method, status, text=None):
        if text is None:
            text = "%d %s\n" % (status, self._reason(status))
        await self._respond(writer, method, status,
                            [("Content-Type", "text/plain; charset=utf-8")],
                            text.encode("utf-8"))

    async def _redirect(self, writer, method, status, location):
        await self._respond(writer, method, status,
                            [("Location", location),
                             ("Content-Type", "text/plain; charset=utf-8")],
                            ("Moved to %s\n" % location).encode("utf-8"))

    @staticmethod
    async def _until_client_closes(reader):
        while await reader.read(65536):
            pass

    async def _stream(self, reader, writer, chunks):
        """Write chunks until the client closes or the connection breaks."""
        gone = asyncio.ensure_future(self._until_client_closes(reader))
        try:
            for chunk in chunks:
                if gone.done() or writer.is_closing():
                    return
                writer.write(chunk)
                await writer.drain()
        finally:
            gone.cancel()

    # -- routes --------------------------------------------------------------

    async def _dispatch(self, method, target, headers, reader, writer):
        split = urllib.parse.urlsplit(target)
        path = split.path
        query = urllib.parse.parse_qs(split.query)

        def qint(name, default):
            try:
                return int(query[name][0])
            except (KeyError, ValueError):
                return default

        rss = ("Content-Type", "application/rss+xml; charset=utf-8")

        if path.startswith("/feed/"):
            await self._feed(writer, method, headers, path[len("/feed/"):])
        elif path.startswith("/status/"):
            code = path[len("/status/"):]
            if not code.isdigit() or not 200 <= int(code) <= 599:
                await self._text(writer, method, 400, "bad status code\n")
            else:
                await self._text(writer, method, int(code))
        elif path == "/hang":
            await self._until_client_closes(reader)
        elif path == "/hang-headers":
            writer.write(self._head(200, [rss, ("Content-Length", "1000")]))
            await writer.drain()
            await self._until_client_closes(reader)
        elif path == "/drip":
            await self._drip(reader, writer, rss)
        elif path.startswith("/loop/"):
            n = path[len("/loop/"):]
            if not n.isdigit():
                await self._text(writer, method, 400, "bad loop counter\n")
            else:
                await self._redirect(writer, method, 302,
                                     "/loop/%d" % (int(n) + 1))
        elif path == "/redirect-self":
            await self._redirect(writer, method, 301, target)
        elif path.startswith(("/moved301/", "/moved302/", "/moved307/",
                              "/moved308/")):
            status = int(path[len("/moved"):len("/moved") + 3])
            name = path[len("/moved301/"):]
            await self._redirect(writer, method, status,
                                 self.base_url + "/feed/" + name)
        elif path.startswith("/chain-301-302/"):
            name = path[len("/chain-301-302/"):]
            await self._redirect(writer, method, 301,
                                 self.base_url + "/moved302/" + name)
        elif path == "/gone":
            await self._text(writer, method, 410)
        elif path == "/ratelimit":
            await self._respond(writer, method, 429,
                                [("Retry-After", str(qint("after", 120))),
                                 ("Content-Type", "text/plain")],
                                b"slow down\n")
        elif path == "/unavailable":
            await self._respond(writer, method, 503,
                                [("Retry-After", str(qint("after", 120))),
                                 ("Content-Type", "text/plain")],
                                b"down for maintenance\n")
        elif path == "/unavailable-date":
            when = email.utils.formatdate(time.time() + qint("in", 120),
                                          usegmt=True)
            await self._respond(writer, method, 503,
                                [("Retry-After", when),
                                 ("Content-Type", "text/plain")],
                                b"down for maintenance\n")
        elif path == "/endless":
            await self._endless(reader, writer, rss)
        elif path == "/bigcl":
            await self._bigcl(reader, writer)
        elif path == "/gzipbomb":
            body = await _run_in_daemon_thread(asyncio.get_running_loop(),
                                               gzip_bomb)
            await self._respond(writer, method, 200,
                                [rss, ("Content-Encoding", "gzip")], body)
        elif path == "/reset":
            await self._reset(writer)
        elif path == "/html":
            await self._respond(writer, method, 200,
                                [("Content-Type", "text/html; charset=utf-8")],
                                _HTML_PAGE)
        elif path == "/garbage":
            # Fixed seed: the same bytes every run, so a failure reproduces.
            body = random.Random(20261101).randbytes(10 * 1024)
            await self._respond(writer, method, 200, [rss], body)
        elif path == "/slowheaders":
            try:
                await asyncio.wait_for(self._until_client_closes(reader), 30)
            except asyncio.TimeoutError:
                await self._feed(writer, method, headers, "slowheaders")
        else:
            await self._text(writer, method, 404)

    async def _feed(self, writer, method, headers, name):
        etag = '"v1-%s"' % name
        validators = [("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
        if self._not_modified(headers, etag):
            await self._respond(writer, method, 304, validators)
            return
        body = _feed_document(name, self.base_url)
        await self._respond(writer, method, 200,
                            [("Content-Type",
                              "application/rss+xml; charset=utf-8")]
                            + validators, body)

    @staticmethod
    def _not_modified(headers, etag):
        """RFC 9110 13.2.2: If-None-Match decides when present (weak
        comparison); If-Modified-Since is only looked at without it."""
        inm = headers.get("if-none-match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return "*" in tags or any(
                (t[2:] if t.startswith("W/") else t) == etag for t in tags)
        ims = headers.get("if-modified-since")
        if ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
                modified = email.utils.parsedate_to_datetime(LAST_MODIFIED)
                return since >= modified
            except (TypeError, ValueError):
                return False
        return False

    async def _drip(self, reader, writer, rss):
        writer.write(self._head(200, [rss]))
        await writer.drain()
        text = (_RSS_HEAD % "Drip" + "".join(
            _rss_item("Drop %d" % i, "drop-%d" % i) for i in range(100))
        ).encode()

        def one_byte_a_second():
            while True:
                for i in range(len(text)):
                    yield text[i:i + 1]

        gone = asyncio.ensure_future(self._until_client_closes(reader))
        try:
            for byte in one_byte_a_second():
                if gone.done() or writer.is_closing():
                    return
                writer.write(byte)
                await writer.drain()
                # Wakes early when the client closes, so the task ends then.
                await asyncio.wait([gone], timeout=1.0)
        finally:
            gone.cancel()

    async def _endless(self, reader, writer, rss):
        writer.write(self._head(200, [rss, ("Transfer-Encoding", "chunked")]))

        def framed(data):
            return b"%x\r\n%s\r\n" % (len(data), data)

        items = []
        size = 0
        while size < _CHUNK:
            item = _rss_item("Another entry", "endless").encode()
            items.append(item)
            size += len(item)
        chunk = framed(b"".join(items))

        def chunks():
            yield framed((_RSS_HEAD % "Endless").encode())
            while True:
                yield chunk

        await self._stream(reader, writer, chunks())

    async def _bigcl(self, reader, writer):
        writer.write(self._head(200, [
            ("Content-Type", "application/rss+xml; charset=utf-8"),
            ("Content-Length", "100000000000")]))
        zeros = b"0" * _CHUNK

        def chunks():
            yield (_RSS_HEAD % "Big" + "<item><title>Big</title>"
                   "<description>").encode()
            while True:
                yield zeros

        await self._stream(reader, writer, chunks())

    async def _reset(self, writer):
        body = _feed_document("reset", self.base_url)
        body = (body * (2048 // len(body) + 1))[:2048]
        writer.write(self._head(200, [
            ("Content-Type", "application/rss+xml; charset=utf-8"),
            ("Content-Length", "100000")]) + body)
        await writer.drain()
        # drain() only waits for the buffer to go below its high-water mark;
        # the partial body must be in the kernel before the reset.
        while writer.transport.get_write_buffer_size():
            await asyncio.sleep(0.005)
        # Give the client a moment to read the partial body, as it would
        # from a server that dies mid-response.
        await asyncio.sleep(0.05)
        sock = writer.get_extra_info("socket")
        # Linger on with a zero timeout: close() sends RST, not FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        writer.transport.abort()


__all__ = ["Nginx", "FaultServer", "gzip_bomb", "LAST_MODIFIED",
           "NGINX_BINARY"]
