#!/usr/bin/env python3
"""Logging and secrets (SPEC §1 and §6; issue 7 points 5 and 6), for real,
against a throwaway Dovecot.

    SecretTest   a mount with -d (the protocol trace): mount, list, read,
                 unmount; the whole of stderr must not hold the password,
                 nor its base64 (AUTHENTICATE PLAIN's "\\0user\\0pass" as
                 sent, and the password's base64 at every alignment).  While
                 password_command runs (a script that sleeps), the command
                 lines of imapfs and of that child are read from /proc; once
                 mounted, imapfs's /proc/PID/environ too (IMAPFS_PASSWORD is
                 wiped after use).  And imapfs's whole memory, scanned
                 through /proc/PID/mem after several logins: one copy of
                 the password (the pool's) and nothing of SASL PLAIN's --
                 a probe that finds unwiped copies as long as free() and
                 later allocations have not overwritten them.
    DebugTest    -o debug=cache gives cache lines and no protocol trace; an
                 unknown category is a usage error naming the valid ones.
    SyslogTest   in the background the daemon logs to syslog: run in a
                 private mount namespace (unshare -m) whose /dev is a tmpfs
                 holding the device nodes imapfs needs and, as /dev/log, a
                 datagram socket this test listens on; checks facility,
                 priority, ident and PID of what arrives.  Needs root and
                 unshare; skipped, saying why, without them.

    python3 test_logs.py IMAPFS_BINARY [unittest arguments]
"""

import base64
import datetime
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import TimedTestCase  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

USER = "trace"
# Printable, so that a leak would show as is; +, / and = as in base64.  Long:
# a freed buffer keeps all but its first 16 bytes (malloc's free-list
# pointers), so the tail of a copy that was not wiped stays findable.
PASSWORD = "S3cret+Trace/pw=17x-and-some-more-text-to-outlive-free"
_dt = datetime.datetime(2023, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
_names = {}

TRACE_LINE = re.compile(r"^imapfs: \[\d+\] [CS]: ")


def _message(i):
    return (f"From: Bob <bob@example.org>\r\nTo: Trace <trace@example.org>\r\n"
            f"Subject: Log test {i}\r\nDate: Sat, 06 May 2023 07:08:09 +0000\r\n"
            f"Message-ID: <log-{i}@example.org>\r\n\r\nBody {i}.\r\n").encode()


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-logs-")
    os.chmod(tm._tmp, 0o755)
    tm.USERS[USER] = PASSWORD
    with tm.Watchdog(300, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS)
        tm._server._own_root = True
        tm._server.start()
        m = tm._server.imap_client(USER)
        try:
            seed.multiappend(m, "INBOX", [("", _dt, _message(i)) for i in range(3)])
            _names["INBOX"] = sorted(oracle.expected_name(x) for x in oracle.messages(m, "INBOX"))
        finally:
            m.logout()


def tearDownModule():
    tm._cleanup()


def secret_forms(user, password):
    """Byte strings that must never appear: the password, the SASL PLAIN
    response as sent, and the part of base64(password) that does not
    depend on its neighbours, for each of the three alignments it can have
    inside a longer base64 text."""
    pw = password.encode()
    forms = {pw, base64.b64encode(b"\0" + user.encode() + b"\0" + pw)}
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + pw)
        skip = (8 * k + 5) // 6  # characters that hold bits of the k bytes before
        forms.add(enc[skip:len(enc) - 3])  # the last ones may hold bits of what follows
    return forms


def proc_read(pid, what):
    try:
        with open(f"/proc/{pid}/{what}", "rb") as f:
            return f.read()
    except OSError:
        return None


def proc_ppid(pid):
    st = proc_read(pid, "stat")
    return int(st.rsplit(b")", 1)[1].split()[1]) if st else None


