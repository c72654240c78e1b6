#!/usr/bin/env python3
"""fakeserver.py - a scripted fake IMAP server for the imap transcript tests.

Usage: fakeserver.py [--cert PEM --key PEM] [--wait S] TRANSCRIPT

Listens on 127.0.0.1 on a free port, prints the port number on stdout, serves
ONE connection by following TRANSCRIPT (or, with ACCEPT, one after the other
in order), and exits 0 if the client
honoured the whole transcript, or 1 with a message naming the transcript line
that was not honoured.  A log of the conversation goes to stderr.  When its
stdin reaches end of file before a client connected (run_transcript.py closes
it once the client program has exited), it stops waiting: that is a failure
unless the transcript says NO-CONNECT-OK; a connection beyond those the
transcript has, made before that end of file, is a failure too.  (Only
with --stdin-eof.)

Transcript format: one action per line, executed in order.  Blank lines and
lines starting with '#' are ignored (run_transcript.py reads its "# key:"
headers from the same file).  "C" actions read what the client sent, "S"
actions send to it.

  S: TEXT            send TEXT + CRLF ("$TAG" is replaced by the tag captured
                     from the last C line, "$PREVTAG" by the one captured
                     before it: replies to two pipelined commands)
  S+: ESCAPED        send bytes exactly, no CRLF added; escapes \\r \\n \\t \\0
                     \\\\ \\xHH; any other backslash is sent as is (so flags
                     like \\Seen need no care); "$TAG" replaced as above
  BEFORE-TLS: ESC    same as S+, documents the STARTTLS injection case: bytes
                     that go out in the same write as the preceding S line
                     (the STARTTLS OK), before the handshake
  NEST N             send "* 1 FETCH " + N '(' + N ')' + CRLF
  DATA N             send N bytes of binary test data (every byte value,
                     NUL, CR and LF included): byte i is (i * 131 + 7) % 256
  C: TEXT            expect exactly this client line (CRLF-terminated, CRLF
                     not included); "{TAG}" matches any IMAP tag and captures
                     it as $TAG
  C~: REGEX          the client line must fully match REGEX (Python, bytes);
                     a named group "tag" captures $TAG (C and C~ lines without
                     {TAG} or (?P<tag>...), e.g. a SASL response, keep $TAG)
  C-CMD: NAME ARGS   expect a command NAME (case-insensitive) whose arguments,
                     decoded, equal ARGS.  ARGS are written as IMAP atoms or
                     quoted strings; the client may send each one as an atom,
                     a quoted string (7-bit only, \\" and \\\\ escapes) or a
                     literal: the server answers "+" to a synchronizing {N}
                     literal, and accepts {N+} only after it announced
                     LITERAL+ (or LITERAL- for N <= 4096)
  C-B64: PREFIX|ESC   expect the client line PREFIX followed by the base64
                     (RFC 4648, padded) of the bytes ESC (escapes as in S+;
                     "$PORT" in ESC is the port this server listens on):
                     an exact SASL message, written decoded.  PREFIX is as
                     in C ("{TAG}" captures) and may be empty (a SASL
                     response line)
  C-LITERAL: N [ESC] expect exactly N raw bytes (and that they equal ESC when
                     given, escapes as in S+); the rest of that client line
                     after the literal is read by the next C action
  OPTIONAL ... END   a block whose first action is C: or C~:.  If the client's
                     next line matches it, the block runs; otherwise (or if the
                     client closed) the block is skipped and the line is kept
                     for the next C action.  For things a correct client may
                     or may not do (a CAPABILITY it may skip, a LOGOUT).
  TLS                start server-side TLS (cert/key from the command line);
                     the client must not have sent anything beyond its last
                     command (no pipelining across STARTTLS)
  TLS-REJECTED       start TLS and expect the client to abort the handshake
                     (untrusted certificate, wrong host name); must be last
  SPLIT N [MS]       from here on, send in N-byte writes with MS ms (default
                     1) between them; SPLIT 0 turns it off.  Otherwise all
                     consecutive S/S+/BEFORE-TLS/NEST actions go out in one
                     write.
  PAUSE MS           flush what is pending, then sleep MS milliseconds
  BIG-LINE N [MAX]   flush, then stream N bytes of 'x' (no CRLF) in 64 KiB
                     writes.  The client must disconnect before all N bytes
                     (or, when given, before MAX bytes) could be sent: it must
                     bail out at its line limit.  MAX leaves room for what the
                     kernel buffers on both ends (a few MB on loopback).
  CLOSE              close cleanly (TLS close_notify, TCP FIN); must be last
  RESET              close with SO_LINGER 0 (TCP RST); must be last
  STALL              stop answering; swallow what the client sends until it
                     goes away, at most 20 s (else fail); must be last
  EXPECT-EOF         the client must close without sending anything more;
                     must be last
  NO-CONNECT-OK      (anywhere) the client may also never connect at all, for
                     clients that refuse bad input before connecting
  ACCEPT             (top level only) the connection so far is over: it ends
                     as a transcript does (EXPECT-EOF implied unless one of
                     the final actions above ends it); then the client must
                     connect again, and the actions after ACCEPT run on that
                     new connection (fresh $TAG, no TLS until TLS).  For
                     clients that reconnect by themselves.  The final
                     actions must be last of their connection, not of the
                     transcript.

The end of the transcript implies EXPECT-EOF.  Once the client has closed,
S actions are skipped, OPTIONAL blocks are skipped and any C action fails.
"""

