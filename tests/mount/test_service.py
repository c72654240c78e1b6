#!/usr/bin/env python3
"""imapfs as a service (SPEC §6; issue 7 point 2), against a throwaway
Dovecot.

    NotifyTest   the sd_notify(3) protocol, with this test as the service
                 manager: imapfs -f with NOTIFY_SOCKET naming a datagram
                 socket the test listens on (a path, and an abstract
                 "@name").  READY=1 arrives only when the mount has answered
                 (the daemon's fs log already shows FUSE INIT and a GETATTR
                 of the root served, and a listing works at once); STOPPING=1
                 at SIGTERM or unmount, after which imapfs exits 0 with
                 nothing mounted; no READY=1 when the login fails (exit 1);
                 password_command does not inherit NOTIFY_SOCKET, and
                 STATUS= says it runs.
    StopTest     SIGTERM during a read, and an unmount with staged messages,
                 while the server hangs: the daemon exits within 2 s of
                 grace (plus one timeout for the appends), not a timeout per
                 wait; the next mount appends what was left, once each.
    RestartTest  a daemon killed with SIGKILL leaves a dead mount (ENOTCONN);
                 starting imapfs again on it detaches it and mounts (what
                 Restart=on-failure relies on).
    InstallTest  `meson install --destdir D` of the build puts the binary,
                 the man page and systemd/imapfs@.service (ExecStart= the
                 installed binary) where they belong, and systemd-analyze
                 --user verify accepts the unit as installed: in a private
                 mount namespace D's prefix is bound over the real one, so
                 that ExecStart= and Documentation=man:imapfs(1) resolve.
                 Skipped, saying why, without systemd-analyze (package
                 systemd), root or unshare.

    python3 test_service.py IMAPFS_BINARY BUILD_DIR [unittest arguments]
"""

import datetime
import errno
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import TimedTestCase, limit  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

