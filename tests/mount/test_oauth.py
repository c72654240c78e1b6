#!/usr/bin/env python3
"""-o oauth_command end to end (issue 7 point 4, SPEC §6): a real Dovecot
whose oauth2 passdb asks a token introspection endpoint served by this test
(OAUTHBEARER and XOAUTH2, RFC 7662 introspection), and imapfs mounting with
a command that prints a different token at each run.  Proves that the
mount logs in with the token, with no password anywhere; that a connection
opened later (an IDLE watcher, pool connections), after the token was
revoked, gets a fresh token by running the command again once, and that
the connections after it reuse that token; that when the server ends
every session at once as the token expires (doveadm kick: BYE and close),
the requests that meet the dead pooled connections still succeed, on new
connections that log in with a fresh token; that tokens never appear in
the -d trace; and that a mount whose tokens are all refused fails with
one line and exit 1.

    python3 test_oauth.py IMAPFS_BINARY [unittest arguments]
"""

import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot  # noqa: E402
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, Watchdog, clean_env  # noqa: E402

USER = "carol"


class Introspection:
    """An RFC 7662 token introspection endpoint: the tokens in valid are
    active (for USER), every other one is not."""

    def __init__(self):
        self.valid = set()
        self.asked = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                token = (form.get("token") or [""])[0]
                with outer.lock:
                    outer.asked.append(token)
                    ok = token in outer.valid
                body = json.dumps({"active": True, "username": USER} if ok else
                                  {"active": False}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set_valid(self, *tokens):
        with self.lock:
            self.valid = set(tokens)

    def stop(self):
        self.server.shutdown()


_intro = None


def setUpModule():
    global _intro
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-oauth-")
    os.chmod(tm._tmp, 0o755)
    _intro = Introspection()
    conf = os.path.join(tm._tmp, "oauth2.conf.ext")
    with open(conf, "w") as f:
        f.write(f"introspection_mode = post\n"
                f"introspection_url = http://127.0.0.1:{_intro.port}/introspect\n"
                f"force_introspection = yes\nusername_attribute = username\n"
                f"active_attribute = active\nactive_value = true\n")
    os.chmod(conf, 0o644)
    extra = ("auth_mechanisms = plain login oauthbearer xoauth2\n"
             "auth_failure_delay = 0\n"
             f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
             f"  args = {conf}\n}}\n")
    with Watchdog(120, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     extra_conf=extra)
        tm._server._own_root = True
        tm._server.start()
    m = tm._server.imap_client(USER)
    try:
        for i in range(3):
            m.create(f"Box{i}")
            m.append(f"Box{i}", None, None,
                     b"From: a@example.org\r\nSubject: box %d\r\n\r\nhello\r\n" % i)
    finally:
        m.logout()


def tearDownModule():
    tm._cleanup()
    if _intro:
        _intro.stop()


class OAuthTest(TimedTestCase):
    DEFAULT_LIMIT = 120

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="oauth-", dir=tm._tmp)
        self.runs = os.path.join(self.dir, "runs")
        # "tok-N" at the N-th run; never on a command line.
        self.cmd = os.path.join(self.dir, "token.sh")
        with open(self.cmd, "w") as f:
            f.write(f"n=$(cat {self.runs} 2>/dev/null || echo 0)\nn=$((n + 1))\n"
                    f"echo $n > {self.runs}\necho tok-$n\n")
        os.chmod(self.cmd, 0o755)

    def run_count(self):
        try:
            with open(self.runs) as f:
                return int(f.read())
        except OSError:
            return 0

    def logins(self, mark):
        return re.findall(r"Login: user=<carol>, method=(\w+)", tm._server.log_since(mark))

    def test_mount_and_renewal_on_later_connections(self):
        _intro.set_valid("tok-1")
        mark = tm._server.log_mark()
        mt = Mount(USER, ["-d", "-o", f"oauth_command={self.cmd}", "-o", "watch=2",
                          "-o", f"cache_dir={os.path.join(self.dir, 'cache')}"], password=False)
        self.addCleanup(lambda: mt.kill() if mt in tm._live_mounts else None)
        mt.start()
        self.assertEqual(sorted(os.listdir(mt.mnt)), ["Box0", "Box1", "Box2", "INBOX"])
        self.assertEqual(self.run_count(), 1)
        self.assertEqual(self.logins(mark), ["OAUTHBEARER"])

        # The token expires; the connections opened from now on (the IDLE
        # watchers that listing a mailbox starts, pool connections for
        # parallel reads) are refused it once, and one run of the command
        # serves them all.
        _intro.set_valid("tok-2")
        mark = tm._server.log_mark()
        for box in ("Box0", "Box1"):
            names = os.listdir(mt.path(box))
            self.assertEqual(len(names), 1)
        def read_all(box):
            for n in os.listdir(mt.path(box)):
                with open(mt.path(box, n), "rb") as f:
                    f.read()

        threads = [threading.Thread(target=read_all, args=(b,)) for b in ("Box0", "Box1", "Box2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        deadline = time.monotonic() + 20
        while len(self.logins(mark)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(self.logins(mark)), 2, tm._server.log_since(mark))
        self.assertEqual(self.run_count(), 2)
        with open(mt.path("Box2", os.listdir(mt.path("Box2"))[0]), "rb") as f:
            self.assertIn(b"box 2", f.read())

        self.assertEqual(mt.stop(), [])
        err = mt.stderr()
        self.assertRegex(err, r"AUTHENTICATE OAUTHBEARER <redacted>")
        for tok in ("tok-1", "tok-2"):
            self.assertNotIn(tok, err)
        self.assertEqual(self.run_count(), 2)

    def kick(self):
        """Ends every session of USER as a server does when their token
        expires (Office 365: "* BYE ... AccessTokenExpired"): doveadm kick
        makes Dovecot's imap processes say BYE and close."""
        r = subprocess.run(["doveadm", "-c", tm._server.conf, "kick", USER],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.monotonic() + 10
        while tm._server._imap_processes(USER) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(tm._server._imap_processes(USER), [])

    def test_sessions_ended_at_token_expiry_cost_no_request(self):
        # Messages never read before the sessions end, in mailboxes never
        # listed: whatever is asked after it needs the server.
        m = tm._server.imap_client(USER)
        try:
            for i in range(4):
                m.create(f"Late{i}")
                m.append(f"Late{i}", None, None,
                         b"From: a@example.org\r\nSubject: late %d\r\n\r\nlate\r\n" % i)
        finally:
            m.logout()
        _intro.set_valid("tok-1")
        mt = Mount(USER, ["-d", "-o", f"oauth_command={self.cmd}", "-o", "watch=0",
                          "-o", "connections=4",
                          "-o", f"cache_dir={os.path.join(self.dir, 'cache')}"], password=False)
        self.addCleanup(lambda: mt.kill() if mt in tm._live_mounts else None)
        mark = tm._server.log_mark()
        mt.start()
        # Several pooled connections (watch=0: every login is the pool's),
        # all idle well under the minute after which the pool checks one
        # with NOOP before handing it out.  The mount's one session is
        # stopped (SIGSTOP) while the requests start, so that the pool must
        # open more for them whatever the timing: one request waits on the
        # stopped session, the others cannot have it.
        def read_box(box):
            for n in os.listdir(mt.path(box)):
                with open(mt.path(box, n), "rb") as f:
                    f.read()

        deadline = time.monotonic() + 10  # earlier tests' sessions may still be ending
        while len(tm._server._imap_processes(USER)) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = tm._server._imap_processes(USER)
        self.assertEqual(len(first), 1, first)
        threads = [threading.Thread(target=read_box, args=(f"Box{i}",)) for i in range(3)]
        threads += [threading.Thread(target=os.listdir, args=(mt.path("INBOX"),))]
        os.kill(first[0], signal.SIGSTOP)
        try:
            for t in threads:
                t.start()
            deadline = time.monotonic() + 20
            while len(self.logins(mark)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            os.kill(first[0], signal.SIGCONT)
        for t in threads:
            t.join(60)
        self.assertGreaterEqual(len(self.logins(mark)), 2, "the pool opened no other connection")
        self.assertEqual(self.run_count(), 1)

        # The token expires: the server refuses it from now on and ends
        # every session at once.
        _intro.set_valid("tok-2")
        self.kick()
        mark = tm._server.log_mark()
        errors = []

        def use_box(box):
            try:
                names = os.listdir(mt.path(box))
                if len(names) != 1:
                    errors.append(f"{box}: {names}")
                with open(mt.path(box, names[0]), "rb") as f:
                    if b"late" not in f.read():
                        errors.append(f"{box}: wrong bytes")
            except OSError as e:
                errors.append(f"{box}: {e}")

        use_box("Late0")  # alone first: one request, every idle connection dead
        threads = [threading.Thread(target=use_box, args=(f"Late{i}",)) for i in range(1, 4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [], mt.stderr()[-3000:])
        self.assertEqual(self.run_count(), 2)
        self.assertGreaterEqual(len(self.logins(mark)), 1)
        self.assertEqual(mt.stop(), [])
        for tok in ("tok-1", "tok-2"):
            self.assertNotIn(tok, mt.stderr())

    def test_all_tokens_refused_fails_the_mount(self):
        _intro.set_valid()
        mnt = os.path.join(self.dir, "mnt")
        os.makedirs(mnt)
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        r = subprocess.run([tm.IMAPFS, "-o", f"oauth_command={self.cmd}", "-o",
                            f"cafile={tm._server.cafile}", tm._server.url(USER), mnt],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                           env=clean_env(home, None))
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 1, err)
        self.assertRegex(err, r"^imapfs: authentication failed for carol at 127\.0\.0\.2: "
                              r"token refused \(invalid_token\): .*refused too\)\n$")
        self.assertEqual(self.run_count(), 2)
        self.assertFalse(os.path.ismount(mnt))

    def test_oauth_and_password_command_is_a_usage_error(self):
        r = subprocess.run([tm.IMAPFS, "-o", f"oauth_command={self.cmd}",
                            "-o", "password_command=echo pw", tm._server.url(USER), self.dir],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                           env=clean_env(self.dir, None))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"exclude each other", r.stderr)
        self.assertEqual(self.run_count(), 0)


if __name__ == "__main__":
    tm.main()
