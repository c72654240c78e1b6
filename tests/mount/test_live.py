#!/usr/bin/env python3
"""Changes made by another client show up without remounting (SPEC §5,
issue 6 point 1), measured: seconds from the other client's command to the
change being visible through the mount, for

    watched    a mailbox listed last (a watcher sits in IDLE on it): new
               mail, a flag change, an expunge (the name must also stop
               resolving: the kernel's cached entry is invalidated);
    unwatched  a mailbox no watcher holds (-o watch=1 and another mailbox
               listed after it): the new message is looked up by its name
               until it resolves, which happens once the listing is 10 s
               old.

Profiles of the throwaway Dovecot:

    full       as it comes (IDLE, CONDSTORE);
    noidle     without IDLE: every case takes the 10 s listing path;
    plain      without IDLE and CONDSTORE: the same, and flags are found
               changed by comparing every message's (UID FETCH 1:n FLAGS).

The other client is imaplib (tests/lib/oracle.py), never imapfs's code.
A table of the figures is printed at the end.

    python3 test_live.py IMAPFS_BINARY PROFILE [unittest arguments]
"""

import datetime
import os
import re
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

USER = "alice"
DOVECOT_CAPS = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
                "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL "
                "CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 "
                "CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS "
                "BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ "
                "NOTIFY SPECIAL-USE")
PROFILES = {
    "full": None,
    "noidle": " ".join(c for c in DOVECOT_CAPS.split() if c != "IDLE"),
    "plain": " ".join(c for c in DOVECOT_CAPS.split() if c not in ("IDLE", "CONDSTORE", "QRESYNC")),
}
PROFILE = "full"
LIST_TTL = 10
# SPEC §5: "within a few seconds" for a watched mailbox (issue 6: 5 s);
# at the latest once a listing is 10 s old otherwise.
WATCHED_MAX = 5.0
UNWATCHED_MAX = LIST_TTL + 2.0

RESULTS = []
_dt = datetime.datetime(2022, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)


def message(subject):
    return (f"From: Carol <carol@example.org>\r\nTo: Alice <alice@example.org>\r\n"
            f"Subject: {subject}\r\nDate: Fri, 04 Mar 2022 05:06:07 +0000\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@live.example>\r\n\r\nHi.\r\n").encode()


def client():
    return tm._server.imap_client(USER)


def append(box, subject):
    """Another client delivers a message; returns its UID."""
    m = client()
    try:
        seed.create_mailbox(m, box)
        seed.multiappend(m, box, [("", _dt, message(subject))])
        return max(x.uid for x in oracle.messages(m, box))
    finally:
        m.logout()


def uids(box):
    m = client()
    try:
        return [x.uid for x in oracle.messages(m, box)]
    finally:
        m.logout()


def use_modseq(box):
    """What a CONDSTORE client does: from then on Dovecot reports
    HIGHESTMODSEQ of box even where CONDSTORE is hidden (profile plain),
    which once froze imapfs's listing at the second refresh."""
    m = client()
    try:
        oracle.select(m, box)
        typ, dat = m.uid("FETCH", "1:*", "(MODSEQ)")
        assert typ == "OK", dat
    finally:
        m.logout()


def store(box, uid, op, flags, expunge=False):
    m = client()
    try:
        oracle.select(m, box, readonly=False)
        typ, dat = m.uid("STORE", str(uid), op, flags)
        assert typ == "OK", dat
        if expunge:
            typ, dat = m.uid("EXPUNGE", str(uid))
            assert typ == "OK", dat
    finally:
        m.logout()


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix=f"imapfs-live-{PROFILE}-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(120, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     capability=PROFILES[PROFILE])
        tm._server._own_root = True
        tm._server.start()


def tearDownModule():
    tm._cleanup()
    if RESULTS:
        print(f"\nprofile {PROFILE}: seconds until another client's change is visible")
        print(f"{'mailbox':10} {'change':28} {'seconds':>8} {'bound':>6}")
        for where, what, secs, bound in RESULTS:
            print(f"{where:10} {what:28} {secs:8.2f} {bound:6.1f}")