BUILD_DIR = None
USER = "alice"
_dt = datetime.datetime(2023, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
_expected = {}


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-service-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(300, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS)
        tm._server._own_root = True
        tm._server.start()
        m = tm._server.imap_client(USER)
        try:
            raw = (b"From: Bob <bob@example.org>\r\nSubject: Service test\r\n"
                   b"Date: Sat, 06 May 2023 07:08:09 +0000\r\n\r\nHello.\r\n")
            seed.multiappend(m, "INBOX", [("", _dt, raw)])
            _expected["root"] = {b.path()[0] for b in oracle.mailboxes(m)}
        finally:
            m.logout()


def tearDownModule():
    tm._cleanup()


class Listener:
    """A datagram socket in the role of systemd's notification socket."""

    def __init__(self, address):
        self.address = address  # as NOTIFY_SOCKET gives it
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.msgs = []

    def wait_for(self, pattern, proc, timeout=60):
        """Messages until one matches pattern (returned), the daemon exits
        (None) or timeout (None)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(0.1)
            try:
                msg = self.sock.recv(4096).decode()
            except socket.timeout:
                if proc.poll() is not None:
                    return None
                continue
            self.msgs.append(msg)
            if re.search(pattern, msg, re.M):
                return msg
        return None

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.msgs.append(self.sock.recv(4096).decode())
        except BlockingIOError:
            pass
        return self.msgs

    def close(self):
        self.sock.close()
        if not self.address.startswith("@"):
            try:
                os.unlink(self.address)
            except FileNotFoundError:
                pass


def start_without_waiting(m):
    """Mount.start() without its wait for the mount: the test must see
    READY=1 before it looks at the mount point itself."""
    env = dict(tm.clean_env(m.home, m.password), **m.extra_env)
    tm._live_mounts.append(m)
    with open(m.err_path, "wb") as err:
        m.proc = subprocess.Popen(m.argv(), stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env)
    return m


class NotifyTest(TimedTestCase):
    """Type=notify, with this test as the service manager."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="notify-", dir=tm._tmp)

    def listener(self, address):
        lst = Listener(address)
        self.addCleanup(lst.close)
        return lst

    def test_ready_only_once_the_mount_answers(self):
        lst = self.listener(os.path.join(self.dir, "notify.sock"))
        m = tm.Mount(USER, opts=["-o", "debug=fs"], env={"NOTIFY_SOCKET": lst.address})
        try:
            start_without_waiting(m)
            ready = lst.wait_for(r"^READY=1$", m.proc)
            self.assertIsNotNone(ready, f"no READY=1; got {lst.msgs}; stderr: {m.stderr()}")
            # At this moment: the mount has served FUSE INIT and a GETATTR
            # of its root (the probe's stat), and it lists the account.
            log = m.stderr()
            self.assertTrue(tm.is_mounted(m.mnt))
            self.assertRegex(log, r"(?m)^imapfs: fs: init: ")
            self.assertRegex(log, r"(?m)^imapfs: fs: getattr 1$")
            self.assertEqual(set(os.listdir(m.mnt)), _expected["root"])
            self.assertIn(f"STATUS=mounted {tm._server.url(USER)} at {m.mnt}", ready)
            self.assertTrue(any(x.startswith("STATUS=logging in to ") for x in lst.msgs[:-1]), lst.msgs)
            # systemctl stop: SIGTERM.
            m.proc.send_signal(signal.SIGTERM)
            self.assertIsNotNone(lst.wait_for(r"^STOPPING=1$", m.proc, 30), lst.msgs)
            self.assertEqual(m.proc.wait(30), 0, "a SIGTERM stop must exit 0, or systemd calls it a failure")
            self.assertFalse(tm.is_mounted(m.mnt), "still mounted after SIGTERM")
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        self.assertEqual([x for x in lst.drain() if "READY=1" in x], [ready], "READY=1 more than once")
        self.assertEqual(m.unexpected_output(), [], m.stderr())

    def test_abstract_socket_and_unmount(self):
        lst = self.listener(f"@imapfs-test-notify-{os.getpid()}")
        m = tm.Mount(USER, env={"NOTIFY_SOCKET": lst.address})
        try:
            start_without_waiting(m)
            self.assertIsNotNone(lst.wait_for(r"^READY=1$", m.proc), f"{lst.msgs}; stderr: {m.stderr()}")
            self.assertIn("INBOX", os.listdir(m.mnt))
            r = tm.fusermount_u(m.mnt)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNotNone(lst.wait_for(r"^STOPPING=1$", m.proc, 30), lst.msgs)
            self.assertEqual(m.proc.wait(30), 0)
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])

    def test_no_ready_when_the_login_fails(self):
        lst = self.listener(os.path.join(self.dir, "notify.sock"))
        m = tm.Mount(USER, password="wrong-password", env={"NOTIFY_SOCKET": lst.address})
        try:
            start_without_waiting(m)
            self.assertIsNone(lst.wait_for(r"^READY=1$", m.proc), f"READY=1 sent: {lst.msgs}")
            self.assertEqual(m.proc.wait(30), 1, m.stderr())
        finally:
            m.kill()
        msgs = lst.drain()
        self.assertFalse([x for x in msgs if "READY=1" in x], msgs)
        # systemctl status shows why.
        self.assertTrue([x for x in msgs if re.match(r"STATUS=authentication failed", x)], msgs)
        self.assertFalse(tm.is_mounted(m.mnt))
        self.assertEqual(len(m.stderr().splitlines()), 1, m.stderr())

    def test_password_command_does_not_inherit_the_socket(self):
        lst = self.listener(os.path.join(self.dir, "notify.sock"))
        envfile = os.path.join(self.dir, "env")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(tm.USERS[USER] + "\n")
        cmd = f"env > {shlex.quote(envfile)}; cat {shlex.quote(pwfile)}"
        m = tm.Mount(USER, opts=["-o", f"password_command={cmd}"], password=False,
                     env={"NOTIFY_SOCKET": lst.address})
        try:
            start_without_waiting(m)
            self.assertIsNotNone(lst.wait_for(r"^READY=1$", m.proc), f"{lst.msgs}; stderr: {m.stderr()}")
        finally:
            problems = m.stop()
        self.assertEqual(problems, [])
        with open(envfile) as f:
            env = f.read()
        self.assertIn("HOME=", env)
        self.assertNotIn("NOTIFY_SOCKET", env)
        # While the command runs, the manager says so (a pinentry may be
        # slow), before the login.
        status = [x for x in lst.msgs if x.startswith("STATUS=")]
        self.assertTrue(status and status[0] == "STATUS=running password_command for the password",
                        lst.msgs)


