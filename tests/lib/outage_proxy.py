#!/usr/bin/env python3
"""A TLS-terminating IMAP proxy whose server can be made unreachable at
run time, for the outage tests (tests/mount/test_outage.py).

Like tests/lib/fault_proxy.py, the client (imapfs, with imaps://) talks
TLS to the proxy, which presents a certificate the client trusts
(Dovecot's test certificate) and forwards plaintext to the server's IMAP
port on 127.0.0.1 (where Dovecot allows LOGIN without TLS).  The proxy
does its own accept and starts TLS only when the mode allows it, so a
"silent" server does not even finish the TLS handshake.

Modes, switched with set_mode() from any thread:

    forward   bytes pass both ways
    silent    nothing passes either way and new connections are accepted
              but never answered (not even the TLS handshake): a server
              or network that went away without a word.  Bytes wait in
              the sockets, so a connection still open when the mode goes
              back to forward carries on, as after a healed partition
    refuse    new connections are reset as soon as they are accepted and
              every open one is reset (RST, no FIN): a server that is down
    stall     server->client literals ({N} and ~{N}) pass only their first
              stall_bytes bytes; then that connection holds, both ways,
              until the mode changes (it then carries on)
    trickle   server->client bytes pass trickle_piece at a time,
              trickle_gap seconds apart, on every connection: a server
              that never goes quiet for as long as the client's timeout,
              yet takes far longer than it to say anything whole

Random faults (fault_plan()): a list of (gap, kind); the proxy counts the
server->client bytes it forwards (over all connections) and, gap bytes
after the previous fault, applies kind to the connection that carries
that byte, exactly at that byte:

    cut       both sides are reset at once
    silence   that connection forwards nothing more, either way, until the
              client closes it
    slow      for slow_seconds that connection forwards server->client
              bytes in pieces of slow_piece bytes, slow_gap seconds apart
              (each wait well below the client's timeout: a slow server,
              not a dead one)

proxy.fired lists the faults applied, as (kind, connection id, offset in
the plan's byte count); proxy.stats counts connections, resets, refusals
and stalled literals.

    with OutageProxy(cert, key, target_port) as p:     # p.host, p.port
        p.set_mode("silent")
        ...
        p.set_mode("forward")

Python standard library only.  Everything runs on one asyncio loop in a
daemon thread; the control methods are safe from any thread.
"""

import asyncio
import collections
import re
import socket
import ssl
import struct
import threading
import time

MODES = ("forward", "silent", "refuse", "stall", "trickle")
KINDS = ("cut", "silence", "slow")
# The end of a server line that announces a literal: {N} or ~{N} (BINARY).
_LITERAL_RE = re.compile(rb"\{(\d+)\}\r?\n$")
_CHUNK = 1 << 16


