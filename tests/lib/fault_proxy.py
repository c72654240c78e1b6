#!/usr/bin/env python3
"""A TLS-terminating IMAP proxy that cuts connections on purpose, for the
fault tests (tests/mount/test_faults.py).

The client (imapfs, with imaps://) connects to the proxy, which presents a
certificate the client trusts (Dovecot's test certificate, which names
127.0.0.1, 127.0.0.2 and localhost) and forwards plaintext to a server's
IMAP port (Dovecot on 127.0.0.1 treats loopback to loopback as secured, so
LOGIN works there without TLS).

Both directions are parsed just enough to know where a command and a reply
begin and end: lines, and literals {N} / {N+} (client) or {N} (server),
whose bytes are passed through unread.  A rule says: at the k-th command
(counted over all connections) whose line matches a regular expression
(searched in the text after the tag, case-insensitive, e.g. r"UID MOVE",
r"APPEND", r"UID STORE .*\\\\Deleted"), cut the connection at one boundary:

    before        the command is not forwarded; both sides are dropped
    after-send    the whole command is forwarded, nothing more reaches the
                  client; once the server has sent the tagged reply (or
                  after `wait` seconds) both sides are dropped: the server
                  did it, the client cannot know
    after-reply   the tagged reply is forwarded, then both sides dropped
    hold-before   like before, but the connection stays open and silent
    hold-reply    like after-send, but the connection stays open and silent
                  (for killing the client while it waits)

A drop is an abort (no TLS close_notify, no FIN handshake wait).  Each
rule fires once; rule.fired (a threading.Event) is set when it has, and
rule.command / rule.reply say what it cut.

    with FaultProxy(cert, key, target_port) as p:      # p.host, p.port
        r = p.add_rule(r"UID MOVE", "after-send")
        ...
        r.fired.wait(10)

Python standard library only.  Everything runs on one asyncio loop in a
daemon thread; add_rule/clear/commands are safe from any thread.
"""

import asyncio
import re
import ssl
import threading
import time

BOUNDARIES = ("before", "after-send", "after-reply", "hold-before", "hold-reply")
# A line ending in a literal's announcement: {N} or {N+} (or {N-}, RFC 7888).
_LITERAL_RE = re.compile(rb"\{(\d+)([+-]?)\}\r?\n$")
_MAX_LINE = 1 << 20
_MAX_LITERAL = 1 << 30


class Rule:
    """One cut: at the k-th command matching pattern, at boundary."""

    def __init__(self, pattern, boundary, k=1, wait=5.0):
        if boundary not in BOUNDARIES:
            raise ValueError(f"unknown boundary {boundary!r}")
        self.pattern = re.compile(pattern, re.I)
        self.boundary = boundary
        self.k = k
        self.wait = wait
        self.seen = 0
        self.fired = threading.Event()  # the cut happened (command held or dropped)
        self.answered = threading.Event()  # the server's tagged reply came
        self.command = None  # the command line cut (str, without the literal)
        self.reply = None  # the server's tagged reply line, if it came

    def __repr__(self):
        return f"Rule({self.pattern.pattern!r}, {self.boundary!r}, k={self.k})"


class _Conn:
    """The state two pumps of one connection share."""

    def __init__(self, cid, cw, sw):
        self.cid = cid
        self.cw, self.sw = cw, sw
        self.watch = None  # (tag bytes, Rule) once a cut command was sent
        self.dropped = False
        self.holding = False

    def drop(self):
        if self.dropped:
            return
        self.dropped = True
        for w in (self.cw, self.sw):
            try:
                w.transport.abort()
            except Exception:  # noqa: BLE001 - already gone
                pass


async def _read_item(reader):
    """[(line, N or None, synchronizing)]: one line and the size of the
    literal it announces (the caller reads the literal: it may have to
    forward the line first and wait for the server's "+").  None at EOF."""
    parts = []
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError:
            return None
        m = _LITERAL_RE.search(line)
        if not m:
            parts.append((line, None, False))
            return parts
        n = int(m.group(1))
        if n > _MAX_LITERAL:
            return None
        parts.append((line, n, m.group(2) != b"+"))
        return parts


