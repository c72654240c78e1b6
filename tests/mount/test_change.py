#!/usr/bin/env python3
"""Changing mail (SPEC §4) on real mounts, in one of three capability
profiles of a throwaway Dovecot:

    full       Dovecot as it comes (MOVE, UIDPLUS);
    nomove     no MOVE: mv is UID COPY + STORE + UID EXPUNGE;
    nouidplus  neither MOVE nor UIDPLUS: rm and mv fail with EOPNOTSUPP.

Every step is checked with an independent client (imaplib, oracle.py).
A second client marks other messages \\Deleted without expunging them, and
every test checks that those survive.

    python3 test_change.py IMAPFS_BINARY PROFILE [unittest arguments]
"""

import datetime
import errno
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, limit  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed
mutf7 = oracle.mutf7

USER = "alice"
# Dovecot 2.3's own list, less what a profile takes away.
DOVECOT_CAPS = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
                "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL "
                "CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 "
                "CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS "
                "BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ "
                "NOTIFY SPECIAL-USE")
PROFILES = {
    "full": None,
    "nomove": " ".join(c for c in DOVECOT_CAPS.split() if c != "MOVE"),
    "nouidplus": " ".join(c for c in DOVECOT_CAPS.split() if c not in ("MOVE", "UIDPLUS")),
}
PROFILE = "full"
SETTLE_WAIT = 15  # seconds an append may take to show (settle is ~2 s)

_dt = datetime.datetime(2021, 5, 4, 3, 2, 1, tzinfo=datetime.timezone.utc)


def message(subject, body="Hello.\r\n", msgid=None, date="Tue, 04 May 2021 03:02:01 +0000"):
    h = f"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: {subject}\r\nDate: {date}\r\n"
    if msgid:
        h += f"Message-ID: <{msgid}>\r\n"
    return (h + "\r\n" + body).encode()


def has_uidplus():
    return PROFILE != "nouidplus"


class Server:
    """The independent client's view."""

    @staticmethod
    def client():
        return tm._server.imap_client(USER)

    @classmethod
    def boxes(cls):
        m = cls.client()
        try:
            return {b.name for b in oracle.mailboxes(m)}
        finally:
            m.logout()

    @classmethod
    def msgs(cls, box):
        m = cls.client()
        try:
            return oracle.messages(m, box)
        finally:
            m.logout()

    @classmethod
    def bodies(cls, box):
        m = cls.client()
        try:
            return oracle.fetch_bodies(m, box)
        finally:
            m.logout()

    @classmethod
    def flags(cls, box):
        m = cls.client()
        try:
            return oracle.fetch_flags(m, box)
        finally:
            m.logout()

    @classmethod
    def append(cls, box, raw, flags="", dt=_dt):
        m = cls.client()
        try:
            seed.create_mailbox(m, box)
            seed.multiappend(m, box, [(flags, dt, raw)])
        finally:
            m.logout()

    @classmethod
    def mark_deleted(cls, box, uid):
        """What another client does: \\Deleted, no expunge."""
        m = cls.client()
        try:
            oracle.select(m, box, readonly=False)
            typ, dat = m.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            assert typ == "OK", dat
        finally:
            m.logout()


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix=f"imapfs-change-{PROFILE}-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(120, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     capability=PROFILES[PROFILE], storage="sdbox")
        tm._server._own_root = True
        tm._server.start()
    tm._log(f"profile {PROFILE}: capability {PROFILES[PROFILE] or '(Dovecot default)'}")


def tearDownModule():
    tm._cleanup()


