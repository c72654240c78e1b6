#!/usr/bin/env python3
"""run_transcript.py - runs one imap transcript test.

Usage: run_transcript.py IMAP_PROBE FAKESERVER TRANSCRIPT.t

Makes a throw-away certificate (openssl req -x509) in a temp dir, starts
FAKESERVER on the transcript, runs IMAP_PROBE against it and checks both
sides: the server must report the transcript honoured, and the probe's exit
status, output and timing must be as the transcript's headers say.  Exits 0
when everything holds, 1 otherwise, printing what differed and both logs.

Headers (lines "# key: value" anywhere in the transcript; other "#" lines
are comments and must not look like "# word: ..."):

  # proves: TEXT           the behaviour this transcript proves (required)
  # probe: ARGS...         imap-probe arguments: --tls or --starttls, then
                           commands (list, examine NAME, examine-cached NAME,
                           meta, body UID OFF LEN, caps).  Split like a shell does; then each argument
                           has \\r \\n \\t \\\\ \\xHH escapes decoded (use single
                           quotes to keep backslashes from the splitter).
                           The runner adds -d --host --port --cafile
                           --timeout-ms --user.  (required)
  # expect-exit: N         the probe's exit status (required)
  # expect-out: REGEX      some stdout line must match (re.search); may repeat
  # expect-not-out: REGEX  no stdout line may match; may repeat
  # expect-count: N REGEX  exactly N stdout lines match; may repeat
  # expect-not-err: REGEX  no stderr line may match; may repeat
  # expect-err: REGEX      some stderr line must match (re.search); may repeat
  # expect-body-sha256: H  the runner adds --out FILE; the bytes the last
                           body command wrote there must have SHA-256 H
  # max-elapsed-ms: N      the probe's own ELAPSED_MS must not exceed N
  # max-rss-kb: N          the probe's peak resident set must not exceed N KiB
  # timeout-ms: N          --timeout-ms for the probe (default 5000)
  # user: TEXT             user name (escapes as for probe; default "user")
  # password: TEXT         password via IMAPFS_PASSWORD (escapes as for probe;
                           default "s3cr3t-PW")
  # cafile: none           do not pass --cafile (the system store must then
                           reject the test certificate)
  # cert-names: SAN        subjectAltName of the test certificate (default
                           IP:127.0.0.1,DNS:localhost)
  # oauth-tokens: T1 T2..  log in with OAuth: the runner passes the probe
                           --oauth-command with a script that prints T1 at
                           its first run, T2 at its second, ... and fails
                           once they are used up (no password is given)
  # expect-oauth-runs: N   that script ran exactly N times

Always checked as well: the probe was not killed by a signal, printed
ELAPSED_MS, finished within 40 s, and its -d protocol trace on stderr does
not contain the password (raw, quoted, or inside the SASL PLAIN base64),
nor any of the oauth-tokens (raw, or inside any base64 word of the trace).
With IMAP_TRANSCRIPT_VERBOSE=1 in the environment, both logs are printed
even when the test passes.
"""

import base64
import hashlib
import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import time

PROBE_LIMIT_S = 40.0
SERVER_LIMIT_S = 15.0  # after the probe exited; both stay under meson's 60 s

KEYS = {'proves', 'probe', 'expect-exit', 'expect-out', 'expect-not-out', 'expect-count',
        'expect-not-err', 'expect-err',
        'expect-body-sha256', 'max-elapsed-ms', 'max-rss-kb', 'timeout-ms', 'user', 'password', 'cafile',
        'cert-names', 'oauth-tokens', 'expect-oauth-runs'}
MULTI = {'expect-out', 'expect-not-out', 'expect-count', 'expect-not-err', 'expect-err'}


def unescape(s):
    """Decodes \\r \\n \\t \\\\ \\xHH into bytes; other text is UTF-8."""
    out = bytearray()
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n in 'rnt\\':
                out += {'r': b'\r', 'n': b'\n', 't': b'\t', '\\': b'\\'}[n]
                i += 2
                continue
            if n == 'x':
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            raise ValueError('unknown escape \\%s in %r' % (n, s))
        out += ch.encode('utf-8')
        i += 1
    return bytes(out)


def parse_headers(path):
    hdr = {k: [] for k in MULTI}
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'^# ([A-Za-z][A-Za-z0-9-]*): ?(.*?)\r?\n?$', line)
            if not m:
                continue
            key, val = m.group(1), m.group(2)
            if key not in KEYS:
                raise ValueError('line %d: unknown header %r' % (n, key))
            if key in MULTI:
                hdr[key].append(val)
            elif key in hdr:
                raise ValueError('line %d: header %r given twice' % (n, key))
            else:
                hdr[key] = val
    for key in ('proves', 'probe', 'expect-exit'):
        if key not in hdr:
            raise ValueError('missing header "# %s:"' % key)
    return hdr