import argparse
import base64
import re
import select
import socket
import ssl
import struct
import sys
import time

LINE_MAX = 1 << 20  # longest client line we accept
STALL_MAX_S = 20.0

# RFC 3501 tag: ASTRING-CHAR except "+", i.e. printable ASCII except
# SP ( ) { % * " \ and +; "]" is allowed.
TAG_RE = rb'[!#$&\'\x2c-\x5b\x5d-\x7a|}~]+'
# astring characters: the same plus "+".
ATOM_CHARS = re.compile(rb'[!#$&\'+\x2c-\x5b\x5d-\x7a|}~]+')


class Fail(Exception):
    pass


def log(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def show(b, limit=200):
    """Bytes as a readable one-line string."""
    s = repr(bytes(b[:limit]))[2:-1]
    if len(b) > limit:
        s += '...(%d bytes)' % len(b)
    return s


def unescape(s):
    """Decodes \\r \\n \\t \\0 \\\\ \\xHH; other text is UTF-8."""
    out = bytearray()
    i = 0
    while i < len(s):
        ch = s[i]
        if ch != '\\' or i + 1 == len(s):
            out += ch.encode('utf-8')
            i += 1
            continue
        n = s[i + 1]
        if n == 'r':
            out += b'\r'
        elif n == 'n':
            out += b'\n'
        elif n == 't':
            out += b'\t'
        elif n == '0':
            out += b'\0'
        elif n == '\\':
            out += b'\\'
        elif n == 'x':
            out.append(int(s[i + 2:i + 4], 16))
            i += 2
        else:
            out += b'\\'  # not an escape: kept, so that \Seen needs no care
            i += 1
            continue
        i += 2
    return bytes(out)


def test_data(n):
    """The bytes of DATA n (run_transcript.py's expect-body-sha256 matches
    them against what the client wrote)."""
    pattern = bytes((i * 131 + 7) % 256 for i in range(256))
    return (pattern * (n // 256 + 1))[:n]


class Action:
    def __init__(self, lineno, kind, arg, block=None):
        self.lineno = lineno
        self.kind = kind
        self.arg = arg
        self.block = block  # OPTIONAL: list of actions

    def __repr__(self):
        return 'line %d: %s%s' % (self.lineno, self.kind,
                                  '' if self.arg is None else ' ' + self.arg)


ARG_KINDS = ('S', 'S+', 'BEFORE-TLS', 'C', 'C~', 'C-B64', 'C-CMD', 'C-LITERAL')
WORD_KINDS = ('NEST', 'DATA', 'SPLIT', 'PAUSE', 'BIG-LINE')
BARE_KINDS = ('TLS', 'TLS-REJECTED', 'CLOSE', 'RESET', 'STALL', 'EXPECT-EOF',
              'NO-CONNECT-OK', 'OPTIONAL', 'END', 'ACCEPT')
FINAL_KINDS = ('TLS-REJECTED', 'CLOSE', 'RESET', 'STALL', 'EXPECT-EOF')


def parse_transcript(path):
    """The actions of each connection in turn (split at ACCEPT), and
    whether NO-CONNECT-OK was given."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    top = []
    stack = [top]
    no_connect_ok = False
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip('\r')
        if not line.strip() or line.startswith('#'):
            continue
        m = re.match(r'^([A-Z0-9+~-]+):(?: (.*))?$', line)
        if m and m.group(1) in ARG_KINDS:
            kind, arg = m.group(1), m.group(2) or ''
        else:
            parts = line.split(None, 1)
            kind = parts[0]
            arg = parts[1] if len(parts) > 1 else None
            if kind in WORD_KINDS:
                if arg is None:
                    raise ValueError('line %d: %s needs a number' % (n, kind))
            elif kind in BARE_KINDS:
                if arg is not None:
                    raise ValueError('line %d: %s takes no argument' % (n, kind))
            else:
                raise ValueError('line %d: unknown action %r' % (n, line))
        if kind == 'NO-CONNECT-OK':
            no_connect_ok = True
            continue
        if kind == 'ACCEPT' and len(stack) > 1:
            raise ValueError('line %d: ACCEPT inside an OPTIONAL block' % n)
        if kind == 'OPTIONAL':
            if len(stack) > 1:
                raise ValueError('line %d: OPTIONAL blocks do not nest' % n)
            act = Action(n, kind, None, [])
            stack[-1].append(act)
            stack.append(act.block)
            continue
        if kind == 'END':
            if len(stack) == 1:
                raise ValueError('line %d: END without OPTIONAL' % n)
            blk = stack.pop()
            if not blk or blk[0].kind not in ('C', 'C~'):
                raise ValueError('line %d: an OPTIONAL block starts with C: or C~:' % n)
            continue
        act = Action(n, kind, arg)
        if kind in ('S+', 'BEFORE-TLS', 'C-LITERAL'):
            if kind == 'C-LITERAL':
                parts = arg.split(' ', 1)
                act.count = int(parts[0])
                act.data = unescape(parts[1]) if len(parts) > 1 else None
            else:
                act.data = unescape(arg)
        elif kind in ('C~',):
            act.regex = re.compile(arg.encode('utf-8'), re.S)
        elif kind == 'C':
            pat = re.escape(arg.encode('utf-8')).replace(re.escape(b'{TAG}'),
                                                         b'(?P<tag>' + TAG_RE + b')')
            act.regex = re.compile(pat, re.S)
        elif kind == 'C-B64':
            if '|' not in arg:
                raise ValueError('line %d: C-B64 needs PREFIX|PAYLOAD' % n)
            prefix, payload = arg.split('|', 1)
            act.prefix = re.escape(prefix.encode('utf-8')).replace(
                re.escape(b'{TAG}'), b'(?P<tag>' + TAG_RE + b')')
            act.data = unescape(payload)
        elif kind == 'C-CMD':
            words = parse_expected_args(arg)
            if not words:
                raise ValueError('line %d: C-CMD needs a command name' % n)
            act.cmd = words[0].upper()
            act.args = words[1:]
        elif kind in WORD_KINDS:
            nums = [int(x) for x in arg.split()]
            if not nums or len(nums) > (2 if kind in ('SPLIT', 'BIG-LINE') else 1) or min(nums) < 0:
                raise ValueError('line %d: bad %s argument' % (n, kind))
            act.nums = nums
        stack[-1].append(act)
    if len(stack) > 1:
        raise ValueError('OPTIONAL block not closed by END')
    conns = [[]]
    for act in top:
        if act.kind == 'ACCEPT':
            conns.append([])
            conns[-1].append(act)  # where the connection starts, for messages
        else:
            conns[-1].append(act)
    for actions in conns:
        body = [a for a in actions if a.kind != 'ACCEPT']
        for i, act in enumerate(body):
            if act.kind in FINAL_KINDS and i != len(body) - 1:
                raise ValueError('line %d: %s must be the last action of its connection' %
                                 (act.lineno, act.kind))
    return conns, no_connect_ok


def parse_expected_args(text):
    """Atoms and quoted strings of a C-CMD line, decoded to bytes."""
    out = []
    b = text.encode('utf-8')
    i = 0
    while i < len(b):
        if b[i:i + 1] == b' ':
            i += 1
            continue
        if b[i:i + 1] == b'"':
            val = bytearray()
            i += 1
            while i < len(b) and b[i:i + 1] != b'"':
                if b[i:i + 1] == b'\\':
                    i += 1
                val += b[i:i + 1]
                i += 1
            if i >= len(b):
                raise ValueError('unterminated quoted string in %r' % text)
            out.append(bytes(val))
            i += 1
        else:
            j = b.find(b' ', i)
            j = len(b) if j < 0 else j
            out.append(b[i:j])
            i = j
    return out


class Session:
    def __init__(self, sock, args):
        self.sock = sock
        self.args = args
        self.rbuf = bytearray()
        self.pushback = None  # a whole line read by an OPTIONAL peek
        self.eof = False
        self.peer_gone = False
        self.tag = b''
        self.prevtag = b''
        self.pending = bytearray()
        self.split = 0
        self.split_ms = 1
        self.sent_text = bytearray()  # everything sent, to spot LITERAL+
        self.is_tls = False
        self.sock.settimeout(args.wait)

    # ---------------------------------------------------------- sending
    def queue(self, data):
        self.pending += data.replace(b'$PREVTAG', self.prevtag).replace(b'$TAG', self.tag)

    def flush(self):
        data, self.pending = bytes(self.pending), bytearray()
        if not data or self.peer_gone:
            return
        self.sent_text += data[:65536]
        log('S> ' + show(data, 400))
        try:
            if self.split:
                for i in range(0, len(data), self.split):
                    self.sock.sendall(data[i:i + self.split])
                    time.sleep(self.split_ms / 1000.0)
            else:
                self.sock.sendall(data)
        except socket.timeout:
            raise Fail('client stopped reading for %g s while we were sending' % self.args.wait)
        except OSError as e:
            log('   (client gone while we were sending: %s)' % e)
            self.peer_gone = True

    # ---------------------------------------------------------- receiving
    def fill(self):
        """Reads more into rbuf; False at end of stream."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Fail('client sent nothing for %g s' % self.args.wait)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionResetError,
                BrokenPipeError):
            data = b''
        except ssl.SSLError as e:
            raise Fail('TLS error while reading: %s' % e)
        if not data:
            self.eof = True
            return False
        self.rbuf += data
        return True

    def readline(self):
        """One CRLF-terminated line without its CRLF, or None at EOF."""
        if self.pushback is not None:
            line, self.pushback = self.pushback, None
            return line
        while True:
            i = self.rbuf.find(b'\n')
            if i >= 0:
                line = bytes(self.rbuf[:i + 1])
                del self.rbuf[:i + 1]
                if not line.endswith(b'\r\n'):
                    raise Fail('client line ends with a bare LF: %s' % show(line))
                log('C< ' + show(line[:-2], 400))
                return line[:-2]
            if len(self.rbuf) > LINE_MAX:
                raise Fail('client sent more than %d bytes without CRLF' % LINE_MAX)
            if not self.fill():
                if self.rbuf:
                    raise Fail('client closed after an incomplete line: %s' % show(self.rbuf))
                return None

    def readexact(self, n):
        while len(self.rbuf) < n:
            if not self.fill():
                raise Fail('client closed after %d of %d literal bytes' % (len(self.rbuf), n))
        data = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        log('C< (%d literal bytes) %s' % (n, show(data)))
        return data

    def expect_line(self, act):
        line = self.readline()
        if line is None:
            raise Fail('%r: the client closed the connection instead' % act)
        return line

    def capture_tag(self, m):
        if m.re.groupindex.get('tag') and m.group('tag'):
            self.set_tag(m.group('tag'))

    def set_tag(self, tag):
        self.prevtag, self.tag = self.tag, tag

    # ---------------------------------------------------------- C-CMD
    def literal_allowed(self, n, plus):
        if not plus:
            return True
        caps = bytes(self.sent_text).upper()
        return b'LITERAL+' in caps or (b'LITERAL-' in caps and n <= 4096)

    def read_command(self, act):
        """Reads one full command, answering '+' to synchronizing literals.
        Returns (tag, name, [decoded args])."""
        line = self.expect_line(act)
        m = re.match(rb'^(' + TAG_RE + rb') ([A-Za-z]+)(.*)$', line, re.S)
        if not m:
            raise Fail('%r: not a command line: %s' % (act, show(line)))
        tag, name, rest = m.group(1), m.group(2), m.group(3)
        args = []
        while rest:
            if not rest.startswith(b' '):
                raise Fail('%r: expected SP before argument at %s' % (act, show(rest)))
            rest = rest[1:]
            if rest.startswith(b'"'):
                val = bytearray()
                i = 1
                while True:
                    if i >= len(rest):
                        raise Fail('%r: unterminated quoted string' % act)
                    ch = rest[i]
                    if ch == 0x22:
                        break
                    if ch == 0x5c:
                        i += 1
                        if i >= len(rest) or rest[i] not in (0x22, 0x5c):
                            raise Fail('%r: bad escape in quoted string: %s' %
                                       (act, show(rest)))
                        ch = rest[i]
                    if ch >= 0x80 or ch == 0:
                        raise Fail('%r: byte 0x%02x in a quoted string (must be a literal)'
                                   % (act, ch))
                    val.append(ch)
                    i += 1
                args.append(bytes(val))
                rest = rest[i + 1:]
                continue
            lm = re.match(rb'^\{(\d+)(\+?)\}$', rest)
            if lm:
                n, plus = int(lm.group(1)), lm.group(2) == b'+'
                if not self.literal_allowed(n, plus):
                    raise Fail('%r: non-synchronizing literal {%d+} but LITERAL+ '
                               'was never announced' % (act, n))
                if not plus:
                    self.queue(b'+ Ready for literal data\r\n')
                    self.flush()
                args.append(self.readexact(n))
                rest = self.expect_line(act)
                continue
            am = ATOM_CHARS.match(rest)
            if not am:
                raise Fail('%r: cannot parse argument at %s' % (act, show(rest)))
            args.append(am.group(0))
            rest = rest[am.end():]
        return tag, name, args

    # ---------------------------------------------------------- actions
    def run(self, actions):
        actions = [a for a in actions if a.kind != 'ACCEPT']
        for act in actions:
            self.step(act)
        if not actions or actions[-1].kind not in FINAL_KINDS:
            self.flush()
            self.expect_eof(None)

    def step(self, act):
        k = act.kind
        if k == 'S':
            self.queue(act.arg.encode('utf-8') + b'\r\n')
            return
        if k in ('S+', 'BEFORE-TLS'):
            self.queue(act.data)
            return
        if k == 'NEST':
            n = act.nums[0]
            self.queue(b'* 1 FETCH ' + b'(' * n + b')' * n + b'\r\n')
            return
        if k == 'DATA':
            self.pending += test_data(act.nums[0])
            return
        if k == 'SPLIT':
            self.flush()
            self.split = act.nums[0]
            self.split_ms = act.nums[1] if len(act.nums) > 1 else 1
            return
        self.flush()
        if k in ('C', 'C~'):
            line = self.expect_line(act)
            m = act.regex.fullmatch(line)
            if not m:
                raise Fail('%r\n  expected: %s\n  client sent: %s' % (act, act.arg, show(line, 1000)))
            self.capture_tag(m)
        elif k == 'C-B64':
            line = self.expect_line(act)
            payload = act.data.replace(b'$PORT', str(self.args.port).encode())
            b64 = base64.b64encode(payload)
            m = re.fullmatch(act.prefix + re.escape(b64), line, re.S)
            if not m:
                raise Fail('%r\n  expected: %s + base64(%s) = %s\n  client sent: %s' %
                           (act, act.arg.split('|', 1)[0], show(payload), b64.decode(),
                            show(line, 1000)))
            self.capture_tag(m)
        elif k == 'C-CMD':
            tag, name, args = self.read_command(act)
            if name.upper() != act.cmd or args != act.args:
                raise Fail('%r\n  expected command %s with arguments %s\n  client sent %s '
                           'with arguments %s' % (act, act.cmd.decode(), [show(a) for a in act.args],
                                                  name.decode(), [show(a) for a in args]))
            self.set_tag(tag)
        elif k == 'C-LITERAL':
            if self.pushback is not None:
                raise Fail('%r: the client line %s came first' % (act, show(self.pushback)))
            data = self.readexact(act.count)
            if act.data is not None and data != act.data:
                raise Fail('%r\n  expected bytes: %s\n  client sent: %s' %
                           (act, show(act.data), show(data)))
        elif k == 'OPTIONAL':
            first = act.block[0]
            line = None if self.peer_gone else self.readline()
            if line is None:
                log('   (optional block at line %d skipped: client closed)' % act.lineno)
                return
            m = first.regex.fullmatch(line)
            if not m:
                log('   (optional block at line %d skipped)' % act.lineno)
                self.pushback = line
                return
            self.capture_tag(m)
            for a in act.block[1:]:
                self.step(a)
        elif k == 'PAUSE':
            time.sleep(act.nums[0] / 1000.0)
        elif k == 'TLS':
            self.start_tls(act, expect_ok=True)
        elif k == 'TLS-REJECTED':
            self.start_tls(act, expect_ok=False)
        elif k == 'BIG-LINE':
            self.big_line(act)
        elif k == 'CLOSE':
            self.close_clean()
        elif k == 'RESET':
            log('   (reset)')
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.sock.close()
        elif k == 'STALL':
            self.stall()
        elif k == 'EXPECT-EOF':
            self.expect_eof(act)
        else:
            raise Fail('%r: not allowed here' % act)

    def start_tls(self, act, expect_ok):
        if self.pushback is not None or self.rbuf:
            raise Fail('%r: the client sent bytes before the TLS handshake: %s' %
                       (act, show(self.pushback if self.pushback is not None else self.rbuf)))
        if self.peer_gone or self.eof:
            raise Fail('%r: the client is gone' % act)
        if not self.args.cert:
            raise Fail('%r: no --cert/--key given' % act)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.args.cert, self.args.key)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except socket.timeout:
            raise Fail('%r: TLS handshake: the client sent nothing for %g s' %
                       (act, self.args.wait))
        except (ssl.SSLError, OSError) as e:
            if expect_ok:
                raise Fail('%r: TLS handshake failed: %s' % (act, e))
            log('   (TLS handshake rejected by the client, as expected: %s)' % e)
            return
        if not expect_ok:
            raise Fail('%r: the client completed the TLS handshake; it should have '
                       'rejected the certificate' % act)
        self.sock.settimeout(self.args.wait)
        self.is_tls = True
        log('   (TLS established: %s)' % self.sock.version())

    def big_line(self, act):
        n = act.nums[0]
        chunk = b'x' * 65536
        sent = 0
        try:
            while sent < n:
                k = min(len(chunk), n - sent)
                self.sock.sendall(chunk[:k])
                sent += k
        except socket.timeout:
            raise Fail('%r: client neither read nor closed for %g s after %d bytes' %
                       (act, self.args.wait, sent))
        except OSError as e:
            log('   (client disconnected after %d of %d bytes of the line: %s)' % (sent, n, e))
            self.peer_gone = True
            if len(act.nums) > 1 and sent > act.nums[1]:
                raise Fail('%r: the client read more than %d bytes of a line without CRLF '
                           'before giving up' % (act, act.nums[1]))
            return
        raise Fail('%r: the client accepted all %d bytes of a line without CRLF instead of '
                   'bailing out at its line limit' % (act, n))

    def close_clean(self):
        log('   (close)')
        if self.is_tls:
            try:
                self.sock.settimeout(1.0)
                self.sock = self.sock.unwrap()
            except (OSError, ValueError) as e:
                log('   (TLS shutdown: %s)' % e)
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(10.0)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        self.sock.close()

    def stall(self):
        log('   (stall)')
        deadline = time.monotonic() + STALL_MAX_S
        self.rbuf.clear()
        while not self.eof and not self.peer_gone:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail('STALL: the client did not give up within %g s' % STALL_MAX_S)
            self.sock.settimeout(left)
            try:
                self.fill()
            except Fail:
                raise Fail('STALL: the client did not give up within %g s' % STALL_MAX_S)
            if self.rbuf:
                log('   (ignored while stalled: %s)' % show(self.rbuf))
                self.rbuf.clear()

    def expect_eof(self, act):
        where = repr(act) if act else 'end of transcript'
        if self.pushback is not None:
            raise Fail('%s: expected the client to close, it sent: %s' % (where, show(self.pushback)))
        if self.peer_gone:
            return
        if self.rbuf or self.fill():
            raise Fail('%s: expected the client to close, it sent: %s' % (where, show(self.rbuf)))
        log('   (client closed)')


def main():
    ap = argparse.ArgumentParser(description='scripted fake IMAP server (see the file header)')
    ap.add_argument('--cert')
    ap.add_argument('--key')
    ap.add_argument('--wait', type=float, default=20.0,
                    help='seconds to wait for any single client action')
    ap.add_argument('--stdin-eof', action='store_true',
                    help='stop waiting for a client when stdin reaches end of file')
    ap.add_argument('transcript')
    args = ap.parse_args()
    try:
        conns, no_connect_ok = parse_transcript(args.transcript)
    except (OSError, ValueError) as e:
        log('fakeserver: bad transcript: %s' % e)
        return 2

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(1)
    args.port = lsock.getsockname()[1]
    print(args.port, flush=True)

    watch = [lsock, sys.stdin] if args.stdin_eof else [lsock]
    stdin_open = True
    for i, actions in enumerate(conns):
        where = '' if i == 0 else ' again (%r)' % actions[0]
        deadline = time.monotonic() + args.wait
        conn = None
        while conn is None:
            left = deadline - time.monotonic()
            if left <= 0:
                log('FAIL: no client connected%s within %g s' % (where, args.wait))
                return 1
            ready, _, _ = select.select(watch if stdin_open else [lsock], [], [], left)
            if lsock in ready:
                conn, _ = lsock.accept()
            elif sys.stdin in ready:
                if sys.stdin.buffer.read1(4096):
                    continue
                if i == 0 and no_connect_ok:
                    log('OK: the client never connected (allowed by NO-CONNECT-OK)')
                    return 0
                # The client program exited: what it left in the backlog
                # is all there will be.
                stdin_open = False
                ready, _, _ = select.select([lsock], [], [], 0)
                if not ready:
                    log('FAIL: the client exited without connecting%s' % where)
                    return 1
        if i > 0:
            log('   (connection %d)' % (i + 1))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sess = Session(conn, args)
        try:
            sess.run(actions)
        except Fail as e:
            log('FAIL: %s' % e)
            return 1
    if args.stdin_eof and stdin_open:
        # One connection more than the transcript has is a failure too (a
        # client reconnecting for ever); it is known once the client exited.
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sys.stdin], [], [], deadline - time.monotonic())
            if ready and not sys.stdin.buffer.read1(4096):
                stdin_open = False
                break
    if not stdin_open and select.select([lsock], [], [], 0)[0]:
        log('FAIL: the client connected once more than the transcript says')
        return 1
    lsock.close()
    log('OK: transcript honoured')
    return 0


if __name__ == '__main__':
    sys.exit(main())