def _rst(sock):
    """Closes a socket with a reset instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class _Scan:
    """Where a server->client stream is: in a line or in a literal."""

    def __init__(self):
        self.lit_left = 0  # bytes of the current literal still to come
        self.lit_pos = 0  # bytes of the current literal already passed
        self.tail = b""  # the end of the current line (enough to see {N})

    def piece(self, data, pos):
        """Length of the next piece of data[pos:] that stays in one state:
        the rest of the literal, or the line up to and including LF."""
        if self.lit_left:
            return min(self.lit_left, len(data) - pos)
        nl = data.find(b"\n", pos)
        return (nl + 1 if nl >= 0 else len(data)) - pos

    def passed(self, piece):
        """Accounts for piece (at most what piece() allowed) going out."""
        if self.lit_left:
            self.lit_left -= len(piece)
            self.lit_pos += len(piece)
            return
        self.tail = (self.tail + piece)[-40:]
        if piece.endswith(b"\n"):
            m = _LITERAL_RE.search(self.tail)
            self.tail = b""
            if m and int(m.group(1)) > 0:
                self.lit_left = int(m.group(1))
                self.lit_pos = 0

    @property
    def in_literal(self):
        return self.lit_left > 0


class _Conn:
    def __init__(self, cid, sock):
        self.cid = cid
        self.sock = sock  # the accepted client socket
        self.writers = []  # StreamWriters to close at the end
        self.dead = False
        self.silenced = False  # a "silence" fault: holds until the client goes
        self.slow_until = 0.0
        self.scan = _Scan()


class OutageProxy:
    """The proxy, on its own thread.  cert/key: PEM files the client
    trusts; target: where the plaintext server listens."""

    def __init__(self, cert, key, target_port, target_host="127.0.0.1", host="127.0.0.2", port=0,
                 stall_bytes=64, slow_seconds=1.2, slow_piece=256, slow_gap=0.3,
                 trickle_piece=8, trickle_gap=0.5):
        self.cert, self.key = cert, key
        self.target = (target_host, target_port)
        self.host, self.port = host, port
        self.stall_bytes = stall_bytes
        self.slow_seconds, self.slow_piece, self.slow_gap = slow_seconds, slow_piece, slow_gap
        self.trickle_piece, self.trickle_gap = trickle_piece, trickle_gap
        self.stats = collections.Counter()  # protected by _lock
        self.fired = []  # protected by _lock: (kind, cid, offset)
        self._lock = threading.Lock()
        self._mode = "forward"  # loop thread only
        self._changed = None  # asyncio.Event, replaced at every change
        self._plan = collections.deque()  # loop thread only: (gap, kind)
        self._counted = 0  # s2c bytes since the plan was set
        self._next_at = None  # _counted at which the next fault fires
        self._conns = set()
        self._next_cid = 0
        self._ctx = None
        self._loop = None
        self._thread = None
        self._lsock = None
        self._accept_task = None

    # --- control (any thread) ---------------------------------------------
    def _call(self, fn, *args):
        fut = asyncio.run_coroutine_threadsafe(self._in_loop(fn, *args), self._loop)
        return fut.result(10)

    @staticmethod
    async def _in_loop(fn, *args):
        return fn(*args)

    def set_mode(self, mode):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self._call(self._set_mode, mode)

    @property
    def mode(self):
        return self._call(lambda: self._mode)

    def fault_plan(self, plan):
        """Arms the random faults: [(gap bytes, kind)]; [] disarms them."""
        for _, kind in plan:
            if kind not in KINDS:
                raise ValueError(f"unknown fault {kind!r}")
        self._call(self._set_plan, list(plan))

    def faults_left(self):
        return self._call(lambda: len(self._plan) + (self._next_at is not None))

    def snapshot(self):
        with self._lock:
            return collections.Counter(self.stats), list(self.fired)

    # --- lifecycle ----------------------------------------------------------
    def start(self):
        ready = threading.Event()
        err = []

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                self._ctx.load_cert_chain(self.cert, self.key)
                self._changed = asyncio.Event()
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((self.host, self.port))
                s.listen(128)
                s.setblocking(False)
                self._lsock = s
                self.port = s.getsockname()[1]
                self._accept_task = self._loop.create_task(self._accept())
            except Exception as e:  # noqa: BLE001 - reported to start()
                err.append(e)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._accept_task.cancel()
            for c in list(self._conns):
                self._kill(c, rst=True)
            self._lsock.close()
            self._loop.run_until_complete(asyncio.sleep(0.05))
            for t in asyncio.all_tasks(self._loop):
                t.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

        self._thread = threading.Thread(target=run, name="outage-proxy", daemon=True)
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

    # --- the loop's side ------------------------------------------------------
    def _count(self, key, n=1):
        with self._lock:
            self.stats[key] += n

    def _poke(self):
        ev, self._changed = self._changed, asyncio.Event()
        ev.set()

    async def _until(self, pred):
        while not pred():
            await self._changed.wait()

    def _set_mode(self, mode):
        self._mode = mode
        if mode == "refuse":
            for c in list(self._conns):
                self._count("reset")
                self._kill(c, rst=True)
        self._poke()

    def _set_plan(self, plan):
        self._plan = collections.deque(plan)
        self._counted = 0
        self._next_at = None
        self._arm()

    def _arm(self):
        if self._next_at is None and self._plan:
            gap, kind = self._plan.popleft()
            self._next_at = (self._counted + max(1, int(gap)), kind)

    def _kill(self, conn, rst=False):
        if conn.dead:
            return
        conn.dead = True
        if rst:
            _rst(conn.sock)
        for w in conn.writers:
            try:
                w.transport.abort()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if not conn.writers:
            conn.sock.close()
        self._conns.discard(conn)
        self._poke()

    async def _accept(self):
        loop = asyncio.get_running_loop()
        while True:
            sock, _ = await loop.sock_accept(self._lsock)
            sock.setblocking(False)
            self._next_cid += 1
            self._count("accepted")
            conn = _Conn(self._next_cid, sock)
            if self._mode == "refuse":
                self._count("refused")
                _rst(sock)
                sock.close()
                continue
            self._conns.add(conn)
            loop.create_task(self._serve(conn))

    def _open_now(self, conn):
        return conn.dead or self._mode in ("forward", "stall", "trickle")

    async def _serve(self, conn):
        loop = asyncio.get_running_loop()
        try:
            # Silent: the connection is accepted and nothing is said.
            await self._until(lambda: self._open_now(conn))
            if conn.dead:
                return
            cr = asyncio.StreamReader(limit=_CHUNK)
            proto = asyncio.StreamReaderProtocol(cr)
            tr, _ = await loop.connect_accepted_socket(lambda: proto, conn.sock, ssl=self._ctx,
                                                       ssl_handshake_timeout=60)
            cw = asyncio.StreamWriter(tr, proto, cr, loop)
            conn.writers.append(cw)
            if conn.dead:  # reset while the handshake ran
                cw.transport.abort()
                return
            sr, sw = await asyncio.open_connection(*self.target)
            conn.writers.append(sw)
            if conn.dead:
                sw.transport.abort()
                return
            self._count("connections")
            await asyncio.gather(self._c2s(conn, cr, sw), self._s2c(conn, sr, cw), return_exceptions=True)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self._kill(conn)

    def _may_pass(self, conn):
        return conn.dead or (self._mode != "silent" and not conn.silenced)

    async def _c2s(self, conn, cr, sw):
        while not conn.dead:
            data = await cr.read(_CHUNK)
            if not data:
                break
            await self._until(lambda: conn.silenced or (self._may_pass(conn) and not self._stalled(conn)))
            if conn.dead:
                return
            if conn.silenced:
                continue  # dropped, but the client's close is still seen
            sw.write(data)
            await sw.drain()
        self._kill(conn)  # the client went: nothing more to hold

    def _stalled(self, conn):
        return (self._mode == "stall" and conn.scan.in_literal
                and conn.scan.lit_pos >= self.stall_bytes)

    async def _s2c(self, conn, sr, cw):
        while not conn.dead:
            data = await sr.read(_CHUNK)
            if not data:
                break
            pos = 0
            while pos < len(data):
                await self._until(lambda: self._may_pass(conn) and not self._stalled(conn))
                if conn.dead:
                    return
                n = conn.scan.piece(data, pos)
                if self._mode == "stall" and conn.scan.in_literal:
                    n = min(n, self.stall_bytes - conn.scan.lit_pos)
                    if conn.scan.lit_left > n and conn.scan.lit_pos + n >= self.stall_bytes:
                        self._count("stalled literals")
                slow = time.monotonic() < conn.slow_until
                if slow:
                    n = min(n, self.slow_piece)
                trickle = self._mode == "trickle"
                if trickle:
                    n = min(n, self.trickle_piece)
                    self._count("trickled pieces")
                if self._next_at is not None:
                    n = min(n, self._next_at[0] - self._counted)
                piece = data[pos:pos + n]
                cw.write(piece)
                await cw.drain()
                conn.scan.passed(piece)
                pos += n
                self._counted += n
                if self._next_at is not None and self._counted >= self._next_at[0]:
                    self._fault(conn)
                if slow and not conn.dead:
                    await asyncio.sleep(self.slow_gap)
                elif trickle and not conn.dead:
                    await asyncio.sleep(self.trickle_gap)
        # The server closed (after LOGOUT or BYE): the client learns it
        # when the mode lets anything through.
        await self._until(lambda: self._may_pass(conn))
        self._kill(conn)

    def _fault(self, conn):
        _, kind = self._next_at
        with self._lock:
            self.fired.append((kind, conn.cid, self._counted))
        self._next_at = None
        self._arm()
        if kind == "cut":
            self._kill(conn, rst=True)
        elif kind == "silence":
            conn.silenced = True
        else:
            conn.slow_until = time.monotonic() + self.slow_seconds
