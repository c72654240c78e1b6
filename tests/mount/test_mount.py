#!/usr/bin/env python3
"""The mount suite: real imapfs mounts (libfuse, /dev/fuse) against a real
Dovecot on loopback, checked against an independent client (Python's
imaplib, tests/lib/oracle.py) -- never against imapfs's own code.

    python3 test_mount.py IMAPFS_BINARY [unittest arguments]
    IMAPFS_BIN=... python3 test_mount.py [unittest arguments]

Needs root or a user allowed to mount FUSE, dovecot-imapd, fuse3, openssl.
Every test has a wall-clock limit; on expiry the daemons are killed (so a
read blocked on a hung mount returns ENOTCONN) and the test fails.  Mounts
are unmounted and Dovecot stopped on every exit path.

Environment: IMAPFS_CORPUS_CACHE (corpus cache), IMAPFS_SKIP_CORPUS=1
(skip the SpamAssassin corpus test), IMAPFS_TEST_KEEP=1 (keep temp dirs).
"""

import errno
import os
import re
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
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot  # noqa: E402
import oracle  # noqa: E402
import seed  # noqa: E402

IMAPFS = os.environ.get("IMAPFS_BIN")

SAMPLE_USER = "alice"
CORPUS_USER = "bob"
USERS = {SAMPLE_USER: "alice-pw-Sample1", CORPUS_USER: "bob-pw-Corpus2", "carol": "carol-pw-Spare3"}
# MIME-heavy ham, and spam full of charsets (big5, gbk, raw 8-bit).
CORPUS_FOLDERS = ["hard-ham-1", "spam-1", "spam-2"]

# What imapfs may write on stderr without failing a test (sshfs style: any
# other line that looks like a warning or error fails the test).
SUSPICIOUS = re.compile(r"warn|error|fail|crit|fatal|assert|sanitizer|leak|segv|abort|bug", re.I)
# What in it means a crash or a sanitizer's report, in suites that provoke
# warnings on purpose.
CRASHY = re.compile(r"sanitizer|assert|segv|abort\b|bug|panic|leak", re.I)

# Messages are immutable (SPEC §4).
WRITE_ERRNOS = {errno.EPERM}

# Test-wide state, cleaned up by tearDownModule and atexit.
_server = None
_tmp = None
_live_mounts = []
_live_procs = []
_corpus_skip_reason = None


def _log(msg):
    print(f"[mount] {msg}", file=sys.stderr, flush=True)


# --- time limits -----------------------------------------------------------


class _Alarm(BaseException):
    """Raised in the main thread when a test exceeds its limit (a
    BaseException so that no `except Exception` in the test swallows it)."""


_alarm_armed = threading.Event()


def _on_alarm(signum, frame):
    if _alarm_armed.is_set():
        _alarm_armed.clear()
        raise _Alarm("wall-clock limit exceeded")


class Watchdog:
    """Kills every live imapfs daemon and child process when `seconds`
    pass: a read blocked on a FUSE file then returns (ENOTCONN or
    ECONNABORTED).  If the guarded code still has not finished 3 s later
    (a hang that is not in the mount), the main thread gets an exception."""

    def __init__(self, seconds, what):
        self.seconds, self.what = seconds, what
        self.fired = False
        self._timer = None
        self._done = threading.Event()

    def _fire(self):
        self.fired = True
        _log(f"TIMEOUT: {self.what} exceeded {self.seconds} s; killing daemons")
        for m in list(_live_mounts):
            m.kill()
        for p in list(_live_procs):
            if p.poll() is None:
                p.kill()
        if not self._done.wait(3):
            _alarm_armed.set()
            signal.pthread_kill(threading.main_thread().ident, signal.SIGALRM)

    def __enter__(self):
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def cancel(self):
        self._done.set()
        self._timer.cancel()
        _alarm_armed.clear()

    def __exit__(self, et, ev, tb):
        self.cancel()
        if et is _Alarm or (et is not None and self.fired):
            raise AssertionError(f"{self.what}: exceeded its wall-clock limit of {self.seconds} s") from ev
        return False


def limit(seconds):
    """Decorator: this test's wall-clock limit."""

    def deco(fn):
        fn.time_limit = seconds
        return fn

    return deco