class LiveTest(TimedTestCase):
    DEFAULT_LIMIT = 90

    def setUp(self):
        super().setUp()
        self.box = f"L-{self._testMethodName}"
        self.other = f"{self.box}-other"
        for i in range(3):
            append(self.box, f"{self.box} seed {i}")
        append(self.other, f"{self.box} other")
        use_modseq(self.box)
        self.mount = Mount(USER, opts=self.mount_opts()).start()
        self.addCleanup(self._stop)

    def mount_opts(self):
        if "unwatched" in self._testMethodName:
            return ["-o", "watch=1"]
        if "renamed_here" in self._testMethodName:
            return ["-d", "-o", "watch=1"]
        return []

    def _stop(self):
        self.assertEqual(self.mount.stop(), [])
        self.assertEqual(self.mount.unexpected_output(), [], "unexpected daemon output")

    @staticmethod
    def where(watched):
        if PROFILE != "full":
            return "no IDLE"
        return "watched" if watched else "unwatched"

    def bound(self, watched):
        return WATCHED_MAX if watched and PROFILE == "full" else UNWATCHED_MAX

    def names(self, box):
        return sorted(os.listdir(self.mount.path(box)))

    def name_of(self, box, uid):
        for n in self.names(box):
            m = oracle.NAME_RE.match(n)
            if m and int(m.group(3)) == uid:
                return n
        self.fail(f"UID {uid} not listed in {box}")

    def watch(self, box):
        """Lists box, which makes it the watched one; gives the watcher
        the moment it needs to start its IDLE."""
        self.names(box)
        time.sleep(1.0)

    def until(self, what, cond, bound, where, interval=0.05):
        t0 = time.monotonic()
        while not cond():
            elapsed = time.monotonic() - t0
            if elapsed > bound + 5:
                RESULTS.append((where, what, elapsed, bound))
                self.fail(f"{what}: not visible after {elapsed:.1f} s")
            time.sleep(interval)
        elapsed = time.monotonic() - t0
        RESULTS.append((where, what, elapsed, bound))
        tm._log(f"{where} {what}: {elapsed:.2f} s")
        self.assertLessEqual(elapsed, bound, f"{what} took {elapsed:.1f} s")

    def test_new_mail_watched(self):
        before = self.names(self.box)
        self.watch(self.box)
        append(self.box, f"{self.box} new")
        self.until("new message", lambda: len(self.names(self.box)) == len(before) + 1,
                   self.bound(True), self.where(True))

    def test_flag_change_watched(self):
        uid = max(uids(self.box))
        path = self.mount.path(self.box, self.name_of(self.box, uid))
        self.assertNotIn(b"\\Flagged", os.getxattr(path, "user.imap.flags"))
        self.watch(self.box)
        store(self.box, uid, "+FLAGS", "(\\Flagged)")

        def flagged():
            # Without IDLE only a listing refreshes flags (once 10 s old).
            if PROFILE != "full":
                self.names(self.box)
            return b"\\Flagged" in os.getxattr(path, "user.imap.flags")
        self.until("flag change (\\Flagged)", flagged, self.bound(True), self.where(True))

    def test_expunge_watched(self):
        uid = min(uids(self.box))
        name = self.name_of(self.box, uid)
        path = self.mount.path(self.box, name)
        os.stat(path)  # the kernel now holds the name (attr_timeout 60 s)
        self.watch(self.box)
        store(self.box, uid, "+FLAGS.SILENT", "(\\Deleted)", expunge=True)
        self.until("expunge: gone from listing", lambda: name not in self.names(self.box),
                   self.bound(True), self.where(True))

        def gone():
            try:
                os.stat(path)
                return False
            except FileNotFoundError:
                return True
        # Without the invalidation the kernel would answer from its cache
        # for up to 60 s.
        self.until("expunge: name stops resolving", gone, self.bound(True), self.where(True))

    def test_new_mail_unwatched(self):
        self.names(self.box)
        self.watch(self.other)  # the only watcher leaves self.box
        uid = append(self.box, f"{self.box} new")
        name = None

        def resolves():
            nonlocal name
            # Looked up by name only: listing the directory would make it
            # the watched one again.
            m = client()
            try:
                want = [x for x in oracle.messages(m, self.box) if x.uid == uid]
            finally:
                m.logout()
            name = name or oracle.expected_name(want[0])
            return os.path.exists(self.mount.path(self.box, name))
        self.until("new message (looked up)", resolves, self.bound(False), self.where(False),
                   interval=0.25)

    def test_mailbox_deleted_by_another_client_is_left(self):
        if PROFILE != "full":
            self.skipTest("no IDLE: nothing watches")
        self.watch(self.other)
        mark = tm._server.log_mark()
        m = client()
        try:
            typ, dat = m.delete(self.other)
            self.assertEqual(typ, "OK", dat)
        finally:
            m.logout()
        # Dovecot ends the watcher's session; the watcher logs in again,
        # is told the mailbox does not exist, and leaves it.  Before, it
        # logged in again after 1, 2, 4 ... 60 s, for as long as it ran.
        time.sleep(8)
        logins = re.findall(r"Login: user=<alice>", tm._server.log_since(mark))
        self.assertLessEqual(len(logins), 2, tm._server.log_since(mark))  # this test's and one
        self.assertEqual(len(self.names(self.box)), 3)
        self.assertEqual(len(re.findall(r"watcher \d+: .*: EXAMINE: NO", self.mount.stderr())), 1,
                         self.mount.stderr())

    def test_mailbox_renamed_here_is_left(self):
        if PROFILE != "full":
            self.skipTest("no IDLE: nothing watches")
        self.watch(self.other)
        self.assertIn(f"watcher 1: idle on {self.other}\n", self.mount.stderr())
        os.rename(self.mount.path(self.other), self.mount.path(self.other + "-renamed"))
        # The watcher leaves IDLE on the name that is gone at once, not
        # when some other mailbox is listed.
        deadline = time.monotonic() + 5
        while (f"watcher 1: idle done on {self.other}\n" not in self.mount.stderr() and
               time.monotonic() < deadline):
            time.sleep(0.05)
        self.assertIn(f"watcher 1: idle done on {self.other}\n", self.mount.stderr())
        # ... and closes that session: a server may end it at any moment
        # (Dovecot's sdbox does), so the next mailbox gets a new one.
        deadline = time.monotonic() + 5
        while ("watcher 1: closing the session of a mailbox gone" not in self.mount.stderr() and
               time.monotonic() < deadline):
            time.sleep(0.05)
        self.assertIn("watcher 1: closing the session of a mailbox gone", self.mount.stderr())
        mark = tm._server.log_mark()
        self.watch(self.box)
        self.assertEqual(len(re.findall(r"Login: user=<alice>", tm._server.log_since(mark))), 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        tm.IMAPFS = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and sys.argv[1] in PROFILES:
        PROFILE = sys.argv.pop(1)
    unittest.main(verbosity=2)
