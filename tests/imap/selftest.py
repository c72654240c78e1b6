#!/usr/bin/env python3
"""selftest.py - proves that fakeserver.py notices misbehaving clients.

Usage: selftest.py FAKESERVER

Every transcript test relies on the fake server failing when the client
deviates; if it silently accepted anything, all of them would pass
vacuously.  Here a scripted raw-socket peer (plain bytes, no IMAP client)
does right and wrong things against small transcripts, and each case states
whether the server must accept (exit 0) or fail (exit 1, with a given
message).  Exits 0 when every case holds.
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time


def recv_until(s, marker, limit=5.0):
    s.settimeout(limit)
    data = b''
    while marker not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def drain(s):
    s.settimeout(5.0)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


class Case:
    def __init__(self, name, transcript, client, ok, msg=None, stdin_eof=False, tls=False):
        self.name, self.transcript, self.client = name, transcript, client
        self.ok, self.msg, self.stdin_eof, self.tls = ok, msg, stdin_eof, tls


# ---- clients: each gets a connected socket (or None for "never connect")

def c_exact(s):
    assert recv_until(s, b'\r\n') == b'* OK hi\r\n'
    s.sendall(b'x7 NOOP\r\n')
    got = recv_until(s, b'x7 OK done\r\n')
    assert got == b'x7 OK done\r\n', got  # $TAG substituted
    s.close()


def c_pipelined(s):
    assert recv_until(s, b'\r\n') == b'* OK hi\r\n'
    s.sendall(b'x7 NOOP\r\nx8 NOOP\r\n')
    got = recv_until(s, b'x8 OK b\r\n')
    assert got == b'x7 OK a\r\nx8 OK b\r\n', got  # $PREVTAG and $TAG substituted
    s.close()


def c_wrong_line(s):
    recv_until(s, b'\r\n')
    s.sendall(b'x7 NOOPS\r\n')
    drain(s)
    s.close()


def c_extra_at_end(s):
    recv_until(s, b'\r\n')
    s.sendall(b'x7 NOOP\r\n')
    recv_until(s, b'done\r\n')
    s.sendall(b'x8 LOGOUT\r\n')
    drain(s)
    s.close()


def c_bare_lf(s):
    recv_until(s, b'\r\n')
    s.sendall(b'x7 NOOP\n')
    drain(s)
    s.close()


def c_login_literal(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 LOGIN user {4}\r\n')
    assert recv_until(s, b'\r\n').startswith(b'+ ')
    s.sendall(b'p\xc3\xa4s\r\n')
    assert recv_until(s, b'\r\n') == b'a1 OK\r\n'
    s.close()


def c_login_quoted_8bit(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 LOGIN user "p\xc3\xa4s"\r\n')
    drain(s)
    s.close()


def c_login_quoted_escapes(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 LOGIN "user" "p\\"w\\\\d"\r\n')
    assert recv_until(s, b'\r\n') == b'a1 OK\r\n'
    s.close()


def c_nonsync_literal(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 LOGIN user {4+}\r\np\xc3\xa4s\r\n')
    drain(s)
    s.close()


def c_optional_skipped(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 NOOP\r\n')
    assert recv_until(s, b'\r\n') == b'a1 OK noop\r\n'
    s.close()


def c_optional_taken(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 CAPABILITY\r\n')
    assert recv_until(s, b'a1 OK cap\r\n').endswith(b'a1 OK cap\r\n')
    s.sendall(b'a2 NOOP\r\n')
    assert recv_until(s, b'\r\n') == b'a2 OK noop\r\n'
    s.close()


def c_pipelined_starttls(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 STARTTLS\r\na2 LOGIN user pass\r\n')
    drain(s)
    s.close()


def c_reads_everything(s):
    s.settimeout(10)
    while s.recv(1 << 20):
        pass
    s.close()


def c_literal_mismatch(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 APPEND box {5}\r\n')
    recv_until(s, b'\r\n')
    s.sendall(b'hellO\r\n')
    drain(s)
    s.close()


def c_stall_then_leave(s):
    recv_until(s, b'\r\n')
    s.sendall(b'a1 NOOP\r\n')
    time.sleep(0.3)
    s.close()


def c_sasl(payload):
    def client(s):
        import base64
        recv_until(s, b'\r\n')
        s.sendall(b'a1 AUTHENTICATE X ' + base64.b64encode(payload) + b'\r\n')
        drain(s)
        s.close()
    return client


def c_sasl_port(s):
    import base64
    recv_until(s, b'\r\n')
    port = s.getpeername()[1]
    s.sendall(b'a1 AUTHENTICATE X ' + base64.b64encode(b'p=%d\x01' % port) + b'\r\n')
    assert recv_until(s, b'\r\n') == b'a1 OK\r\n'
    s.close()


def c_tls_then_eof(s):
    ctx = ssl.create_default_context(cafile=CERT)
    t = ctx.wrap_socket(s, server_hostname='127.0.0.1')
    assert recv_until(t, b'\r\n') == b'* OK tls\r\n'
    t.close()


def c_reconnect(times, extra=False):
    """NOOP on the first connection, then times more connections, each a
    NOOP and close; with extra, one more that closes at once."""
    def client(s):
        port = s.getpeername()[1]
        for i in range(times + 1):
            if i:
                s = socket.create_connection(('127.0.0.1', port), timeout=5)
            assert recv_until(s, b'\r\n') == b'* OK hi\r\n'
            s.sendall(b'x%d NOOP\r\n' % i)
            assert recv_until(s, b'\r\n') == b'x%d OK done\r\n' % i
            s.close()
        if extra:
            socket.create_connection(('127.0.0.1', port), timeout=5).close()
    return client


CASES = [
    Case('exact lines and $TAG', 'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\n', c_exact, True),
    Case('$PREVTAG answers the first of two pipelined commands',
         'S: * OK hi\nC: {TAG} NOOP\nC: {TAG} NOOP\nS: $PREVTAG OK a\nS: $TAG OK b\n', c_pipelined,
         True),
    Case('a different line fails', 'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\n', c_wrong_line,
         False, 'line 2'),
    Case('bytes after the transcript fail', 'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\n',
         c_extra_at_end, False, 'expected the client to close'),
    Case('a bare LF fails', 'S: * OK hi\nC: {TAG} NOOP\n', c_bare_lf, False, 'bare LF'),
    Case('C-CMD takes a synchronizing literal', 'S: * OK hi\nC-CMD: LOGIN user "päs"\nS: $TAG OK\n',
         c_login_literal, True),
    Case('C-CMD refuses 8-bit in a quoted string', 'S: * OK hi\nC-CMD: LOGIN user "päs"\nS: $TAG OK\n',
         c_login_quoted_8bit, False, 'quoted string'),
    Case('C-CMD decodes quoted escapes', 'S: * OK hi\nC-CMD: LOGIN user "p\\"w\\\\d"\nS: $TAG OK\n',
         c_login_quoted_escapes, True),
    Case('C-CMD refuses {N+} without LITERAL+', 'S: * OK hi\nC-CMD: LOGIN user "päs"\nS: $TAG OK\n',
         c_nonsync_literal, False, 'LITERAL+'),
    Case('OPTIONAL skipped', 'S: * OK hi\nOPTIONAL\nC: {TAG} CAPABILITY\nS: $TAG OK cap\nEND\n'
         'C: {TAG} NOOP\nS: $TAG OK noop\n', c_optional_skipped, True),
    Case('OPTIONAL taken', 'S: * OK hi\nOPTIONAL\nC: {TAG} CAPABILITY\nS: * CAPABILITY X\n'
         'S: $TAG OK cap\nEND\nC: {TAG} NOOP\nS: $TAG OK noop\n', c_optional_taken, True),
    Case('pipelining across STARTTLS fails', 'S: * OK hi\nC: {TAG} STARTTLS\nS: $TAG OK go\nTLS\n',
         c_pipelined_starttls, False, 'before the TLS handshake'),
    Case('BIG-LINE fails a client that reads it all', 'S+: * OK\\x20\nBIG-LINE 3000000\n',
         c_reads_everything, False, 'accepted all'),
    Case('C-LITERAL compares bytes', 'S: * OK hi\nC: {TAG} APPEND box {5}\nS: + go\n'
         'C-LITERAL: 5 hello\nC:\nS: $TAG OK\n', c_literal_mismatch, False, 'expected bytes'),
    Case('STALL ends when the client leaves', 'S: * OK hi\nC: {TAG} NOOP\nSTALL\n',
         c_stall_then_leave, True),
    Case('C-B64 takes the base64 of the payload, $PORT the server\'s port',
         'S: * OK hi\nC-B64: {TAG} AUTHENTICATE X |p=$PORT\\x01\nS: $TAG OK\n', c_sasl_port, True),
    Case('C-B64 fails on another payload', 'S: * OK hi\nC-B64: {TAG} AUTHENTICATE X |a\\x01b\n',
         c_sasl(b'a\x01c'), False, 'base64'),
    Case('TLS then EOF', 'TLS\nS: * OK tls\n', c_tls_then_eof, True),
    Case('never connecting fails', 'S: * OK hi\n', None, False, 'without connecting',
         stdin_eof=True),
    Case('ACCEPT: the actions after it run on the next connection',
         'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\nACCEPT\nS: * OK hi\nC: {TAG} NOOP\n'
         'S: $TAG OK done\n', c_reconnect(1), True, stdin_eof=True),
    Case('ACCEPT: a client that does not connect again fails',
         'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\nACCEPT\nS: * OK hi\n', c_reconnect(0),
         False, 'without connecting again', stdin_eof=True),
    Case('a connection more than the transcript has fails',
         'S: * OK hi\nC: {TAG} NOOP\nS: $TAG OK done\nACCEPT\nS: * OK hi\nC: {TAG} NOOP\n'
         'S: $TAG OK done\n', c_reconnect(1, True), False, 'once more than', stdin_eof=True),
    Case('never connecting is fine with NO-CONNECT-OK', 'NO-CONNECT-OK\nS: * OK hi\n', None, True,
         stdin_eof=True),
]

CERT = None


def run_case(fakeserver, tmp, case, i):
    path = os.path.join(tmp, 'case%d.t' % i)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(case.transcript)
    argv = [sys.executable, fakeserver, '--wait', '5', '--cert', CERT, '--key', KEY]
    if case.stdin_eof:
        argv.append('--stdin-eof')
    srv = subprocess.Popen(argv + [path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    port = int(srv.stdout.readline())
    err = None
    if case.client:
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        try:
            case.client(s)
        except (AssertionError, OSError) as e:
            err = 'client side: %r' % e
    srv.stdin.close()
    try:
        srv.wait(timeout=30)
    except subprocess.TimeoutExpired:
        srv.kill()
        srv.wait()
        return 'fake server did not finish'
    serr = srv.stderr.read().decode('utf-8', 'replace')
    srv.stdout.close()
    srv.stderr.close()
    if err and case.ok:
        return err
    if case.ok and srv.returncode != 0:
        return 'expected success, server said:\n' + serr
    if not case.ok:
        if srv.returncode != 1:
            return 'expected failure (exit 1), got exit %d:\n%s' % (srv.returncode, serr)
        if case.msg not in serr:
            return 'expected a failure mentioning %r, server said:\n%s' % (case.msg, serr)
    return None


def main():
    global CERT, KEY
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    fakeserver = sys.argv[1]
    bad = 0
    with tempfile.TemporaryDirectory(prefix='imap-selftest-') as tmp:
        CERT, KEY = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
                        '/CN=selftest', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', KEY, '-out', CERT],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i, case in enumerate(CASES):
            problem = run_case(fakeserver, tmp, case, i)
            print('%s %s%s' % ('FAIL' if problem else 'ok  ', case.name,
                               '\n  ' + problem.replace('\n', '\n  ') if problem else ''))
            bad += problem is not None
    print('%d of %d fake-server self-test cases failed' % (bad, len(CASES)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