class RestartTest(TimedTestCase):
    """What Restart=on-failure needs after a crash."""

    def test_dead_mount_is_detached_by_the_next_start(self):
        first = tm.Mount(USER).start()
        try:
            self.assertIn("INBOX", os.listdir(first.mnt))
            first.proc.kill()
            first.proc.wait(10)
            with self.assertRaises(OSError) as cm:
                os.stat(first.mnt)
            self.assertEqual(cm.exception.errno, errno.ENOTCONN, "expected a dead mount")
            second = tm.Mount(USER)
            # The same mount point and home, another process.
            shutil.rmtree(second.dir)
            second.dir, second.mnt, second.home = first.dir, first.mnt, first.home
            second.err_path = os.path.join(second.dir, "stderr2")
            tm._live_mounts.remove(first)
            # Mount.start() would see the dead mount as mounted: wait for
            # the daemon's own word instead.
            start_without_waiting(second)
            try:
                deadline = time.monotonic() + 60
                while not re.search(r"(?m)^imapfs: mounted ", second.stderr()):
                    self.assertIsNone(second.proc.poll(), second.stderr())
                    self.assertLess(time.monotonic(), deadline, second.stderr())
                    time.sleep(0.05)
                self.assertIn("INBOX", os.listdir(second.mnt))
                self.assertRegex(second.stderr(), r"detached the dead imapfs mount at " + re.escape(second.mnt))
                # Exactly one mount there now: the dead one is gone.
                n = sum(1 for line in open("/proc/self/mountinfo") if line.split()[4] == second.mnt)
                self.assertEqual(n, 1)
            finally:
                problems = second.stop()
            self.assertEqual(problems, [])
        finally:
            first.kill()