class TimedTestCase(unittest.TestCase):
    """Each test runs under a Watchdog: DEFAULT_LIMIT seconds, or what its
    @limit says."""

    DEFAULT_LIMIT = 120

    def run(self, result=None):
        fn = getattr(self, self._testMethodName)
        self._watchdog = Watchdog(getattr(fn, "time_limit", self.DEFAULT_LIMIT), self.id())
        try:
            return super().run(result)
        finally:
            if self._watchdog._timer:
                self._watchdog.cancel()

    def setUp(self):
        self._watchdog.__enter__()
        self.addCleanup(self._watchdog_stop)

    def _watchdog_stop(self):
        self._watchdog.cancel()
        if self._watchdog.fired:
            raise AssertionError(f"exceeded the wall-clock limit of {self._watchdog.seconds} s")


# --- mounts ----------------------------------------------------------------


def _mountinfo_points():
    res = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            res.add(re.sub(r"\\([0-7]{3})", lambda mt: chr(int(mt.group(1), 8)), mp))
    return res


def is_mounted(path):
    return os.path.realpath(path) in _mountinfo_points()


def imapfs_pids(mountpoint):
    """PIDs of imapfs processes whose command line names mountpoint."""
    pids = []
    want = os.fsencode(os.path.realpath(mountpoint))
    want2 = os.fsencode(mountpoint)
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            with open(f"/proc/{d}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if args and os.path.basename(args[0]) == b"imapfs" and (want in args or want2 in args):
            pids.append(int(d))
    return pids


def fusermount_u(path, lazy=False):
    args = ["fusermount3", "-u"] + (["-z"] if lazy else []) + [path]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def clean_env(home, password=None):
    """An environment for imapfs: a private HOME and XDG dirs (no ~/.netrc,
    no shared cache), no certificate overrides."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IMAPFS_", "XDG_", "SSL_CERT"))}
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, ".cache"),
               XDG_CONFIG_HOME=os.path.join(home, ".config"), LC_ALL="C.UTF-8")
    if password is not None:
        env["IMAPFS_PASSWORD"] = password
    return env


def _scrub(line):
    """line without the paths under the suite's directory, which the
    daemon names (mounted at, cache files): their random parts (mkdtemp)
    could spell a word looked for ("m-vio3gbug" failed a CI run)."""
    return re.sub(re.escape(_tmp) + r"[^\s'\"]*", "<tmp>", line) if _tmp else line


class Mount:
    """One imapfs mount.  foreground: run with -f as our child (stderr
    captured, exit status checked); else the command's background mode."""

    def __init__(self, user, opts=(), foreground=True, password=None, url=None, cafile=True, env=None):
        self.dir = tempfile.mkdtemp(prefix="m-", dir=_tmp)
        self.mnt = os.path.join(self.dir, "mnt")
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.mnt)
        os.makedirs(self.home)
        self.user = user
        self.opts = list(opts)
        if cafile:
            self.opts += ["-o", f"cafile={_server.cafile}"]
        self.foreground = foreground
        # None: the user's password in IMAPFS_PASSWORD; False: none at all.
        self.password = USERS[user] if password is None else (password or None)
        self.url = url or _server.url(user)
        self.extra_env = dict(env or {})  # added to clean_env()
        self.proc = None
        self.err_path = os.path.join(self.dir, "stderr")
        self.exit_status = None
        self.bg_result = None

    def argv(self):
        return [IMAPFS] + (["-f"] if self.foreground else []) + self.opts + [self.url, self.mnt]

    def start(self, timeout=60):
        env = dict(clean_env(self.home, self.password), **self.extra_env)
        _live_mounts.append(self)
        if self.foreground:
            with open(self.err_path, "wb") as err:
                self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                             env=env)
            deadline = time.monotonic() + timeout
            while not is_mounted(self.mnt):
                if self.proc.poll() is not None:
                    raise AssertionError(f"imapfs exited {self.proc.returncode} before mounting: {self.stderr()!r}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"not mounted after {timeout} s: {self.stderr()!r}")
                time.sleep(0.02)
        else:
            self.bg_result = subprocess.run(self.argv(), stdin=subprocess.DEVNULL, capture_output=True,
                                            env=env, timeout=timeout)
            with open(self.err_path, "wb") as f:
                f.write(self.bg_result.stderr)
            if self.bg_result.returncode != 0:
                raise AssertionError(f"imapfs exited {self.bg_result.returncode}: {self.stderr()!r}")
        return self

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def unexpected_output(self, allowed=()):
        return [l for l in self.stderr().splitlines()
                if SUSPICIOUS.search(_scrub(l)) and not any(re.search(a, l) for a in allowed)]

    def crash_lines(self):
        return [l for l in self.stderr().splitlines() if CRASHY.search(_scrub(l))]

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def stop(self, timeout=15):
        """Unmounts and waits for the daemon to exit.  Returns a list of
        problems (empty when the unmount was clean)."""
        problems = []
        if is_mounted(self.mnt):
            for _ in range(50):
                r = fusermount_u(self.mnt)
                if r.returncode == 0 or not is_mounted(self.mnt):
                    break
                time.sleep(0.1)
            else:
                problems.append(f"fusermount3 -u failed: {r.stderr.strip()}")
                fusermount_u(self.mnt, lazy=True)
        deadline = time.monotonic() + timeout
        if self.proc is not None:
            try:
                self.exit_status = self.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                problems.append("imapfs did not exit after unmount")
                self.proc.kill()
                self.exit_status = self.proc.wait()
            if self.exit_status != 0 and not problems:
                problems.append(f"imapfs exited {self.exit_status} after unmount")
        while imapfs_pids(self.mnt) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = imapfs_pids(self.mnt)
        if left:
            problems.append(f"imapfs processes left after unmount: {left}")
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self in _live_mounts:
            _live_mounts.remove(self)
        return problems

    def kill(self):
        """Emergency stop: SIGKILL the daemon(s), lazy unmount."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        for pid in imapfs_pids(self.mnt):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if is_mounted(self.mnt):
            fusermount_u(self.mnt, lazy=True)
        if self.proc is not None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self in _live_mounts:
            _live_mounts.remove(self)


def read_file(path, chunk=1 << 20):
    with open(path, "rb", buffering=0) as f:
        parts = []
        while True:
            b = f.read(chunk)
            if not b:
                break
            parts.append(b)
    return b"".join(parts)


def run_imapfs(args, home, password=None, timeout=60):
    """Runs the imapfs command (expected to fail or return); (rc, stderr)."""
    p = subprocess.run([IMAPFS] + args, stdin=subprocess.DEVNULL, capture_output=True,
                       env=clean_env(home, password), timeout=timeout)
    return p.returncode, p.stderr.decode("utf-8", "replace")


# --- the server ------------------------------------------------------------


def setUpModule():
    global _server, _tmp, _corpus_skip_reason
    if not IMAPFS or not os.access(IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable: give its path as the first argument or in IMAPFS_BIN ({IMAPFS!r})")
    if not os.path.exists("/dev/fuse"):
        raise RuntimeError("/dev/fuse is missing")
    _tmp = tempfile.mkdtemp(prefix="imapfs-mount-")
    os.chmod(_tmp, 0o755)
    with Watchdog(300, "setUpModule"):
        t0 = time.monotonic()
        _server = dovecot.Dovecot(root=os.path.join(_tmp, "dovecot"), users=USERS)
        _server._own_root = True
        _server.start()
        m = _server.imap_client(SAMPLE_USER)
        try:
            seed.seed_sample(m)
        finally:
            m.logout()
        if os.environ.get("IMAPFS_SKIP_CORPUS"):
            _corpus_skip_reason = "IMAPFS_SKIP_CORPUS is set"
        else:
            try:
                m = _server.imap_client(CORPUS_USER, timeout=300)
                try:
                    seed.seed_corpus(m, CORPUS_FOLDERS)
                finally:
                    m.logout()
            except seed.CorpusUnavailable as e:
                _corpus_skip_reason = f"SpamAssassin corpus unavailable: {e}"
        _log(f"server up and seeded in {time.monotonic() - t0:.1f} s ({_server.root})")


def tearDownModule():
    _cleanup()


def _cleanup():
    global _server
    for m in list(_live_mounts):
        m.kill()
    for p in list(_live_procs):
        if p.poll() is None:
            p.kill()
    if _server is not None:
        _server.stop(remove=False)
        _server = None
    if _tmp and not os.environ.get("IMAPFS_TEST_KEEP"):
        # Never recurse into a mount point that is somehow still mounted.
        if not any(p.startswith(_tmp + "/") for p in _mountinfo_points()):
            shutil.rmtree(_tmp, ignore_errors=True)


class Snapshot:
    """What the server holds for one user, read with imaplib."""

    def __init__(self, user, bodies=True):
        m = _server.imap_client(user, timeout=300)
        try:
            self.boxes = oracle.mailboxes(m)
            self.msgs = {}
            self.bodies = {}
            self.flags = {}
            for b in self.boxes:
                if b.selectable:
                    self.msgs[b.name] = oracle.messages(m, b.name)
                    self.flags[b.name] = oracle.fetch_flags(m, b.name)
                    if bodies:
                        self.bodies[b.name] = oracle.fetch_bodies(m, b.name)
        finally:
            m.logout()

    def box(self, name):
        return next(b for b in self.boxes if b.name == name)

    def all_messages(self):
        for box, msgs in self.msgs.items():
            for msg in msgs:
                yield box, msg


def flags_of(user):
    m = _server.imap_client(user)
    try:
        return {b.name: oracle.fetch_flags(m, b.name) for b in oracle.mailboxes(m) if b.selectable}
    finally:
        m.logout()


def without_recent(flags):
    return {f for f in flags if f.lower() != "\\recent"}


class MountedTestCase(TimedTestCase):
    """One foreground mount of USER for the whole class."""

    USER = SAMPLE_USER
    OPTS = ()
    ALLOWED_OUTPUT = ()

    @classmethod
    def setUpClass(cls):
        with Watchdog(300, f"{cls.__name__}.setUpClass"):
            cls.snap = Snapshot(cls.USER)
            cls.log_mark = _server.log_mark()
            cls.mount = Mount(cls.USER, cls.OPTS)
            try:
                cls.mount.start()
            except BaseException:
                cls.mount.kill()
                raise

    @classmethod
    def tearDownClass(cls):
        if cls.mount in _live_mounts:
            cls.mount.kill()

    def expected_path(self, box, msg, strict=True):
        b = self.snap.box(box)
        return self.mount.path(*b.path(), oracle.expected_name(msg, strict))

    def test_zz_unmount_is_clean(self):
        """Unmount: the daemon exits 0, printed no warning, Dovecot logged
        no error.  (Named to run last in its class.)"""
        problems = self.mount.stop()
        self.assertEqual(problems, [])
        self.assertEqual(self.mount.unexpected_output(self.ALLOWED_OUTPUT), [],
                         f"imapfs printed warnings; stderr:\n{self.mount.stderr()}")
        errors = [l for l in _server.warnings(self.log_mark) if re.search(r": (Error|Fatal|Panic): ", l)]
        self.assertEqual(errors, [], "Dovecot logged errors")


# --- the tests -------------------------------------------------------------


class SampleMountTest(MountedTestCase):
    """The generated sample account: tree, names, bytes, metadata."""

    def test_root_lists_top_level_mailboxes(self):
        want = {b.path()[0] for b in self.snap.boxes}
        self.assertEqual(set(os.listdir(self.mount.mnt)), want)

    def test_every_mailbox_is_a_directory_nested_by_delimiter(self):
        for b in self.snap.boxes:
            p = self.mount.path(*b.path())
            st = os.stat(p)
            self.assertTrue(stat.S_ISDIR(st.st_mode), p)
        # Unicode and special names arrive decoded from modified UTF-7.
        for name in ["Entwürfe", "日本語", "Q&A", "Sent Items"]:
            self.assertTrue(os.path.isdir(self.mount.path(name)), name)
        self.assertTrue(os.path.isdir(self.mount.path("日本語", "子")))
        self.assertTrue(os.path.isdir(self.mount.path("Archive", "2002")))

    def test_each_directory_lists_exactly_its_children_and_messages(self):
        children = {}
        for b in self.snap.boxes:
            parts = b.path()
            for i in range(1, len(parts)):
                children.setdefault(tuple(parts[:i]), set()).add(parts[i])
            children.setdefault(tuple(parts), set())
        for b in self.snap.boxes:
            parts = tuple(b.path())
            want = set(children[parts])
            if b.selectable:
                want |= {oracle.expected_name(msg) for msg in self.snap.msgs[b.name]}
            got = set(os.listdir(self.mount.path(*parts)))
            self.assertEqual(got, want, f"listing of {b.name}")

    def test_noselect_mailboxes_hold_only_directories(self):
        noselect = [b for b in self.snap.boxes if not b.selectable]
        self.assertTrue(noselect, "the sample set should have a \\Noselect parent (Archive)")
        for b in noselect:
            p = self.mount.path(*b.path())
            for e in os.scandir(p):
                self.assertTrue(e.is_dir(follow_symlinks=False), e.path)

    def test_empty_mailbox_is_an_empty_directory(self):
        self.assertEqual(os.listdir(self.mount.path("Empty")), [])

    def test_message_names_follow_spec(self):
        # Spot checks that make the rules visible in a failure message.
        inbox = set(os.listdir(self.mount.path("INBOX")))
        for sub in ["日本語の件名", "Party 🎉 time", "Café crème brûlée", "(no subject)", "a_b and c_d e_f bellring",
                    "lots of space", "foobar baz", "Grüße aus Köln"]:
            self.assertTrue(any(sub in n for n in inbox), f"no name in INBOX contains {sub!r}: {sorted(inbox)}")
        self.assertEqual(len([n for n in inbox if "Duplicate subject" in n]), 2)
        self.assertTrue(any(n.startswith("2002-12-31 Just after midnight in Berlin [") for n in inbox),
                        "the date is INTERNALDATE in UTC")
        for n in inbox:
            mt = oracle.NAME_RE.match(n)
            self.assertIsNotNone(mt, n)
            self.assertLessEqual(len(mt.group(2).encode()), oracle.SUBJECT_MAX_BYTES, n)
        for box, msg in self.snap.all_messages():
            p = self.expected_path(box, msg)
            self.assertTrue(os.path.isfile(p), f"missing {p}")

    def test_every_message_reads_as_body_peek(self):
        for box, msg in self.snap.all_messages():
            p = self.expected_path(box, msg)
            data = read_file(p)
            want = self.snap.bodies[box][msg.uid]
            self.assertEqual(len(data), len(want), p)
            self.assertTrue(data == want, f"{p}: bytes differ from UID FETCH BODY.PEEK[]")

    def test_size_equals_bytes_read(self):
        for box, msg in self.snap.all_messages():
            p = self.expected_path(box, msg)
            self.assertEqual(os.stat(p).st_size, len(self.snap.bodies[box][msg.uid]), p)
            self.assertEqual(os.stat(p).st_size, len(read_file(p)), p)
            self.assertEqual(os.stat(p).st_size, os.lstat(p).st_size)

    def test_times_are_internaldate(self):
        for box, msg in self.snap.all_messages():
            st = os.stat(self.expected_path(box, msg))
            self.assertEqual((int(st.st_mtime), int(st.st_ctime), int(st.st_atime)), (msg.mtime,) * 3,
                             f"{box} UID {msg.uid}")

    def test_modes_and_owner(self):
        uid, gid = os.getuid(), os.getgid()
        for root, dirs, files in os.walk(self.mount.mnt):
            st = os.stat(root)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o700, root)
            self.assertEqual((st.st_uid, st.st_gid), (uid, gid), root)
            for f in files:
                st = os.lstat(os.path.join(root, f))
                self.assertTrue(stat.S_ISREG(st.st_mode), f)
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, f)
                self.assertEqual((st.st_uid, st.st_gid), (uid, gid), f)

    def test_reading_never_sets_seen(self):
        before = self.snap.flags
        for box, msg in self.snap.all_messages():
            read_file(self.expected_path(box, msg))
        after = flags_of(self.USER)
        for box in before:
            for uid in before[box]:
                self.assertEqual(without_recent(after[box][uid]), without_recent(before[box][uid]),
                                 f"{box} UID {uid}: flags changed by reading")

    def test_xattrs(self):
        for box, msg in self.snap.all_messages():
            p = self.expected_path(box, msg)
            names = set(os.listxattr(p))
            for n in ["user.imap.flags", "user.imap.uid", "user.imap.message_id", "user.mime_type"]:
                self.assertIn(n, names, p)
            self.assertEqual(os.getxattr(p, "user.imap.uid"), str(msg.uid).encode(), p)
            self.assertEqual(os.getxattr(p, "user.mime_type"), b"message/rfc822", p)
            self.assertEqual(os.getxattr(p, "user.imap.message_id").decode(), msg.message_id, p)
            got = set(os.getxattr(p, "user.imap.flags").decode().split())
            self.assertEqual(without_recent(got), without_recent(self.snap.flags[box][msg.uid]), p)
        # Exactly the stored flags and keywords: no session flag \Recent.
        msg = next(m for m in self.snap.msgs["INBOX"] if "$Label1" in m.flags)
        p = self.expected_path("INBOX", msg)
        self.assertEqual(set(os.getxattr(p, "user.imap.flags").decode().split()), {"\\Flagged", "$Label1"})
        # A missing user attribute is ENODATA; other namespaces do not
        # exist here (EOPNOTSUPP), which ls -l remembers per file system.
        for path in (p, self.mount.path("INBOX")):
            with self.assertRaises(OSError) as cm:
                os.getxattr(path, "user.nothing")
            self.assertEqual(cm.exception.errno, errno.ENODATA, path)
            for name in ("security.selinux", "system.posix_acl_access", "trusted.x"):
                with self.assertRaises(OSError) as cm:
                    os.getxattr(path, name)
                self.assertEqual(cm.exception.errno, errno.EOPNOTSUPP, f"{path} {name}")

    def test_probe_names_are_enoent(self):
        for d in [self.mount.mnt, self.mount.path("INBOX"), self.mount.path("Archive")]:
            for name in oracle.PROBE_NAMES:
                with self.assertRaises(FileNotFoundError, msg=f"{d}/{name}"):
                    os.stat(os.path.join(d, name))

    def test_unknown_names_are_enoent(self):
        msg = self.snap.msgs["INBOX"][0]
        for name in [f"2002-01-01 wrong subject [{msg.uid}].eml", "2002-01-01 x [999999].eml", "nonsense",
                     f"{oracle.expected_name(msg)}x", "NoSuchFolder"]:
            with self.assertRaises(FileNotFoundError, msg=name):
                os.stat(self.mount.path("INBOX", name))

    def test_statfs(self):
        st = os.statvfs(self.mount.mnt)
        self.assertGreaterEqual(st.f_namemax, 255)
        r = subprocess.run(["df", self.mount.mnt], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_messages_are_immutable(self):
        """SPEC §4: a message cannot be written, truncated, renamed within
        its folder or given a mode; all EPERM, the server untouched.  (What
        changes mail is test_change.py's.)"""
        inbox = self.mount.path("INBOX")
        msg = self.expected_path("INBOX", self.snap.msgs["INBOX"][0])
        attempts = [
            # The open itself may succeed (the kernel opens files without
            # asking imapfs once it may): the write fails.
            ("write", lambda: write_once(msg, b"x")),
            ("truncate", lambda: os.truncate(msg, 0)),
            ("rename", lambda: os.rename(msg, os.path.join(inbox, "renamed.eml"))),
            ("chmod", lambda: os.chmod(msg, 0o644)),
        ]
        for what, fn in attempts:
            with self.assertRaises(OSError, msg=what) as cm:
                fn()
            self.assertIn(cm.exception.errno, WRITE_ERRNOS, f"{what}: {cm.exception}")
        self.assertEqual(flags_of(self.USER)["INBOX"].keys(), self.snap.flags["INBOX"].keys())


def write_once(path, data):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


class PartialReadTest(TimedTestCase):
    """head -c 4096 of the 26 MB message must not download it."""

    @limit(180)
    def test_head_of_large_message_fetches_little(self):
        m = _server.imap_client(SAMPLE_USER)
        try:
            msg = oracle.messages(m, "Big")[0]
            head = oracle.fetch_bodies(m, "Big", str(msg.uid))[msg.uid][:4096]
        finally:
            m.logout()
        self.assertTrue(_server.wait_sessions_closed(SAMPLE_USER))
        mark = _server.log_mark()
        mnt = Mount(SAMPLE_USER)  # fresh HOME and cache: nothing cached
        try:
            mnt.start()
            r = subprocess.run(["head", "-c", "4096", mnt.path("Big", oracle.expected_name(msg))],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, head)
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertTrue(_server.wait_sessions_closed(SAMPLE_USER), "imapfs left sessions open after unmount")
        out = _server.sessions_out(mark, SAMPLE_USER)
        total = sum(out)
        _log(f"partial read: head -c 4096 of a {msg.size}-byte message: the server sent {total} bytes "
             f"in {len(out)} session(s) {out} (mount, lookup, read, unmount; nothing subtracted)")
        self.assertTrue(out, "no session logged")
        self.assertLess(total, 1 << 20)


class CommandLineTest(TimedTestCase):
    """SPEC §1: failures before the mount, background mode."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="cli-", dir=_tmp)
        self.mnt = os.path.join(self.dir, "mnt")
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.mnt)
        os.makedirs(self.home)
        self.addCleanup(self._no_leftovers)

    def _no_leftovers(self):
        left = imapfs_pids(self.mnt)
        mounted = is_mounted(self.mnt)
        if mounted:
            fusermount_u(self.mnt, lazy=True)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.assertFalse(mounted, "left mounted")
        self.assertEqual(left, [], "left imapfs running")

    def assertFailsWith(self, args, rc, pattern, password=USERS[SAMPLE_USER]):
        got_rc, err = run_imapfs(args, self.home, password)
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(got_rc, rc, f"exit status; stderr: {err!r}")
        self.assertEqual(len(lines), 1, f"one line on stderr expected: {err!r}")
        self.assertTrue(lines[0].startswith("imapfs: "), lines[0])
        self.assertRegex(lines[0], re.compile(pattern, re.I))
        self.assertFalse(is_mounted(self.mnt))
        self.assertEqual(imapfs_pids(self.mnt), [])
        return lines[0]

    def cafile(self):
        return ["-o", f"cafile={_server.cafile}"]

    def test_wrong_password_exits_1(self):
        self.assertFailsWith(self.cafile() + [_server.url(SAMPLE_USER), self.mnt], 1, r"authenticat",
                             password="wrong-password")

    def test_unknown_user_exits_1(self):
        self.assertFailsWith(self.cafile() + [_server.url("nobody-here"), self.mnt], 1, r"authenticat",
                             password="x")

    def test_untrusted_certificate_exits_1(self):
        self.assertFailsWith([_server.url(SAMPLE_USER), self.mnt], 1, r"certificate")

    def test_host_name_mismatch_exits_1(self):
        self.assertFailsWith(self.cafile() + [_server.url(SAMPLE_USER, host=dovecot.MISMATCH_HOST), self.mnt],
                             1, r"certificate|host ?name|mismatch|match")

    def test_connection_refused_exits_1(self):
        # A port bound and never listened on: refused for as long as we
        # hold it, even with other suites taking free ports meanwhile.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((dovecot.HOST, 0))
            port = s.getsockname()[1]
            self.assertFailsWith(self.cafile() + [f"imaps://alice@{dovecot.HOST}:{port}", self.mnt], 1,
                                 r"refused|connect")

    def test_missing_mount_point_exits_1(self):
        self.assertFailsWith(self.cafile() + [_server.url(SAMPLE_USER), os.path.join(self.dir, "nope")], 1,
                             r"mount ?point|no such|exist")

    def test_mount_point_not_empty_exits_1(self):
        with open(os.path.join(self.mnt, "file"), "w") as f:
            f.write("x")
        self.assertFailsWith(self.cafile() + [_server.url(SAMPLE_USER), self.mnt], 1, r"empty")

    def test_usage_errors_exit_2(self):
        for args in [[], [_server.url(SAMPLE_USER)], ["http://alice@127.0.0.1", self.mnt],
                     ["-o", "timeout=abc", _server.url(SAMPLE_USER), self.mnt],
                     ["-o", "connections=0", _server.url(SAMPLE_USER), self.mnt],
                     [_server.url(SAMPLE_USER), self.mnt, "extra-argument"]]:
            with self.subTest(args=args):
                got_rc, err = run_imapfs(args, self.home, USERS[SAMPLE_USER])
                self.assertEqual(got_rc, 2, f"{args}: stderr {err!r}")
                self.assertTrue(err.startswith("imapfs: ") or "usage" in err.lower(), err)
                self.assertFalse(is_mounted(self.mnt))

    def test_background_mode_returns_once_mounted(self):
        mnt = Mount(SAMPLE_USER, foreground=False)
        try:
            mnt.start()
            # No waiting: the command returned, so the mount must answer now.
            self.assertIn("INBOX", os.listdir(mnt.mnt))
            self.assertEqual(mnt.bg_result.stderr, b"")
            pids = imapfs_pids(mnt.mnt)
            self.assertEqual(len(pids), 1, f"one daemon expected: {pids}")
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertFalse(is_mounted(mnt.mnt))

    def test_starttls_url_mounts(self):
        mnt = Mount(SAMPLE_USER, url=_server.url(SAMPLE_USER, scheme="imap"))
        try:
            mnt.start()
            self.assertIn("INBOX", os.listdir(mnt.mnt))
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertEqual(mnt.unexpected_output(), [], mnt.stderr())

    def test_password_command(self):
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(USERS[SAMPLE_USER] + "\nsecond line is ignored\n")
        mnt = Mount(SAMPLE_USER, opts=["-o", f"password_command=cat {pwfile}"], password=False)
        try:
            mnt.start()
            self.assertIn("INBOX", os.listdir(mnt.mnt))
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])


class CorpusMountTest(MountedTestCase):
    """Real-world mail: SpamAssassin corpus folders, byte for byte."""

    USER = CORPUS_USER

    @classmethod
    def setUpClass(cls):
        if _corpus_skip_reason:
            raise unittest.SkipTest(_corpus_skip_reason)
        super().setUpClass()

    @limit(400)
    def test_every_corpus_message_reads_as_body_peek(self):
        n = 0
        for box, msg in self.snap.all_messages():
            p = self.expected_path(box, msg, strict=False)
            d = os.path.dirname(p)
            with self.subTest(box=box, uid=msg.uid):
                data = read_file(os.path.join(d, self._name_of(d, msg.uid)))
                self.assertTrue(data == self.snap.bodies[box][msg.uid], f"{box} UID {msg.uid}: bytes differ")
                n += 1
        self.assertEqual(n, sum(len(v) for v in self.snap.msgs.values()))
        _log(f"corpus: {n} messages byte-compared")

    @limit(300)
    def test_corpus_names_sizes_times(self):
        ambiguous = 0
        for b in self.snap.boxes:
            if not b.selectable:
                continue
            d = self.mount.path(*b.path())
            names = os.listdir(d)
            by_uid = {}
            for n in names:
                mt = oracle.NAME_RE.match(n)
                self.assertIsNotNone(mt, f"{b.name}: bad name {n!r}")
                by_uid[int(mt.group(3))] = n
            self.assertEqual(set(by_uid), {m.uid for m in self.snap.msgs[b.name]}, b.name)
            self.assertEqual(len(names), len(by_uid), f"{b.name}: one name per UID")
            for msg in self.snap.msgs[b.name]:
                got = by_uid[msg.uid]
                try:
                    want = oracle.expected_name(msg)
                except oracle.Ambiguous:
                    ambiguous += 1
                    want = None
                with self.subTest(box=b.name, uid=msg.uid, subject=msg.subject_field[:120]):
                    if want is not None:
                        self.assertEqual(got, want)
                    else:
                        self.assertTrue(got.startswith(f"{msg.internaldate:%Y-%m-%d} "), got)
                        self.assertNotIn("/", got)
                        self.assertFalse(any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in got), got)
                    st = os.stat(os.path.join(d, got))
                    self.assertEqual(st.st_size, len(self.snap.bodies[b.name][msg.uid]))
                    self.assertEqual(int(st.st_mtime), msg.mtime)
        _log(f"corpus: {ambiguous} names only checked loosely (raw 8-bit or odd charsets)")

    def _name_of(self, d, uid):
        if not hasattr(self, "_names"):
            self._names = {}
        if d not in self._names:
            self._names[d] = {int(oracle.NAME_RE.match(n).group(3)): n for n in os.listdir(d)
                              if oracle.NAME_RE.match(n)}
        return self._names[d][uid]


def run(argv):
    """Runs the tests of the script being run (__main__), argv being
    unittest's arguments, so that mounts and Dovecot go whatever happens:
    at a test's wall-clock limit (SIGALRM), at exit, and at meson's
    SIGTERM on timeout.  Every mount suite ends here."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, lambda s, f: (_cleanup(), os._exit(1)))
    import atexit

    atexit.register(_cleanup)
    unittest.main(module="__main__", argv=[sys.argv[0]] + argv, verbosity=2)


def main():
    """A mount suite's command line: IMAPFS_BINARY, then unittest's
    arguments."""
    global IMAPFS
    argv = sys.argv[1:]
    if argv and not argv[0].startswith("-") and os.path.isfile(argv[0]):
        IMAPFS = os.path.abspath(argv.pop(0))
    run(argv)


if __name__ == "__main__":
    main()