def memory_counts(pid, forms):
    """How often each of forms occurs in the readable memory of pid
    (/proc/PID/mem: needs root or being its parent)."""
    counts = dict.fromkeys(forms, 0)
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or fields[-1] in ("[vvar]", "[vsyscall]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, OverflowError):
                continue
            for form in forms:
                counts[form] += data.count(form)
    return counts


class ChildWatcher:
    """Polls /proc while password_command runs: the command line of each
    process other than imapfs whose command line names `marker` (the
    script: sh -c SCRIPT, then the script's own shell), with its ancestors'
    PIDs."""

    def __init__(self, marker):
        self.marker = os.fsencode(marker)
        self.seen = {}  # pid -> (cmdline, [parent, grandparent, ...])
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for d in os.listdir("/proc"):
                if not d.isdigit() or int(d) in self.seen:
                    continue
                cmd = proc_read(d, "cmdline")
                if cmd and self.marker in cmd and os.path.basename(cmd.split(b"\0")[0]) != b"imapfs":
                    chain, p = [], proc_ppid(d)
                    while p and p > 1 and len(chain) < 10:
                        chain.append(p)
                        p = proc_ppid(p)
                    self.seen[int(d)] = (cmd, chain)
            time.sleep(0.01)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(5)


class SecretTest(TimedTestCase):
    """Passwords never in traces, logs, argv or the environment."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="secret-", dir=tm._tmp)
        self.forms = secret_forms(USER, PASSWORD)

    def use_the_mount(self, m):
        self.assertIn("INBOX", os.listdir(m.mnt))
        names = sorted(os.listdir(m.path("INBOX")))
        self.assertEqual(names, _names["INBOX"])
        with open(m.path("INBOX", names[0]), "rb") as f:
            self.assertIn(b"Body ", f.read())

    def assertNoSecret(self, data, what):
        for form in self.forms:
            self.assertNotIn(form, data, f"{what} holds {form!r}")

    def assert_traced_and_clean(self, m):
        with open(m.err_path, "rb") as f:
            err = f.read()
        self.assertNoSecret(err, "stderr of imapfs -d")
        # The trace is there, including the login: the check is not vacuous.
        self.assertRegex(err, rb"\] C: a\d+ AUTHENTICATE PLAIN <redacted>\n")
        self.assertRegex(err, rb"\] C: a\d+ UID FETCH ")
        self.assertRegex(err, rb"\] S: \* OK ")

    def test_password_command_trace_argv(self):
        """-d with password_command: neither the trace nor the command
        lines of imapfs or of its password_command child hold it."""
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        script = os.path.join(self.dir, "password-command.sh")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\nsleep 1\nexec cat {shlex.quote(pwfile)}\n")
        os.chmod(script, 0o755)
        m = tm.Mount(USER, opts=["-d", "-o", f"password_command={script}"], password=False)
        try:
            with ChildWatcher(script) as w:
                m.start()
            self.assertTrue(w.seen, "password_command was never seen running")
            for pid, (cmd, chain) in w.seen.items():
                self.assertIn(m.proc.pid, chain, f"{cmd!r} is not run by imapfs")
                self.assertNoSecret(cmd, f"/proc/{pid}/cmdline (password_command)")
            self.assertNoSecret(proc_read(m.proc.pid, "cmdline"), "/proc/PID/cmdline of imapfs")
            self.use_the_mount(m)
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        self.assert_traced_and_clean(m)

    def test_one_copy_in_memory(self):
        """After mounting, listing and reading (several connections logged
        in), imapfs's memory holds the password once -- the pool's copy,
        kept to log in again -- and nothing of a SASL PLAIN response: every
        other copy was wiped before it was freed.  What is searched is the
        last 16 bytes of each form, which survive free()."""
        m = tm.Mount(USER, opts=["-o", "connections=2"], password=PASSWORD)
        try:
            m.start()
            self.use_the_mount(m)
            for n in sorted(os.listdir(m.path("INBOX"))):
                with open(m.path("INBOX", n), "rb") as f:
                    f.read()
            counts = memory_counts(m.proc.pid, {f[-16:] for f in self.forms})
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        pw = PASSWORD.encode()[-16:]
        self.assertEqual(counts.pop(pw), 1, "copies of the password in imapfs's memory")
        self.assertEqual(set(counts.values()), {0}, {k: v for k, v in counts.items() if v})

    def test_environment_password_is_wiped(self):
        """-d with IMAPFS_PASSWORD: once mounted, imapfs's environment no
        longer holds it (and the trace never did)."""
        m = tm.Mount(USER, opts=["-d"], password=PASSWORD)
        try:
            m.start()
            env = proc_read(m.proc.pid, "environ")
            self.assertIsNotNone(env)
            self.assertIn(b"HOME=", env)  # what we read is the environment
            self.assertNoSecret(env, "/proc/PID/environ of imapfs")
            self.assertNoSecret(proc_read(m.proc.pid, "cmdline"), "/proc/PID/cmdline of imapfs")
            self.use_the_mount(m)
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        self.assert_traced_and_clean(m)


class DebugTest(TimedTestCase):
    """-o debug=CATEGORIES."""

    def test_cache_category_only(self):
        m = tm.Mount(USER, opts=["-o", "debug=cache"])
        try:
            m.start()
            names = sorted(os.listdir(m.path("INBOX")))
            for n in names:
                with open(m.path("INBOX", n), "rb") as f:
                    f.read()
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        lines = m.stderr().splitlines()
        self.assertTrue([l for l in lines if l.startswith("imapfs: cache: put ")],
                        f"no cache lines:\n{m.stderr()}")
        self.assertEqual([l for l in lines if TRACE_LINE.match(l)], [], "protocol trace lines")
        self.assertEqual([l for l in lines if l.startswith("imapfs: fs: ")], [], "fs lines")
        self.assertNotIn("connected to", m.stderr())  # net

    def test_net_and_fs_list(self):
        """-o debug=net,fs: the list survives FUSE's splitting at commas."""
        m = tm.Mount(USER, opts=["-o", "debug=net,fs"])
        try:
            m.start()
            os.listdir(m.path("INBOX"))
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        lines = m.stderr().splitlines()
        self.assertTrue([l for l in lines if TRACE_LINE.match(l)], "no trace lines")
        self.assertTrue([l for l in lines if l.startswith("imapfs: fs: ")], "no fs lines")
        self.assertEqual([l for l in lines if l.startswith("imapfs: cache: ")], [], "cache lines")

    def test_unknown_category_is_a_usage_error(self):
        home = tempfile.mkdtemp(prefix="dbg-", dir=tm._tmp)
        mnt = os.path.join(home, "mnt")
        os.makedirs(mnt)
        rc, err = tm.run_imapfs(["-o", "debug=imap", tm._server.url(USER), mnt], home, PASSWORD)
        self.assertEqual(rc, 2, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("debug must be a comma-separated list of net, cache, fs, all, not 'imap'", err)
        self.assertFalse(tm.is_mounted(mnt))


# --- syslog ------------------------------------------------------------------

# The device nodes imapfs and its helpers open, bound into the tmpfs /dev.
DEV_NODES = ["null", "zero", "full", "random", "urandom", "fuse"]


def _probe_namespace():
    if os.geteuid() != 0:
        return "needs root (a private mount namespace with its own /dev/log)"
    for prog in ("unshare", "mount", "umount"):
        if not shutil.which(prog):
            return f"{prog} is missing"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        "mount -t tmpfs imapfs-test-dev /dev && test -d /dev"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return f"cannot mount a tmpfs on /dev in a private mount namespace: {r.stderr.strip()}"
    return None


class SyslogTest(TimedTestCase):
    """Background mode: syslog, LOG_DAEMON, ident imapfs[PID]."""

    @classmethod
    def setUpClass(cls):
        why = _probe_namespace()
        if why:
            raise unittest.SkipTest(why)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="syslog-", dir=tm._tmp)
        os.chmod(self.dir, 0o755)
        self.mnt = os.path.join(self.dir, "mnt")
        self.out = os.path.join(self.dir, "out")
        self.home = os.path.join(self.dir, "home")
        for d in (self.mnt, self.out, self.home, os.path.join(self.dir, "olddev")):
            os.makedirs(d)
        self.sock_path = os.path.join(self.dir, "log.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        self.addCleanup(self.sock.close)
        self.proc = None
        self.addCleanup(self._kill)

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        # The daemon lives in the namespace: only its PID reaches it.
        for pid in tm.imapfs_pids(self.mnt):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def collect(self, until, timeout):
        """Datagrams until one matches `until` (a regex) or timeout."""
        msgs = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msgs.append(self.sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                break
            if re.search(until, msgs[-1]):
                break
        return msgs

    def test_background_daemon_logs_to_syslog(self):
        q = shlex.quote
        d, mnt, out = q(self.dir), q(self.mnt), q(self.out)
        argv = " ".join(q(a) for a in [tm.IMAPFS, "-o", f"cafile={tm._server.cafile}", "-o", "debug=cache",
                                       tm._server.url(USER), self.mnt])
        script = "\n".join([
            "set -e",
            # /dev as a tmpfs holding the nodes we need and our /dev/log.
            f"mount --bind /dev {d}/olddev",
            "mount -t tmpfs -o mode=0755 imapfs-test-dev /dev",
            *[f"touch /dev/{n} && mount --bind {d}/olddev/{n} /dev/{n}" for n in DEV_NODES],
            "ln -s /proc/self/fd /dev/fd",
            f"touch /dev/log && mount --bind {q(self.sock_path)} /dev/log",
            f"umount -l {d}/olddev",
            f"{argv} 2> {out}/stderr",
            f"ls -1 {mnt}/INBOX > {out}/inbox",
            f"cat {mnt}/INBOX/* > /dev/null",
            f"touch {out}/mounted",
            f"while [ ! -e {out}/go ]; do sleep 0.05; done",
            f"umount {mnt}",
            # The daemon exits after the unmount; wait for its last line.
            f"while [ ! -e {out}/done ]; do sleep 0.05; done",
        ])
        env = tm.clean_env(self.home, PASSWORD)
        with open(os.path.join(self.dir, "log"), "wb") as log:
            self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        msgs = self.collect(r"imapfs\[\d+\]: mounted ", 60)
        deadline = time.monotonic() + 60
        while not os.path.exists(os.path.join(self.out, "mounted")):
            self.assertIsNone(self.proc.poll(), f"scenario failed: {self.log()!r}; syslog: {msgs}")
            self.assertLess(time.monotonic(), deadline, f"not mounted: {self.log()!r}")
            time.sleep(0.05)
        msgs += self.collect(r"no more", 1)  # the cache lines of the reads
        open(os.path.join(self.out, "go"), "w").close()
        msgs += self.collect(r"imapfs\[\d+\]: unmounting ", 30)
        open(os.path.join(self.out, "done"), "w").close()
        self.assertEqual(self.proc.wait(30), 0, self.log())
        with open(os.path.join(self.out, "inbox")) as f:
            self.assertEqual(sorted(f.read().split("\n")[:-1]), _names["INBOX"])
        tm._log(f"syslog: {len(msgs)} messages, e.g. {msgs[:2]}")

        # <PRI>TIMESTAMP imapfs[PID]: MESSAGE, PRI = facility daemon (3) * 8 + level.
        parsed = []
        for msg in msgs:
            mt = re.match(r"<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d imapfs\[(\d+)\]: (.*)$", msg, re.S)
            self.assertIsNotNone(mt, f"not a syslog message of imapfs: {msg!r}")
            parsed.append((int(mt.group(1)), int(mt.group(2)), mt.group(3)))
        pids = {p for _, p, _ in parsed}
        self.assertEqual(len(pids), 1, f"messages from several processes: {pids}")
        info = [m for pri, _, m in parsed if pri == 3 * 8 + 6]
        debug = [m for pri, _, m in parsed if pri == 3 * 8 + 7]
        self.assertTrue(any(m.startswith(f"mounted {tm._server.url(USER)} at {self.mnt}") for m in info), info)
        self.assertTrue(any(m.startswith(f"unmounting {self.mnt}") for m in info), info)
        self.assertTrue(any(m.startswith("cache: put ") for m in debug), debug)
        # What the daemon said went to syslog, not to the command's stderr.
        with open(os.path.join(self.out, "stderr")) as f:
            err = f.read()
        self.assertNotIn("mounted", err)
        self.assertNotIn("cache: put", err)

    def log(self):
        with open(os.path.join(self.dir, "log"), "rb") as f:
            return f.read().decode("utf-8", "replace")


if __name__ == "__main__":
    tm.main()