class ChangeTest(TimedTestCase):
    """One mount per test, on a folder of its own."""

    DEFAULT_LIMIT = 120

    def setUp(self):
        super().setUp()
        self.box = f"T-{self._testMethodName}"
        # A bystander: another client's \Deleted message that nothing here
        # may expunge.
        Server.append(self.box, message("bystander", msgid=f"by-{self.box}@x"))
        self.bystander = Server.msgs(self.box)[0].uid
        Server.mark_deleted(self.box, self.bystander)
        # What the tests work on is there before the mount: what another
        # client adds later shows only once a listing is 10 s old.
        for subject in ("to remove", "to move", "immutable", "flagged"):
            Server.append(self.box, message(subject, msgid=f"{subject.replace(' ', '-')}-{self.box}@x"))
        Server.append(f"{self.box}-dest", message("resident"))
        self.seed()
        self.seeded = [m.uid for m in Server.msgs(self.box)]
        self.mount = Mount(USER).start()
        self.addCleanup(self._stop)

    def _stop(self):
        problems = self.mount.stop()
        self.assertEqual(problems, [])
        bad = self.mount.unexpected_output(allowed=self.allowed_output())
        self.assertEqual(bad, [], "unexpected daemon output")
        # The bystander survives everything.
        if self.box in Server.boxes():
            self.assertIn(self.bystander, Server.flags(self.box), "a foreign \\Deleted message was expunged")

    def seed(self):
        """More for one test, before the mount."""
        if self._testMethodName == "test_folder_lists_its_messages_right_after_a_rename":
            for i in range(3):
                Server.append(f"{self.box}/Ping", message(f"ping {i}", msgid=f"ping{i}-{self.box}@x"))
        if self._testMethodName == "test_rsync_round_trip":
            m = Server.client()
            try:
                seed.create_mailbox(m, self.rsync_src)
                items = [("", _dt + datetime.timedelta(days=i),
                          message(f"round trip {i}", msgid=f"rt{i}@x", body=f"body {i}\r\n" * (i + 1)))
                         for i in range(12)]
                items.append(("", _dt, message("no message id", body="x\r\n")))
                seed.multiappend(m, self.rsync_src, items)
            finally:
                m.logout()

    @property
    def rsync_src(self):
        return f"{self.box}-src"

    def allowed_output(self):
        return getattr(self, "_allowed", ())

    def allow(self, *patterns):
        self._allowed = tuple(getattr(self, "_allowed", ())) + patterns

    def p(self, *parts):
        return self.mount.path(*parts)

    def names(self, box):
        return sorted(os.listdir(self.p(*box.split("/"))))

    def wait_server(self, box, pred, what, timeout=SETTLE_WAIT):
        deadline = time.monotonic() + timeout
        while True:
            msgs = Server.msgs(box)
            if pred(msgs):
                return msgs
            if time.monotonic() > deadline:
                self.fail(f"{what}: not on the server after {timeout} s: {[(m.uid, m.subject_field) for m in msgs]}")
            time.sleep(0.25)

    def write_file(self, path, data, mtime=None):
        with open(path, "wb") as f:
            f.write(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    # --- folders ----------------------------------------------------------

    def test_mkdir_rmdir(self):
        os.mkdir(self.p(self.box, "Sub"))
        self.assertIn(f"{self.box}/Sub", Server.boxes())
        self.assertTrue(os.path.isdir(self.p(self.box, "Sub")))
        name = "Café ✓"
        os.mkdir(self.p(name))
        self.assertIn(name, Server.boxes(), "the UTF-8 name reaches the server as modified UTF-7")
        self.assertIn(name, os.listdir(self.mount.mnt))
        with self.assertRaises(FileExistsError):
            os.mkdir(self.p(name))
        os.rmdir(self.p(name))
        self.assertNotIn(name, Server.boxes())
        self.assertNotIn(name, os.listdir(self.mount.mnt))
        os.rmdir(self.p(self.box, "Sub"))
        self.assertNotIn(f"{self.box}/Sub", Server.boxes())

    def test_mkdir_refuses_bad_names(self):
        before = Server.boxes()
        for name, err in [("bad\nname", errno.EINVAL), ("tab\there", errno.EINVAL), ("x\x7f", errno.EINVAL),
                          (".Trash-0", errno.EPERM), (".Trash", errno.EPERM), (".xdg-volume-info", errno.EPERM),
                          ("2020-01-01 x [5].eml", errno.EPERM), ("m.parts", errno.EPERM)]:
            with self.assertRaises(OSError, msg=repr(name)) as cm:
                os.mkdir(self.p(self.box, name))
            self.assertEqual(cm.exception.errno, err, repr(name))
        self.assertEqual(Server.boxes(), before, "a refused name reached the server")

    def test_rmdir_refusals(self):
        with self.assertRaises(OSError) as cm:
            os.rmdir(self.p(self.box))  # holds the bystander
        self.assertEqual(cm.exception.errno, errno.ENOTEMPTY)
        with self.assertRaises(OSError) as cm:
            os.rmdir(self.p("INBOX"))
        self.assertIn(cm.exception.errno, (errno.EPERM, errno.ENOTEMPTY))
        os.mkdir(self.p(self.box, "Parent"))
        os.mkdir(self.p(self.box, "Parent", "Child"))
        with self.assertRaises(OSError) as cm:
            os.rmdir(self.p(self.box, "Parent"))
        self.assertEqual(cm.exception.errno, errno.ENOTEMPTY)
        # A message another client adds after our listing still counts.
        os.mkdir(self.p(self.box, "Late"))
        os.listdir(self.p(self.box, "Late"))
        Server.append(f"{self.box}/Late", message("late arrival"))
        with self.assertRaises(OSError) as cm:
            os.rmdir(self.p(self.box, "Late"))
        self.assertEqual(cm.exception.errno, errno.ENOTEMPTY)
        self.assertEqual(len(Server.msgs(f"{self.box}/Late")), 1)
        self.assertIn(f"{self.box}/Parent/Child", Server.boxes())

    def test_rename_folder(self):
        os.mkdir(self.p(self.box, "Old"))
        Server.append(f"{self.box}/Old", message("inside"))
        os.listdir(self.p(self.box, "Old"))
        os.rename(self.p(self.box, "Old"), self.p(self.box, "New"))
        boxes = Server.boxes()
        self.assertIn(f"{self.box}/New", boxes)
        self.assertNotIn(f"{self.box}/Old", boxes)
        self.assertEqual(len(Server.msgs(f"{self.box}/New")), 1)
        self.assertEqual(len(os.listdir(self.p(self.box, "New"))), 1)
        self.assertFalse(os.path.exists(self.p(self.box, "Old")))
        with self.assertRaises(OSError) as cm:
            os.rename(self.p("INBOX"), self.p("Inbox2"))
        self.assertEqual(cm.exception.errno, errno.EPERM)
        self.assertIn("INBOX", Server.boxes())

    def test_folder_lists_its_messages_right_after_a_rename(self):
        """The kernel moves a renamed directory's entry to the old
        directory, and imapfs's invalidation of it comes a moment after
        the rename returns: meanwhile the old directory must show the
        renamed mailbox, not the empty one that is gone (before the fix,
        18 of 40 listings right after a rename were empty)."""
        names = ["Ping", "Pong"]
        self.assertEqual(len(os.listdir(self.p(self.box, "Ping"))), 3)
        wrong = []
        for i in range(30):
            src, dst = names[i % 2], names[(i + 1) % 2]
            os.rename(self.p(self.box, src), self.p(self.box, dst))
            got = sorted(n for n in os.listdir(self.p(self.box, dst)) if n.endswith(".eml"))
            if len(got) != 3:
                wrong.append((i, dst, got))
            for n in got:
                os.stat(self.p(self.box, dst, n))  # and each name looks up
        self.assertEqual(wrong, [])
        self.assertEqual(len(Server.msgs(f"{self.box}/{names[30 % 2]}")), 3)

    # --- messages ---------------------------------------------------------

    def _one(self, subject):
        msg = [m for m in Server.msgs(self.box) if subject.encode() in m.subject_field][0]
        return msg, self.p(self.box, oracle.expected_name(msg))

    def test_rm(self):
        msg, path = self._one("to remove")
        if not has_uidplus():
            with self.assertRaises(OSError) as cm:
                os.unlink(path)
            self.assertEqual(cm.exception.errno, errno.EOPNOTSUPP)
            self.assertIn(msg.uid, Server.flags(self.box))
            self.assertNotIn("\\Deleted", Server.flags(self.box)[msg.uid])
            self.allow(r"UIDPLUS|not supported")
            return
        os.unlink(path)
        self.assertNotIn(msg.uid, Server.flags(self.box))
        self.assertFalse(os.path.exists(path))
        self.assertNotIn(os.path.basename(path), os.listdir(self.p(self.box)))

    def test_mv_to_other_folder(self):
        other = f"{self.box}-dest"
        msg, path = self._one("to move")
        body = Server.bodies(self.box)[msg.uid]
        os.listdir(self.p(other))
        if not has_uidplus():
            with self.assertRaises(OSError) as cm:
                os.rename(path, self.p(other, os.path.basename(path)))
            self.assertEqual(cm.exception.errno, errno.EOPNOTSUPP)
            self.assertIn(msg.uid, Server.flags(self.box))
            self.assertEqual(len(Server.msgs(other)), 1)
            return
        os.rename(path, self.p(other, os.path.basename(path)))
        self.assertNotIn(msg.uid, Server.flags(self.box))
        moved = [m for m in Server.msgs(other) if b"to move" in m.subject_field]
        self.assertEqual(len(moved), 1, "moved exactly once")
        self.assertEqual(Server.bodies(other)[moved[0].uid], body)
        self.assertEqual(moved[0].internaldate, msg.internaldate)
        # It shows under its canonical name in the target, and not under
        # the old one anywhere.
        self.assertIn(oracle.expected_name(moved[0]), os.listdir(self.p(other)))
        self.assertNotIn(os.path.basename(path), os.listdir(self.p(self.box)))
        with open(self.p(other, oracle.expected_name(moved[0])), "rb") as f:
            self.assertEqual(f.read(), body)

    def test_rename_within_folder_and_writes_refused(self):
        msg, path = self._one("immutable")
        body = Server.bodies(self.box)[msg.uid]
        attempts = [
            ("rename", lambda: os.rename(path, self.p(self.box, "renamed.eml"))),
            ("write", lambda: tm.write_once(path, b"x")),
            ("truncate", lambda: os.truncate(path, 0)),
            ("chmod", lambda: os.chmod(path, 0o644)),
            ("utime", lambda: os.utime(path, (0, 0))),
            ("xattr uid", lambda: os.setxattr(path, "user.imap.uid", b"7")),
        ]
        for what, fn in attempts:
            with self.assertRaises(OSError, msg=what) as cm:
                fn()
            self.assertEqual(cm.exception.errno, errno.EPERM, f"{what}: {cm.exception}")
        self.assertEqual(Server.bodies(self.box)[msg.uid], body)

    def test_flags(self):
        msg, path = self._one("flagged")
        os.setxattr(path, "user.imap.flags", b"\\Seen \\Flagged $Label1")
        self.assertEqual(Server.flags(self.box)[msg.uid], {"\\Seen", "\\Flagged", "$Label1"})
        self.assertEqual(set(os.getxattr(path, "user.imap.flags").decode().split()),
                         {"\\Seen", "\\Flagged", "$Label1"})
        os.setxattr(path, "user.imap.flags", b"")
        self.assertEqual(Server.flags(self.box)[msg.uid], set())
        for bad in [b"(x", b"\\Seen\r\nA1 LOGOUT", b"a\"b", b"x{3}"]:
            with self.assertRaises(OSError, msg=bad) as cm:
                os.setxattr(path, "user.imap.flags", bad)
            self.assertEqual(cm.exception.errno, errno.EINVAL, bad)
        self.assertEqual(Server.flags(self.box)[msg.uid], set())

    # --- new messages -----------------------------------------------------

    def test_cp_appends_once(self):
        src = os.path.join(self.mount.dir, "src.eml")
        raw = message("copied in", msgid="copied-in@x")
        when = 1_000_000_000  # 2001-09-09
        self.write_file(src, raw, when)
        r = subprocess.run(["cp", "-p", src, self.p(self.box, "given name.eml")], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Visible at once under the name given.
        self.assertIn("given name.eml", os.listdir(self.p(self.box)))
        with open(self.p(self.box, "given name.eml"), "rb") as f:
            self.assertEqual(f.read(), raw)
        msgs = self.wait_server(self.box, lambda ms: any(b"copied in" in m.subject_field for m in ms), "cp -p")
        new = [m for m in msgs if b"copied in" in m.subject_field]
        self.assertEqual(len(new), 1)
        self.assertEqual(new[0].mtime, when, "INTERNALDATE is the file's mtime")
        self.assertEqual(Server.bodies(self.box)[new[0].uid], raw)
        time.sleep(1)
        names = os.listdir(self.p(self.box))
        self.assertIn(oracle.expected_name(new[0]), names)
        self.assertNotIn("given name.eml", names)
        time.sleep(3)
        self.assertEqual(len([m for m in Server.msgs(self.box) if b"copied in" in m.subject_field]), 1)

    def test_cp_a_between_folders_keeps_flags_and_date(self):
        msg, path = self._one("flagged")
        os.setxattr(path, "user.imap.flags", b"\\Flagged $Label1")
        dest = f"{self.box}-dest"
        r = subprocess.run(["cp", "-a", path, self.p(dest) + "/"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        got = self.wait_server(dest, lambda ms: any(b"flagged" in m.subject_field for m in ms), "cp -a")
        time.sleep(3)
        got = [m for m in Server.msgs(dest) if b"flagged" in m.subject_field]
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].internaldate, msg.internaldate)
        self.assertEqual(set(got[0].flags) - {"\\Recent"}, {"\\Flagged", "$Label1"})
        self.assertEqual(Server.bodies(dest)[got[0].uid], Server.bodies(self.box)[msg.uid])
        self.assertIn(msg.uid, Server.flags(self.box), "cp leaves the original")

    def test_lf_only_message_becomes_crlf(self):
        raw = message("lf only").replace(b"\r\n", b"\n")
        path = self.p(self.box, "lf.eml")
        self.write_file(path, raw)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # appended now
        finally:
            os.close(fd)
        new = [m for m in Server.msgs(self.box) if b"lf only" in m.subject_field]
        self.assertEqual(len(new), 1)
        self.assertEqual(Server.bodies(self.box)[new[0].uid], raw.replace(b"\n", b"\r\n"))

    def test_non_message_refused(self):
        self.allow(r"is not a message")
        for name, data in [("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2000)),
                           ("notes.txt", b"just some text\nno header\n")]:
            with self.assertRaises(OSError, msg=name) as cm:
                with open(self.p(self.box, name), "wb") as f:
                    f.write(data)
            self.assertEqual(cm.exception.errno, errno.EINVAL, name)
            self.assertNotIn(name, os.listdir(self.p(self.box)))
        # At fsync too, before any close.
        fd = os.open(self.p(self.box, "junk.eml"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.write(fd, b"not a message at all\n")
            with self.assertRaises(OSError) as cm:
                os.fsync(fd)
            self.assertEqual(cm.exception.errno, errno.EINVAL)
        finally:
            os.close(fd)
        self.assertNotIn("junk.eml", os.listdir(self.p(self.box)))
        time.sleep(3)
        self.assertEqual([m.uid for m in Server.msgs(self.box)], self.seeded, "nothing was appended")

    def test_rm_staged_before_append(self):
        path = self.p(self.box, "never.eml")
        self.write_file(path, message("never appended"))
        os.unlink(path)
        time.sleep(3.5)
        self.assertEqual([m.uid for m in Server.msgs(self.box)], self.seeded)

    def test_rsync_round_trip(self):
        src = self.rsync_src
        out = os.path.join(self.mount.dir, "backup")
        r = subprocess.run(["rsync", "-a", self.p(src) + "/", out + "/"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.mkdir(self.p(f"{self.box}-restored"))
        r = subprocess.run(["rsync", "-a", out + "/", self.p(f"{self.box}-restored") + "/"], capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = Server.msgs(src)
        got = self.wait_server(f"{self.box}-restored", lambda ms: len(ms) >= len(want), "rsync -a restore")
        time.sleep(3)
        got = Server.msgs(f"{self.box}-restored")
        self.assertEqual(len(got), len(want), "each message exactly once")
        wb, gb = Server.bodies(src), Server.bodies(f"{self.box}-restored")
        self.assertEqual(sorted(wb.values()), sorted(gb.values()), "same bytes")
        self.assertEqual(sorted((m.mtime, m.size) for m in want), sorted((m.mtime, m.size) for m in got),
                         "same INTERNALDATEs")
        # A second rsync out of the mount finds nothing to do.
        r = subprocess.run(["rsync", "-a", "--itemize-changes", self.p(src) + "/", out + "/"],
                           capture_output=True, timeout=60, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "", "second rsync transferred something")

    def test_tar_x(self):
        srcdir = os.path.join(self.mount.dir, "tarsrc")
        os.makedirs(srcdir)
        for i in range(3):
            self.write_file(os.path.join(srcdir, f"m{i}.eml"), message(f"tarred {i}", msgid=f"tar{i}@x"),
                            1_100_000_000 + i)
        tarball = os.path.join(self.mount.dir, "t.tar")
        subprocess.run(["tar", "-C", srcdir, "-cf", tarball, "."], check=True, timeout=30)
        r = subprocess.run(["tar", "-C", self.p(self.box), "-xf", tarball], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = self.wait_server(self.box, lambda ms: sum(b"tarred" in m.subject_field for m in ms) >= 3, "tar x")
        time.sleep(3)
        tarred = [m for m in Server.msgs(self.box) if b"tarred" in m.subject_field]
        self.assertEqual(len(tarred), 3)
        self.assertEqual(sorted(m.mtime for m in tarred), [1_100_000_000 + i for i in range(3)])

    def test_unmount_appends_pending(self):
        self.write_file(self.p(self.box, "last minute.eml"), message("last minute"))
        problems = self.mount.stop()
        self.assertEqual(problems, [])
        self.assertEqual(len([m for m in Server.msgs(self.box) if b"last minute" in m.subject_field]), 1)
        self.mount = Mount(USER).start()

    @limit(180)
    def test_crash_then_remount_appends_once(self):
        cache = os.path.join(self.mount.dir, "cache")
        self.mount.stop()
        self.mount = Mount(USER, opts=["-o", f"cache_dir={cache}"]).start()
        when = 999_999_999  # what cp -p would have set: it must survive the crash
        self.write_file(self.p(self.box, "crash.eml"), message("survives a crash", msgid="crash@x"), when)
        self.mount.kill()  # SIGKILL before the settle time
        self.assertEqual([m for m in Server.msgs(self.box) if b"survives" in m.subject_field], [])
        self.allow(r"earlier run")
        self.mount = Mount(USER, opts=["-o", f"cache_dir={cache}"]).start()
        got = self.wait_server(self.box, lambda ms: any(b"survives" in m.subject_field for m in ms), "after remount")
        self.assertEqual([m.mtime for m in got if b"survives" in m.subject_field], [when])
        problems = self.mount.stop()
        self.assertEqual(problems, [])
        self.mount = Mount(USER, opts=["-o", f"cache_dir={cache}"]).start()
        time.sleep(3)
        self.assertEqual(len([m for m in Server.msgs(self.box) if b"survives" in m.subject_field]), 1,
                         "appended exactly once")


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        tm.IMAPFS = os.path.abspath(sys.argv.pop(1))
    if len(sys.argv) > 1 and sys.argv[1] in PROFILES:
        PROFILE = sys.argv.pop(1)
    unittest.main(verbosity=2)