class StopTest(TimedTestCase):
    """Stopping while the server hangs (every Dovecot process SIGSTOPped:
    connections are accepted, nothing answers).  What waits on the network
    is given up 2 s (STOP_GRACE_MS) after the stop, not at -o timeout; the
    staged messages' appends at unmount take one timeout in all, and what
    they could not append is appended by the next mount."""

    @limit(90)
    def test_sigterm_during_a_read_on_a_hung_server(self):
        mnt = tm.Mount(USER).start()  # -o timeout: the default 30 s
        reader = None
        try:
            box = mnt.path("INBOX")
            name = next(n for n in os.listdir(box) if n.endswith(".eml"))
            with tm._server.stopped():
                reader = subprocess.Popen(["cat", os.path.join(box, name)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                self.assertIsNone(reader.poll(), "the read did not wait")
                t0 = time.monotonic()
                mnt.proc.send_signal(signal.SIGTERM)
                try:
                    mnt.proc.wait(40)
                except subprocess.TimeoutExpired:
                    pass
                took = time.monotonic() - t0
                reader.wait(10)
        finally:
            if reader is not None and reader.poll() is None:
                reader.kill()
            problems = mnt.stop()
        tm._log(f"stop: SIGTERM during a read on a hung server: the daemon exited {took:.2f} s later "
                f"(-o timeout 30 s)")
        self.assertEqual(problems, [])
        self.assertEqual(mnt.exit_status, 0, mnt.stderr())
        self.assertLess(took, 6, mnt.stderr())
        self.assertNotEqual(reader.returncode, 0)
        self.assertRegex(mnt.stderr(), r"network work still waits 2 s after the stop signal; giving it up")

    def staged_on_a_hung_server(self, settle):
        """Copies 3 messages in while the server hangs, waits settle
        seconds, unmounts: (seconds until the daemon exited, its stderr);
        then checks that the next mount on the same cache appends each
        exactly once, the server back."""
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        opts = ["-o", "timeout=5", "-o", f"cache_dir={cache}"]
        mnt = tm.Mount(USER, opts=opts).start()
        ids = [f"<stop-{i}-{time.time_ns()}@example.org>" for i in range(3)]
        try:
            box = mnt.path("INBOX")
            with tm._server.stopped():
                for i, mid in enumerate(ids):
                    with open(os.path.join(box, f"stop-{i}.eml"), "wb") as f:
                        f.write(f"From: a@example.org\r\nSubject: stop {i}\r\nMessage-ID: {mid}\r\n"
                                f"Date: Sat, 06 May 2023 07:08:09 +0000\r\n\r\nbody {i}\r\n".encode())
                time.sleep(settle)
                t0 = time.monotonic()
                problems = mnt.stop(timeout=60)
                took = time.monotonic() - t0
        finally:
            mnt.kill()
        self.assertEqual(problems, [], mnt.stderr())
        again = tm.Mount(USER, opts=opts).start()
        try:
            deadline = time.monotonic() + 60
            while True:
                m = tm._server.imap_client(USER)
                try:
                    m.select("INBOX", readonly=True)
                    counts = [len(m.search(None, "HEADER", "Message-ID", mid)[1][0].split()) for mid in ids]
                finally:
                    m.logout()
                if counts == [1, 1, 1] or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            problems = again.stop()
        self.assertEqual(counts, [1, 1, 1], again.stderr())
        self.assertEqual(problems, [])
        return took, mnt.stderr()

    @limit(150)
    def test_unmount_while_the_append_thread_hangs(self):
        # 3 s: the append thread has taken the messages (2 s after the
        # last write) and waits on the server.
        took, err = self.staged_on_a_hung_server(3)
        tm._log(f"stop: unmount while the append thread waits on a hung server (-o timeout=5): "
                f"the daemon exited {took:.2f} s later")
        # The grace period, not the timeout (before: 9 s).
        self.assertLess(took, 2 + 2.5, err)

    @limit(150)
    def test_unmount_appends_within_one_timeout(self):
        # At once: the append thread has not started; the appends at
        # unmount meet the hung server, all three within one timeout.
        took, err = self.staged_on_a_hung_server(0)
        tm._log(f"stop: unmount with 3 messages to append on a hung server (-o timeout=5): "
                f"the daemon exited {took:.2f} s later")
        # One timeout in all (before: one per message, 15 s).
        self.assertLess(took, 5 + 2.5, err)
        self.assertGreater(took, 4, err)


    @limit(120)
    def test_fsync_waits_for_the_append_in_flight(self):
        """fsync of a file the append thread is appending waits for that
        append's outcome (woken by it, not polling) and reports it: here
        the server hangs, then comes back within the timeout."""
        opts = ["-o", "timeout=8"]
        mnt = tm.Mount(USER, opts=opts).start()
        mid = f"<fsync-wait-{time.time_ns()}@example.org>"
        res = {}
        try:
            path = os.path.join(mnt.path("INBOX"), "fsync-wait.eml")
            with tm._server.stopped():
                with open(path, "wb") as f:
                    f.write(f"From: a@example.org\r\nSubject: fsync wait\r\nMessage-ID: {mid}\r\n"
                            f"Date: Sat, 06 May 2023 07:08:09 +0000\r\n\r\nbody\r\n".encode())
                # The append thread takes it 2 s after the last write and
                # waits on the hung server.
                time.sleep(3)
                fd = os.open(path, os.O_RDONLY)

                def sync():
                    t0 = time.monotonic()
                    try:
                        os.fsync(fd)
                        res["err"] = None
                    except OSError as e:
                        res["err"] = e.errno
                    res["took"] = time.monotonic() - t0

                th = threading.Thread(target=sync)
                th.start()
                time.sleep(1)
                self.assertTrue(th.is_alive(), "fsync did not wait for the append")
            resumed = time.monotonic()
            th.join(20)
            os.close(fd)
            after = time.monotonic() - resumed
            m = tm._server.imap_client(USER)
            try:
                m.select("INBOX", readonly=True)
                count = len(m.search(None, "HEADER", "Message-ID", mid)[1][0].split())
            finally:
                m.logout()
        finally:
            problems = mnt.stop()
        tm._log(f"stop: fsync during an append on a hung server: returned {after:.2f} s after the "
                f"server came back ({res.get('took', 0):.2f} s in all), error {res.get('err')}")
        self.assertEqual(problems, [])
        self.assertFalse(th.is_alive())
        self.assertIsNone(res["err"], mnt.stderr())
        self.assertLess(after, 3, mnt.stderr())
        self.assertEqual(count, 1)

# --- installation and systemd-analyze ----------------------------------------


def _introspect(what):
    r = subprocess.run(["meson", "introspect", BUILD_DIR, what], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"meson introspect {what}: {r.stderr}")
    return json.loads(r.stdout)


class InstallTest(TimedTestCase):
    """meson install, and the unit as systemd sees it."""

    @classmethod
    def setUpClass(cls):
        if not BUILD_DIR or not os.path.isfile(os.path.join(BUILD_DIR, "build.ninja")):
            raise unittest.SkipTest(f"no meson build directory given ({BUILD_DIR!r})")
        opts = {o["name"]: o["value"] for o in _introspect("--buildoptions")}
        cls.prefix, cls.bindir, cls.mandir = opts["prefix"], opts["bindir"], opts["mandir"]
        cls.unitdir_option = opts["systemduserunitdir"]
        cls.destdir = tempfile.mkdtemp(prefix="install-", dir=tm._tmp)
        os.chmod(cls.destdir, 0o755)
        r = subprocess.run(["meson", "install", "-C", BUILD_DIR, "--no-rebuild", "--quiet", "--destdir",
                            cls.destdir], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"meson install failed: {r.stdout}{r.stderr}")
        cls.installed = _introspect("--installed")

    def at(self, path):
        """path (absolute, as installed) inside DESTDIR."""
        return os.path.join(self.destdir, path.lstrip("/"))

    def unit_path(self):
        if self.unitdir_option == "no":
            self.skipTest("configured with -Dsystemduserunitdir=no: no unit installed")
        units = [dst for dst in self.installed.values() if dst.endswith("/imapfs@.service")]
        self.assertEqual(len(units), 1, self.installed)
        return units[0]

    def test_binary_man_page_and_unit_are_installed(self):
        binary = os.path.join(self.prefix, self.bindir, "imapfs")
        man = os.path.join(self.prefix, self.mandir, "man1", "imapfs.1")
        self.assertEqual(self.installed.get(os.path.realpath(tm.IMAPFS)), binary, self.installed)
        unit = self.unit_path()
        if self.unitdir_option == "":
            # systemd's pkg-config file says ${prefix}/lib/systemd/user,
            # and without it that is the fallback too.
            self.assertEqual(unit, os.path.join(self.prefix, "lib/systemd/user/imapfs@.service"))
        for path in (binary, man, unit):
            self.assertTrue(os.path.isfile(self.at(path)), f"{path} not installed in {self.destdir}")
        self.assertTrue(os.stat(self.at(binary)).st_mode & stat.S_IXUSR)
        r = subprocess.run([self.at(binary), "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("imapfs "), r.stdout)
        with open(self.at(unit)) as f:
            text = f.read()
        self.assertIn(f"\nExecStart={binary} -f %I\n", text)
        self.assertIn("\nType=notify\n", text)
        self.assertNotIn("@BINDIR@", text)

    def verify(self, unit_in_ns, extra_setup=""):
        """systemd-analyze --user verify, in a mount namespace where DESTDIR's
        prefix is the prefix.  Returns (status, output)."""
        q = shlex.quote
        runtime = tempfile.mkdtemp(prefix="xdg-runtime-", dir=tm._tmp)
        os.chmod(runtime, 0o700)
        man = "" if shutil.which("man") else "--man=no "
        script = "\n".join([
            "set -e",
            f"mount --bind {q(self.at(self.prefix))} {q(self.prefix)}",
            extra_setup,
            f"exec systemd-analyze --user {man}verify {q(unit_in_ns)}",
        ])
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime, SYSTEMD_PAGER="", SYSTEMD_LOG_COLOR="0")
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                           capture_output=True, text=True, timeout=120, env=env)
        return r.returncode, (r.stdout + r.stderr).strip()

    def skip_unless_verifiable(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is missing (Debian package systemd; scripts/lib/packages.sh installs it)")
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare (a mount namespace with the installed prefix)")
        if self.prefix in ("/", "/usr") or shutil.which("systemd-analyze").startswith(self.prefix + "/"):
            self.skipTest(f"prefix {self.prefix} holds systemd-analyze itself: cannot bind it over")
        if not os.path.isdir(self.prefix):
            self.skipTest(f"prefix {self.prefix} does not exist here: nothing to bind DESTDIR's over")
        if not shutil.which("man"):
            tm._log("man is missing: systemd-analyze verify --man=no (Documentation= not checked)")

    @limit(180)
    def test_systemd_analyze_verify_accepts_the_unit(self):
        self.skip_unless_verifiable()
        unit = self.unit_path()
        instance = os.path.join(os.path.dirname(unit), "imapfs@work.service")
        rc, out = self.verify(instance)
        self.assertEqual((rc, out), (0, ""), "systemd-analyze verify complained")
        # The same check fails on a broken copy: the empty output above
        # means something.
        broken = os.path.join(self.destdir, "broken")
        os.makedirs(broken)
        with open(self.at(unit)) as f, open(os.path.join(broken, "imapfs@.service"), "w") as g:
            g.write(f.read().replace("RestartSec=", "RestartSecs=").replace("Type=notify", "Type=bogus"))
        rc, out = self.verify(os.path.join(broken, "imapfs@work.service"))
        self.assertIn("RestartSecs", out)
        self.assertIn("bogus", out)
        # And a unit whose ExecStart= binary is missing is refused.
        rc, out = self.verify(instance, f"mount --bind /dev/null {shlex.quote(os.path.join(self.prefix, self.bindir, 'imapfs'))}")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("is not executable", out)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        tm.IMAPFS = os.path.abspath(args.pop(0))
    if args and not args[0].startswith("-"):
        BUILD_DIR = os.path.abspath(args.pop(0))
    tm.run(args)
