#!/usr/bin/env python3
"""df on the mount (issue 7 point 7, SPEC §5): against a Dovecot with the
quota plugin (10 MiB and 1000 messages), statvfs reports the quota's limit
and usage as the server tells them to an independent client (imaplib's
GETQUOTAROOT), follows a change within a refresh, and never waits on the
network, not even while the server is stopped (SIGSTOP) and a refresh
hangs behind it.  Against a Dovecot without quota, df shows the honest
stand-in: used = what is listed, free = 1 PiB, never 100% used.

    python3 test_quota.py IMAPFS_BINARY [unittest arguments]

Reuses test_mount's Mount, watchdogs and conventions.
"""

import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dovecot  # noqa: E402
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, Watchdog, limit  # noqa: E402

USER = "carol"
QUOTA_KIB = 10 * 1024
QUOTA_MSGS = 1000
# imapfs refreshes the quota at most every 60 s, and 10 s after a failure
# (src/fs/quota.c).
TTL_S = 60
RETRY_S = 10
# What imapfs may print while the server is stopped.
ALLOWED = [r"timed out", r"cannot connect", r"connection", r"TLS"]


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-quota-")
    os.chmod(tm._tmp, 0o755)
    with Watchdog(120, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     quota=f"*:storage={QUOTA_KIB}K:messages={QUOTA_MSGS}")
        tm._server._own_root = True
        tm._server.start()


def tearDownModule():
    tm._cleanup()


def message(n, size):
    body = (b"quota test line %d\r\n" % n) * (size // 20)
    return (b"From: q@example.org\r\nTo: carol@example.org\r\nSubject: quota %d\r\n"
            b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <quota%d@example.org>\r\n\r\n"
            % (n, n)) + body


def append(n, size):
    m = tm._server.imap_client(USER)
    try:
        for i in range(n):
            typ, _ = m.append("INBOX", None, None, message(i, size))
            assert typ == "OK"
    finally:
        m.logout()


def server_quota():
    """(storage used KiB, limit KiB, messages used, limit) by imaplib."""
    m = tm._server.imap_client(USER)
    try:
        typ, data = m.getquotaroot("INBOX")
    finally:
        m.logout()
    assert typ == "OK", data
    quota = [d for d in data[1] if d]
    mt = re.search(rb"\(STORAGE (\d+) (\d+) MESSAGE (\d+) (\d+)\)", quota[0])
    assert mt, data
    return tuple(int(x) for x in mt.groups())


def df(path):
    """(total, used, available) bytes and (files, free files), as df does."""
    st = os.statvfs(path)
    return ((st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bfree) * st.f_frsize,
             st.f_bavail * st.f_frsize), (st.f_files, st.f_ffree))


def timed_statvfs(path):
    t0 = time.monotonic()
    df(path)
    return time.monotonic() - t0


class QuotaTest(TimedTestCase):
    DEFAULT_LIMIT = 240

    def mount(self, *opts):
        mt = Mount(USER, ["-o", f"cache_dir={tempfile.mkdtemp(prefix='cache-', dir=tm._tmp)}",
                          *opts])
        self.addCleanup(lambda: mt.kill() if mt in tm._live_mounts else None)
        mt.start()
        return mt

    def assert_df_is(self, mt, q):
        used, lim, msgs, mlim = q
        (total, dused, avail), (files, ffree) = df(mt.mnt)
        self.assertEqual(total, lim * 1024)
        self.assertEqual(dused, used * 1024)
        self.assertEqual(avail, (lim - used) * 1024)
        self.assertEqual(files, mlim)
        self.assertEqual(files - ffree, msgs)

    def wait_df(self, mt, q, seconds):
        """Polls statvfs (each call may start a refresh) until it shows q."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.assert_df_is(mt, q)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    @limit(300)
    def test_df_follows_the_quota_and_never_waits(self):
        append(3, 100_000)
        before = server_quota()
        self.assertGreater(before[0], 200)  # about 300 KiB used
        mt = self.mount("-o", "timeout=2")
        t_mount = time.monotonic()
        # Fetched at mount: the first df is right already.
        self.assert_df_is(mt, before)

        append(5, 200_000)
        after = server_quota()
        self.assertGreater(after[0], before[0] + 800)  # about 930 KiB more
        # Within the refresh interval df keeps the numbers it has.
        self.assert_df_is(mt, before)

        # Past it, with the server stopped: the statvfs that starts the
        # refresh, and every one while it hangs, answer at once.
        time.sleep(max(0, t_mount + TTL_S + 1 - time.monotonic()))
        with tm._server.stopped():
            slowest = 0.0
            t0 = time.monotonic()
            while time.monotonic() - t0 < 6:  # longer than the refresh can hang
                slowest = max(slowest, timed_statvfs(mt.mnt))
                self.assert_df_is(mt, before)
                time.sleep(0.05)
            self.assertLess(slowest, 0.1)
        # The failed refresh is tried again within RETRY_S; then df shows
        # the new usage.
        self.wait_df(mt, after, RETRY_S + 15)
        self.assertEqual(mt.stop(), [])
        self.assertEqual(mt.unexpected_output(ALLOWED), [], mt.stderr())


class NoQuotaTest(TimedTestCase):
    """The same account on a server without the quota plugin."""

    DEFAULT_LIMIT = 120

    @classmethod
    def setUpClass(cls):
        cls._main_server = tm._server
        with Watchdog(120, "NoQuotaTest.setUpClass"):
            tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot-noquota"),
                                         users=tm.USERS)
            tm._server._own_root = True
            tm._server.start()
        append(2, 50_000)

    @classmethod
    def tearDownClass(cls):
        try:
            tm._server.stop(remove=False)
        finally:
            tm._server = cls._main_server

    def test_df_without_quota_is_not_full(self):
        mt = Mount(USER, ["-o", f"cache_dir={tempfile.mkdtemp(prefix='cache-', dir=tm._tmp)}"])
        self.addCleanup(lambda: mt.kill() if mt in tm._live_mounts else None)
        mt.start()
        os.listdir(mt.path("INBOX"))  # listed: its bytes count as used
        (total, used, avail), (files, ffree) = df(mt.mnt)
        self.assertEqual(avail, 1 << 50)
        self.assertEqual(total, used + avail)
        # The listed messages' RFC822.SIZEs, in whole KiB.
        size = sum(len(message(i, 50_000)) for i in range(2))
        self.assertEqual(used, (size + 1023) // 1024 * 1024)
        self.assertEqual(files - ffree, 2)
        self.assertGreater(ffree, 0)
        self.assertLess(timed_statvfs(mt.mnt), 0.1)
        self.assertEqual(mt.stop(), [])
        self.assertEqual(mt.unexpected_output(), [], mt.stderr())


if __name__ == "__main__":
    tm.main()