def make_cert(tmp, names):
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
                    '/CN=imapfs transcript test', '-addext', 'subjectAltName=' + names,
                    '-keyout', key, '-out', cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key


def secret_forms(user, pw):
    """How a password could show up in a trace (log_trace escapes '\\')."""
    def trace(b):
        return b.replace(b'\\', b'\\\\')
    quoted = pw.replace(b'\\', b'\\\\').replace(b'"', b'\\"')
    forms = {pw, trace(pw), quoted, trace(quoted)}
    forms.add(base64.b64encode(b'\0' + user + b'\0' + pw))
    forms.add(base64.b64encode(user + b'\0' + user + b'\0' + pw))
    return [f for f in forms if len(f) >= 6]


def token_leaks(err, tokens):
    """The first token found in the trace: raw, or in the decoding of a
    base64 word (a SASL message that was not redacted)."""
    for tok in tokens:
        if tok in err:
            return tok
    for word in re.findall(rb'[A-Za-z0-9+/]{8,}={0,2}', err):
        try:
            data = base64.b64decode(word + b'=' * (-len(word) % 4))
        except ValueError:
            continue
        for tok in tokens:
            if tok in data:
                return tok
    return None


def oauth_script(tmp, tokens):
    """A script printing the next token at each run, its run counter."""
    counter = os.path.join(tmp, 'oauth.runs')
    script = os.path.join(tmp, 'oauth.sh')
    cases = ''.join('  %d) echo %s ;;\n' % (i + 1, t.decode()) for i, t in enumerate(tokens))
    with open(script, 'w') as f:
        f.write('n=$(cat %s 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > %s\n'
                'case $n in\n%s  *) echo "no more tokens" >&2; exit 1 ;;\nesac\n'
                % (shlex.quote(counter), shlex.quote(counter), cases))
    return script, counter


def tail(b, n=6000):
    s = b.decode('utf-8', 'backslashreplace')
    return s if len(s) <= n else '...\n' + s[-n:]


