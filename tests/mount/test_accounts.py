#!/usr/bin/env python3
"""Accounts (SPEC §6) and mount(8) (SPEC §6, "fstab and mount -t
fuse.imapfs work through mount.fuse3"), for real, against a throwaway
Dovecot; the expected listings come from imaplib (tests/lib/oracle.py).

    AccountTest      `imapfs NAME` with HOME/XDG_CONFIG_HOME in a temp dir:
                     the file's keys, ~ expansion, command-line overrides,
                     and the one-line errors (exit 2) naming FILE:LINE.
    MountHelperTest  real `mount -t fuse.imapfs SERVER MNT -o ...`,
                     `mount -T FSTAB MNT` with a fstab line (\\040 for the
                     spaces of password_command), an account name as the
                     source, and a `user` fstab entry mounted and
                     unmounted by a user who is not root; each checks the
                     listing, that the daemon is this build's imapfs, and
                     that umount leaves nothing running.

mount(8) runs its helpers without PATH (and without HOME), so mount.fuse3's
/bin/sh finds `imapfs` in its default path only.  So as not to touch the
system, every mount(8) scenario runs in a private mount namespace
(unshare -m) in which a directory holding a symlink to this build's imapfs
is bind-mounted over /usr/local/sbin, the first directory of that default
path; the non-root scenario also binds its fstab over /etc/fstab (only root
may use --fstab) and, where /dev/fuse is not 0666 as on a stock Debian, a
0666 node of it.  MountHelperTest needs root, unshare and mount.fuse3 and
is skipped, saying why, without them.

    python3 test_accounts.py IMAPFS_BINARY [unittest arguments]
"""

import datetime
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import TimedTestCase, limit  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