class FaultProxy:
    """The proxy, on its own thread.  cert/key: PEM files the client
    trusts; target: where the plaintext server listens."""

    def __init__(self, cert, key, target_port, target_host="127.0.0.1", host="127.0.0.2", port=0):
        self.cert, self.key = cert, key
        self.target = (target_host, target_port)
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._rules = []
        self._rewrites = []  # (compiled bytes regex, replacement) on server lines
        self._log = []  # (connection id, command line) as seen, LOGIN redacted
        self._conns = set()
        self._next_cid = 0
        self._loop = None
        self._thread = None
        self._server = None
        self.connections = 0

    # --- control (any thread) -----------------------------------------
    def add_rule(self, pattern, boundary, k=1, wait=5.0):
        r = Rule(pattern, boundary, k, wait)
        with self._lock:
            self._rules.append(r)
        return r

    def rewrite(self, pattern, repl):
        """Rewrites every server line (not literal contents) matching the
        bytes regex pattern: a server that says something else (e.g. no
        \\* in PERMANENTFLAGS)."""
        with self._lock:
            self._rewrites.append((re.compile(pattern), repl))

    def clear(self):
        with self._lock:
            self._rules = []
            self._rewrites = []

    def commands(self):
        with self._lock:
            return list(self._log)

    def drop_all(self):
        """Drops every open connection (a network that went away)."""
        if self._loop:
            self._loop.call_soon_threadsafe(lambda: [c.drop() for c in list(self._conns)])

    # --- lifecycle ------------------------------------------------------
    def start(self):
        ready = threading.Event()
        err = []

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.cert, self.key)
                self._server = self._loop.run_until_complete(
                    asyncio.start_server(self._handle, self.host, self.port, ssl=ctx, limit=_MAX_LINE))
                self.port = self._server.sockets[0].getsockname()[1]
            except Exception as e:  # noqa: BLE001 - reported to start()
                err.append(e)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._server.close()
            for c in list(self._conns):
                c.drop()
            self._loop.run_until_complete(asyncio.sleep(0.05))
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        if err:
            raise err[0]
        return self

    def stop(self):
        if self._loop and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- the rules ------------------------------------------------------
    def _match(self, cid, tag, text):
        """The rule that fires on this command, if any (counts them)."""
        shown = text
        if re.match(r"(?i)(LOGIN|AUTHENTICATE)\b", text):
            shown = text.split(" ", 1)[0] + " ..."
        with self._lock:
            self._log.append((cid, f"{tag} {shown}".strip()))
            for r in self._rules:
                if r.fired.is_set() or r.seen >= r.k:
                    continue
                if r.pattern.search(text):
                    r.seen += 1
                    if r.seen == r.k:
                        r.command = f"{tag} {shown}"
                        return r
        return None

    # --- the pumps ------------------------------------------------------
    async def _handle(self, cr, cw):
        try:
            sr, sw = await asyncio.open_connection(*self.target, limit=_MAX_LINE)
        except OSError:
            cw.transport.abort()
            return
        with self._lock:
            self._next_cid += 1
            cid = self._next_cid
            self.connections += 1
        conn = _Conn(cid, cw, sw)
        self._conns.add(conn)
        try:
            await asyncio.gather(self._c2s(conn, cr, sw), self._s2c(conn, sr, cw), return_exceptions=True)
        finally:
            conn.drop()
            self._conns.discard(conn)

    async def _c2s(self, conn, cr, sw):
        while not conn.dropped:
            parts = await _read_item(cr)
            if parts is None:
                break
            first = parts[0][0]
            text = first.rstrip(b"\r\n").decode("latin-1")
            tag, _, rest = text.partition(" ")
            rule = self._match(conn.cid, tag, rest)
            if rule is not None and rule.boundary in ("before", "hold-before"):
                rule.fired.set()
                if rule.boundary == "before":
                    conn.drop()
                    break
                conn.holding = True
                # Swallow whatever else comes until the client goes.
                while await cr.read(1 << 16):
                    pass
                break
            # Forward the command piece by piece (a synchronizing literal
            # waits for the server's "+").
            while True:
                line, n, _sync = parts[-1]
                last = n is None
                if last and rule is not None:
                    conn.watch = (tag.encode("latin-1"), rule)
                sw.write(line)
                await sw.drain()
                if last:
                    break
                try:
                    lit = await cr.readexactly(n)
                except asyncio.IncompleteReadError:
                    conn.drop()
                    return
                sw.write(lit)
                await sw.drain()
                more = await _read_item(cr)
                if more is None:
                    conn.drop()
                    return
                parts = more
            if rule is not None and rule.boundary in ("after-send", "hold-reply"):
                asyncio.ensure_future(self._deadline(conn, rule))
        conn.drop()  # the client went (or a cut): nothing more to hold

    async def _deadline(self, conn, rule):
        """after-send: drop once the server answered, or after rule.wait."""
        t0 = time.monotonic()
        while not rule.answered.is_set() and time.monotonic() - t0 < rule.wait and not conn.dropped:
            await asyncio.sleep(0.01)
        if rule.boundary == "after-send":
            conn.drop()
        rule.fired.set()

    async def _s2c(self, conn, sr, cw):
        while not conn.dropped:
            parts = await _read_item(sr)
            if parts is None:
                break
            chunks = []
            while True:
                line, n, _ = parts[-1]
                chunks.append(line)
                if n is None:
                    break
                try:
                    chunks.append(await sr.readexactly(n))
                except asyncio.IncompleteReadError:
                    conn.drop()
                    return
                parts = await _read_item(sr)
                if parts is None:
                    conn.drop()
                    return
            watch = conn.watch
            tagged = False
            if watch is not None:
                tag, rule = watch
                tagged = chunks[0].split(b" ", 1)[0] == tag
                if tagged:
                    rule.reply = chunks[0].rstrip(b"\r\n").decode("latin-1")
                    rule.answered.set()
                if rule.boundary in ("after-send", "hold-reply"):
                    if rule.boundary == "hold-reply":
                        conn.holding = True
                    continue  # nothing more reaches the client
            with self._lock:
                rewrites = list(self._rewrites)
            for i, c in enumerate(chunks):
                # Even chunks are lines, odd ones the literals they announce.
                if i % 2 == 0:
                    for rx, repl in rewrites:
                        c = rx.sub(repl, c)
                cw.write(c)
            await cw.drain()
            if tagged and watch[1].boundary == "after-reply":
                watch[1].fired.set()
                conn.drop()
                break
        if not conn.holding:
            conn.drop()


def _main(argv=None):
    import argparse
    import signal

    ap = argparse.ArgumentParser(description="TLS-terminating IMAP proxy that cuts connections")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--target", required=True, help="HOST:PORT of the plaintext IMAP server")
    ap.add_argument("--listen", default="127.0.0.2:0")
    ap.add_argument("--rule", action="append", default=[], metavar="BOUNDARY:K:REGEX")
    a = ap.parse_args(argv)
    th, _, tp = a.target.rpartition(":")
    lh, _, lp = a.listen.rpartition(":")
    p = FaultProxy(a.cert, a.key, int(tp), th or "127.0.0.1", lh or "127.0.0.2", int(lp))
    for spec in a.rule:
        b, k, rx = spec.split(":", 2)
        p.add_rule(rx, b, int(k))
    p.start()
    print(p.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    p.stop()


if __name__ == "__main__":
    _main()