def run(probe, fakeserver, transcript):
    hdr = parse_headers(transcript)
    name = os.path.splitext(os.path.basename(transcript))[0]
    user = unescape(hdr.get('user', 'user'))
    pw = unescape(hdr.get('password', 's3cr3t-PW'))
    timeout_ms = int(hdr.get('timeout-ms', '5000'))
    probe_args = [unescape(a) for a in shlex.split(hdr['probe'])]
    problems = []

    with tempfile.TemporaryDirectory(prefix='imap-transcript-') as tmp:
        cert, key = make_cert(tmp, hdr.get('cert-names', 'IP:127.0.0.1,DNS:localhost'))
        serr_path = os.path.join(tmp, 'server.err')
        with open(serr_path, 'wb') as serr:
            server = subprocess.Popen([sys.executable, fakeserver, '--stdin-eof', '--cert', cert,
                                       '--key', key, transcript],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=serr)
        ready, _, _ = select.select([server.stdout], [], [], 10)
        port_line = server.stdout.readline().strip() if ready else b''
        if not port_line.isdigit():
            server.kill()
            server.wait()
            with open(serr_path, 'rb') as f:
                print('FAIL %s: the fake server did not start\n%s' % (name, tail(f.read())))
            return 1

        argv = [probe.encode(), b'-d', b'--host', b'127.0.0.1', b'--port', port_line]
        if hdr.get('cafile', '') != 'none':
            argv += [b'--cafile', cert.encode()]
        argv += [b'--timeout-ms', str(timeout_ms).encode(), b'--user', user]
        tokens = [t.encode() for t in hdr.get('oauth-tokens', '').split()]
        counter = None
        if tokens:
            script, counter = oauth_script(tmp, tokens)
            argv += [b'--oauth-command', b'sh ' + script.encode()]
        body_path = os.path.join(tmp, 'body.out')
        if 'expect-body-sha256' in hdr:
            argv += [b'--out', body_path.encode()]
        argv += probe_args
        env = dict(os.environb)
        env[b'IMAPFS_PASSWORD'] = pw
        pout_path, perr_path = os.path.join(tmp, 'probe.out'), os.path.join(tmp, 'probe.err')
        t0 = time.monotonic()
        with open(pout_path, 'wb') as pout, open(perr_path, 'wb') as perr:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=pout, stderr=perr,
                                    env=env)
        rss_kb = 0
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > PROBE_LIMIT_S:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                problems.append('the probe hung: killed after %g s' % PROBE_LIMIT_S)
                break
            time.sleep(0.01)
        wall_ms = int((time.monotonic() - t0) * 1000)
        rss_kb = ru.ru_maxrss
        proc.returncode = os.waitstatus_to_exitcode(status)

        server.stdin.close()
        try:
            server.wait(SERVER_LIMIT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            problems.append('the fake server did not finish within %g s' % SERVER_LIMIT_S)
        server.stdout.close()
        with open(pout_path, 'rb') as f:
            out = f.read()
        with open(perr_path, 'rb') as f:
            err = f.read()
        with open(serr_path, 'rb') as f:
            serr_text = f.read()
        oauth_runs = None
        if counter is not None:
            try:
                with open(counter) as f:
                    oauth_runs = int(f.read().strip() or 0)
            except OSError:
                oauth_runs = 0
        body_sha = None
        if os.path.exists(body_path):
            with open(body_path, 'rb') as f:
                body_sha = hashlib.sha256(f.read()).hexdigest()

    rc = proc.returncode
    if rc < 0:
        problems.append('the probe was killed by signal %d' % -rc)
    elif rc != int(hdr['expect-exit']):
        problems.append('probe exit status %d, expected %s' % (rc, hdr['expect-exit']))
    if server.returncode != 0:
        text = serr_text.decode('utf-8', 'replace')
        i = text.rfind('FAIL')
        problems.append('fake server: %s' % (text[i:].strip() if i >= 0 else
                                              'exit status %d' % server.returncode))

    lines = out.decode('utf-8', 'surrogateescape').split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    for rx in hdr['expect-out']:
        if not any(re.search(rx, ln) for ln in lines):
            problems.append('no output line matches %r' % rx)
    for rx in hdr['expect-not-out']:
        bad = [ln for ln in lines if re.search(rx, ln)]
        if bad:
            problems.append('output line %r matches forbidden %r' % (bad[0], rx))
    for spec in hdr['expect-count']:
        cnt, rx = spec.split(' ', 1)
        got = sum(1 for ln in lines if re.search(rx, ln))
        if got != int(cnt):
            problems.append('%d output lines match %r, expected %s' % (got, rx, cnt))

    for rx in hdr['expect-not-err']:
        bad = [ln for ln in err.decode('utf-8', 'surrogateescape').split('\n') if re.search(rx, ln)]
        if bad:
            problems.append('stderr line %r matches forbidden %r' % (bad[0], rx))
    err_lines = err.decode('utf-8', 'surrogateescape').split('\n')
    for rx in hdr['expect-err']:
        if not any(re.search(rx, ln) for ln in err_lines):
            problems.append('no stderr line matches %r' % rx)
    if 'expect-body-sha256' in hdr and body_sha != hdr['expect-body-sha256'].lower():
        problems.append('the body written by --out has SHA-256 %s, expected %s' %
                        (body_sha, hdr['expect-body-sha256']))
    m = re.search(rb'^ELAPSED_MS (\d+)$', err, re.M)
    elapsed = int(m.group(1)) if m else None
    if elapsed is None:
        problems.append('the probe did not print ELAPSED_MS (crashed?)')
    elif 'max-elapsed-ms' in hdr and elapsed > int(hdr['max-elapsed-ms']):
        problems.append('the probe took %d ms, more than max-elapsed-ms %s' %
                        (elapsed, hdr['max-elapsed-ms']))
    if 'max-rss-kb' in hdr and rss_kb > int(hdr['max-rss-kb']):
        problems.append('the probe peaked at %d KiB resident, more than max-rss-kb %s' %
                        (rss_kb, hdr['max-rss-kb']))
    for form in secret_forms(user, pw):
        if form in err:
            problems.append('the password appears in the -d trace on stderr (%r)' % form)
            break

    leaked = token_leaks(err, tokens)
    if leaked:
        problems.append('the token %r appears in the -d trace on stderr' % leaked)
    if 'expect-oauth-runs' in hdr and oauth_runs != int(hdr['expect-oauth-runs']):
        problems.append('oauth_command ran %s times, expected %s' %
                        (oauth_runs, hdr['expect-oauth-runs']))

    summary = '%s: %s (probe exit %s, %s ms, wall %d ms, rss %d KiB)' % (
        name, hdr['proves'], rc, elapsed, wall_ms, rss_kb)
    if not problems and not os.environ.get('IMAP_TRANSCRIPT_VERBOSE'):
        print('PASS ' + summary)
        return 0
    print(('FAIL ' if problems else 'PASS ') + summary)
    for p in problems:
        print('  - ' + p)
    print('--- probe argv: %s' % ' '.join(shlex.quote(a.decode('utf-8', 'backslashreplace'))
                                         for a in argv[1:]))
    print('--- probe stdout:\n' + tail(out))
    print('--- probe stderr:\n' + tail(err))
    print('--- fake server log:\n' + tail(serr_text))
    return 1 if problems else 0


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return run(*sys.argv[1:])
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        print('FAIL %s: %s' % (sys.argv[3], e))
        return 1


if __name__ == '__main__':
    sys.exit(main())