USER = "alice"
SUBJECTS = ["Quarterly numbers", "Lunch on Friday?", "Re: the fstab line"]
_dt = datetime.datetime(2023, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
_expected = {}  # "root" and "INBOX": the names imapfs must list


def _message(i, subject):
    return (f"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\n"
            f"Subject: {subject}\r\nDate: Sat, 06 May 2023 07:08:09 +0000\r\n"
            f"Message-ID: <acct-{i}@example.org>\r\n\r\nHello {i}.\r\n").encode()


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-accounts-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(300, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS)
        tm._server._own_root = True
        tm._server.start()
        # Readable by the unprivileged user of the `user` fstab test.
        os.chmod(tm._server.cafile, 0o644)
        m = tm._server.imap_client(USER)
        try:
            seed.multiappend(m, "INBOX", [("", _dt, _message(i, s)) for i, s in enumerate(SUBJECTS)])
            seed.create_mailbox(m, "Work")
            _expected["root"] = {b.path()[0] for b in oracle.mailboxes(m)}
            _expected["INBOX"] = {oracle.expected_name(x) for x in oracle.messages(m, "INBOX")}
        finally:
            m.logout()
    assert _expected["root"] >= {"INBOX", "Work"}, _expected
    assert len(_expected["INBOX"]) == len(SUBJECTS), _expected


def tearDownModule():
    tm._cleanup()


def wait_no_daemon(mnt, timeout=15):
    deadline = time.monotonic() + timeout
    while tm.imapfs_pids(mnt) and time.monotonic() < deadline:
        time.sleep(0.05)
    return tm.imapfs_pids(mnt)


def kill_daemons(mnt):
    for pid in tm.imapfs_pids(mnt):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class AccountTest(TimedTestCase):
    """`imapfs NAME`: the accounts file of SPEC §6."""

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="acct-", dir=tm._tmp)
        self.home = os.path.join(self.dir, "home")
        self.config = os.path.join(self.home, ".config", "imapfs", "config")
        os.makedirs(os.path.dirname(self.config))
        self.mounts = []
        self.addCleanup(self._unmount_all)

    def _unmount_all(self):
        for mnt in self.mounts:
            if tm.is_mounted(mnt):
                tm.fusermount_u(mnt, lazy=True)
            kill_daemons(mnt)

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def mountpoint(self, *parts):
        path = os.path.join(self.home, *parts)
        os.makedirs(path)
        self.mounts.append(path)
        return path

    def assert_lists_the_account(self, mnt):
        self.assertTrue(tm.is_mounted(mnt), f"{mnt} is not mounted")
        self.assertEqual(set(os.listdir(mnt)), _expected["root"])
        self.assertEqual(set(os.listdir(os.path.join(mnt, "INBOX"))), _expected["INBOX"])

    def unmount(self, mnt):
        r = tm.fusermount_u(mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(wait_no_daemon(mnt), [], "imapfs still running after unmount")

    def test_account_mounts_with_the_files_keys(self):
        """server, a ~/ mountpoint, cafile and a ~/ cache_dir from the file;
        the password from IMAPFS_PASSWORD."""
        mnt = self.mountpoint("Mail", "work")
        self.write_config(f"# my accounts\n[home]\nserver = imaps://me@home.invalid\n\n"
                          f"[work]\nserver = {tm._server.url(USER)}\nmountpoint = ~/Mail/work\n"
                          f"cafile = {tm._server.cafile}\ncache_dir = ~/cache/work\nconnections = 2\n")
        rc, err = tm.run_imapfs(["work"], self.home, tm.USERS[USER])
        self.assertEqual((rc, err), (0, ""))
        self.assert_lists_the_account(mnt)
        self.assertTrue(os.path.isdir(os.path.join(self.home, "cache", "work", "packs")),
                        "cache_dir = ~/cache/work was not used")
        self.unmount(mnt)

    def test_command_line_overrides_the_file(self):
        """-o wins over a key (even a bad one), MOUNTPOINT over mountpoint;
        the password from the file's password_command."""
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(tm.USERS[USER] + "\n")
        mnt = self.mountpoint("elsewhere")
        self.write_config(f"[work]\nserver = {tm._server.url(USER)}\nmountpoint = ~/Mail/work\n"
                          f"password_command = cat {pw}\ncafile = {tm._server.cafile}\ntimeout = 0\n")
        rc, err = tm.run_imapfs(["-o", "timeout=20", "work", mnt], self.home, None)
        self.assertEqual((rc, err), (0, ""))
        self.assert_lists_the_account(mnt)
        self.assertFalse(os.path.exists(os.path.join(self.home, "Mail")))
        self.unmount(mnt)

    def test_errors_name_the_file_and_line(self):
        """Each bad accounts file: exit 2, one line naming FILE:LINE (or
        listing the accounts), nothing mounted."""
        mnt = self.mountpoint("m")
        url = tm._server.url(USER)
        head = f"[work]\nserver = {url}\nmountpoint = {mnt}\n"
        cases = [
            (head + "conections = 6\n", "work", r":4: unknown key 'conections' in account 'work'"),
            (head + "connections = x\n", "work",
             r":4: connections must be a number from 1 to 32, not 'x'"),
            (head + "password = secret\n", "work",
             r":4: a password is never accepted in the accounts file; use password_command"),
            (head + "\n[home]\nserver = " + url + "\n", "play",
             r": no account 'play'; the accounts there are: work, home"),
            (head + "just words\n", "work", r":4: Key file contains line"),
            ("[work]\nmountpoint = /m\n", "work", r":1: account 'work' has no server key"),
        ]
        for text, account, pattern in cases:
            with self.subTest(pattern=pattern):
                self.write_config(text)
                rc, err = tm.run_imapfs([account], self.home, tm.USERS[USER])
                lines = err.splitlines()
                self.assertEqual(rc, 2, err)
                self.assertEqual(len(lines), 1, err)
                self.assertTrue(lines[0].startswith(f"imapfs: {self.config}"), lines[0])
                self.assertRegex(lines[0], re.escape(self.config) + pattern)
                self.assertNotIn("secret", err)
                self.assertFalse(tm.is_mounted(mnt))
                self.assertEqual(tm.imapfs_pids(mnt), [])

    def test_mount8_options_by_hand_are_ignored(self):
        """What fstab users write, given to imapfs directly: mounts."""
        mnt = self.mountpoint("m")
        rc, err = tm.run_imapfs(["-o", f"cafile={tm._server.cafile},noauto,user,_netdev,nofail,"
                                 "x-systemd.automount,comment=x,defaults,noatime,nosuid,nodev",
                                 tm._server.url(USER), mnt], self.home, tm.USERS[USER])
        self.assertEqual((rc, err), (0, ""))
        self.assert_lists_the_account(mnt)
        self.unmount(mnt)


# --- mount(8) ----------------------------------------------------------------

_helper_skip = None
_bindir = None


def _probe_mount_helper():
    """None when mount(8) scenarios can run here, else why not."""
    global _bindir
    if os.geteuid() != 0:
        return "needs root (mount -t, mount -T and mount namespaces)"
    for prog in ("unshare", "mount", "umount", "runuser"):
        if not shutil.which(prog):
            return f"{prog} is missing"
    if not any(os.access(os.path.join(d, "mount.fuse3"), os.X_OK) for d in ("/sbin", "/usr/sbin")):
        return "mount.fuse3 is missing (package fuse3)"
    _bindir = tempfile.mkdtemp(prefix="bin-", dir=tm._tmp)
    os.chmod(_bindir, 0o755)
    os.symlink(os.path.realpath(tm.IMAPFS), os.path.join(_bindir, "imapfs"))
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        f"mount --bind {shlex.quote(_bindir)} /usr/local/sbin && "
                        "env -i /bin/sh -c 'command -v imapfs'"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return f"cannot bind-mount in a private mount namespace: {r.stderr.strip()}"
    if r.stdout.strip() != "/usr/local/sbin/imapfs":
        return f"/bin/sh without PATH finds imapfs at {r.stdout.strip()!r}, not /usr/local/sbin"
    return None


class _Scenario:
    """A shell script run in a private mount namespace by unshare; it
    mounts, records what the test checks, touches OUT/mounted, waits for
    OUT/go, unmounts.  kill() is what the watchdog calls on a hang."""

    def __init__(self, mnt, out):
        self.mnt, self.out, self.proc = mnt, out, None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        kill_daemons(self.mnt)
        if self in tm._live_mounts:
            tm._live_mounts.remove(self)


class MountHelperTest(TimedTestCase):
    """mount -t fuse.imapfs and fstab, through mount.fuse3 (SPEC §6)."""

    @classmethod
    def setUpClass(cls):
        global _helper_skip
        _helper_skip = _probe_mount_helper()
        if _helper_skip:
            raise unittest.SkipTest(_helper_skip)

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="helper-", dir=tm._tmp)
        os.chmod(self.dir, 0o755)
        self.mnt = os.path.join(self.dir, "mnt")
        self.out = os.path.join(self.dir, "out")
        self.pw = os.path.join(self.dir, "pw")
        self.cache = os.path.join(self.dir, "cache")
        os.makedirs(self.mnt)
        os.makedirs(self.out)
        with open(self.pw, "w") as f:
            f.write(tm.USERS[USER] + "\n")
        os.chmod(self.pw, 0o600)
        self.scenario = None
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        if self.scenario:
            self.scenario.kill()

    def run_scenario(self, setup, mount_cmd, as_user=None, env=None, timeout=90):
        """Runs mount_cmd (a shell command) after setup in the namespace,
        checks the mount while it stands, unmounts with umount.  Returns
        (daemon's /proc status, mountinfo line)."""
        run = (lambda c: f"runuser -u {as_user} -- {c}") if as_user else (lambda c: c)
        q = shlex.quote
        mnt, out = q(self.mnt), q(self.out)
        script = "\n".join([
            "set -e",
            f"mount --bind {q(_bindir)} /usr/local/sbin",
            setup,
            run(mount_cmd),
            run(f"ls -1 {mnt} > {out}/root"),
            run(f"ls -1 {mnt}/INBOX > {out}/inbox"),
            f"grep -F ' {self.mnt} ' /proc/self/mountinfo > {out}/mountinfo",
            f"touch {out}/mounted",
            f"while [ ! -e {out}/go ]; do sleep 0.05; done",
            run(f"umount {mnt}"),
            f"touch {out}/unmounted",
        ])
        self.scenario = _Scenario(self.mnt, self.out)
        tm._live_mounts.append(self.scenario)
        full_env = dict(os.environ, **(env or {}))
        with open(os.path.join(self.dir, "log"), "wb") as log:
            self.scenario.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                                   script], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                  env=full_env)
        deadline = time.monotonic() + timeout
        mounted = os.path.join(self.out, "mounted")
        while not os.path.exists(mounted):
            if self.scenario.proc.poll() is not None:
                self.fail(f"mount scenario failed (exit {self.scenario.proc.returncode}): {self.log()!r}")
            if time.monotonic() > deadline:
                self.fail(f"not mounted after {timeout} s: {self.log()!r}")
            time.sleep(0.05)
        pids = tm.imapfs_pids(self.mnt)
        self.assertEqual(len(pids), 1, f"one imapfs daemon expected: {pids}")
        self.assertEqual(os.readlink(f"/proc/{pids[0]}/exe"), os.path.realpath(tm.IMAPFS),
                         "mount.fuse3 ran another imapfs than this build's")
        with open(f"/proc/{pids[0]}/status") as f:
            status = f.read()
        with open(os.path.join(self.out, "go"), "w"):
            pass
        self.assertEqual(self.scenario.proc.wait(30), 0, self.log())
        self.assertTrue(os.path.exists(os.path.join(self.out, "unmounted")))
        self.assertEqual(wait_no_daemon(self.mnt), [], "imapfs still running after umount")
        self.assertEqual(self.read("root"), _expected["root"])
        self.assertEqual(self.read("inbox"), _expected["INBOX"])
        with open(os.path.join(self.out, "mountinfo")) as f:
            info = f.read().strip()
        self.assertIn(" - fuse.imapfs ", info)
        tm._live_mounts.remove(self.scenario)
        self.scenario = None
        return status, info

    def read(self, name):
        with open(os.path.join(self.out, name)) as f:
            return set(f.read().splitlines())

    def log(self):
        with open(os.path.join(self.dir, "log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def fstab_options(self, extra):
        """Our options for an fstab line: spaces as \\040, as fstab(5) says."""
        return ",".join(extra + [f"password_command=cat\\040{self.pw}", f"cafile={tm._server.cafile}",
                                 f"cache_dir={self.cache}"])

    @limit(120)
    def test_mount_t_with_server_and_options(self):
        opts = f"password_command=cat {self.pw},cafile={tm._server.cafile},cache_dir={self.cache},noatime"
        cmd = f"mount -t fuse.imapfs {shlex.quote(tm._server.url(USER))} {shlex.quote(self.mnt)} -o {shlex.quote(opts)}"
        _, info = self.run_scenario("", cmd)
        self.assertIn("noatime", info.split(" - ")[0])

    @limit(120)
    def test_fstab_line(self):
        """A fstab line with mount(8)'s own options (noauto, user, _netdev,
        nofail, x-systemd.*) and our options, spaces written \\040."""
        fstab = os.path.join(self.dir, "fstab")
        line = (f"{tm._server.url(USER)} {self.mnt} fuse.imapfs "
                + self.fstab_options(["noauto", "user", "_netdev", "nofail", "x-systemd.automount"])
                + " 0 0")
        tm._log(f"fstab line: {line}")
        with open(fstab, "w") as f:
            f.write("# imapfs test fstab\n" + line + "\n")
        _, info = self.run_scenario("", f"mount -T {shlex.quote(fstab)} {shlex.quote(self.mnt)}")
        # "user" implies nosuid,nodev,noexec.
        for flag in ("nosuid", "nodev", "noexec"):
            self.assertIn(flag, info.split(" - ")[0].split()[-1].split(","))

    @limit(120)
    def test_account_name_as_source(self):
        """mount -t fuse.imapfs work MNT: the account from the accounts
        file ($XDG_CONFIG_HOME: mount(8) passes it, but not HOME)."""
        cfg = os.path.join(self.dir, "config")
        os.makedirs(os.path.join(cfg, "imapfs"))
        with open(os.path.join(cfg, "imapfs", "config"), "w") as f:
            f.write(f"[work]\nserver = {tm._server.url(USER)}\npassword_command = cat {self.pw}\n"
                    f"cafile = {tm._server.cafile}\ncache_dir = {self.cache}\n")
        self.run_scenario("", f"mount -t fuse.imapfs work {shlex.quote(self.mnt)}",
                          env={"XDG_CONFIG_HOME": cfg})

    @limit(120)
    def test_user_fstab_entry_mounted_by_a_user(self):
        """A `user` entry of /etc/fstab, mounted and unmounted by nobody:
        the daemon runs as nobody (through fusermount3), and its default
        cache directory is in nobody's home although mount.fuse3 gives it
        HOME=/root.  (In the namespace, a copy of /etc/passwd gives nobody
        a home in the test's directory.)"""
        user = pwd.getpwnam("nobody")
        home = os.path.join(self.dir, "home")
        os.makedirs(home, 0o700)
        for path in (self.mnt, self.pw, self.dir, home):
            os.chown(path, user.pw_uid, user.pw_gid)
        passwd = os.path.join(self.dir, "passwd")
        with open("/etc/passwd") as f, open(passwd, "w") as g:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) == 7 and fields[0] == "nobody":
                    fields[5] = home
                g.write(":".join(fields) + "\n")
        os.chmod(passwd, 0o644)
        fstab = os.path.join(self.dir, "fstab")
        with open(fstab, "w") as f:
            f.write(f"{tm._server.url(USER)} {self.mnt} fuse.imapfs noauto,user,"
                    f"password_command=cat\\040{self.pw},cafile={tm._server.cafile} 0 0\n")
        setup = [f"mount --bind {shlex.quote(fstab)} /etc/fstab",
                 f"mount --bind {shlex.quote(passwd)} /etc/passwd"]
        if stat.S_IMODE(os.stat("/dev/fuse").st_mode) & 0o006 != 0o006:
            node = os.path.join(self.dir, "fuse")
            try:
                os.mknod(node, 0o666 | stat.S_IFCHR, os.stat("/dev/fuse").st_rdev)
            except OSError as e:
                self.skipTest(f"/dev/fuse is not 0666 and no node can be made: {e}")
            os.chmod(node, 0o666)
            setup.append(f"mount --bind {shlex.quote(node)} /dev/fuse")
        status, info = self.run_scenario("\n".join(setup), f"mount {shlex.quote(self.mnt)}", as_user="nobody")
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
        self.assertEqual(int(uid), user.pw_uid, "the daemon does not run as the user")
        self.assertIn(f"user_id={user.pw_uid}", info)
        cache = os.path.join(home, ".cache", "imapfs", f"{USER}@{dovecot.HOST}", "packs")
        self.assertTrue(os.path.isdir(cache), "the cache is not in the user's home")

if __name__ == "__main__":
    tm.main()
