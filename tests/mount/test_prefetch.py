#!/usr/bin/env python3
"""Bulk prefetch and the connection pool, on real mounts (issue 3, points
1 and 4).  Reuses test_mount's harness (Mount, watchdogs, conventions) on
its own throwaway Dovecot, which writes a raw log of every session
(rawlog_dir): the commands imapfs sent are counted at the server, never
from imapfs's own output.

    python3 test_prefetch.py IMAPFS_BINARY [unittest arguments]
"""

import datetime
import glob
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, limit  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

USER = "carol"
FOLDERS = ["P0", "P1", "P2", "P3"]
PER_FOLDER = 200
LONG, LONG_N = "Long", 1500
# The window prefetch.c keeps ahead of a reader, in messages.
WINDOW_MSGS = 512
# A body fetch in the raw log: imapfs's block path or its bulk fetch.
# Dovecot's raw log starts each line with a timestamp.
BODY_FETCH = re.compile(rb"^[0-9.]+ \S+ UID FETCH (\S+) \((?:UID )?BODY\.PEEK\[\]<", re.M)

_rawlog = None


def _message(folder, i, size):
    body = (f"{folder} message {i}: " + "x" * 70 + "\r\n") * (size // 90 + 1)
    return (f"From: Prefetch <p@example.org>\r\nTo: carol@example.org\r\n"
            f"Subject: {folder} number {i:05d}\r\nMessage-ID: <{folder}.{i}@example.org>\r\n"
            f"Date: Mon, 2 Jan 2023 10:00:00 +0000\r\n\r\n{body}").encode()


def setUpModule():
    global _rawlog
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-prefetch-")
    os.chmod(tm._tmp, 0o755)
    _rawlog = os.path.join(tm._tmp, "rawlog")
    os.makedirs(_rawlog)
    os.chmod(_rawlog, 0o777)
    with tm.Watchdog(300, "setUpModule"):
        t0 = time.monotonic()
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     extra_conf=f"rawlog_dir = {_rawlog}\n")
        tm._server._own_root = True
        tm._server.start()
        m = tm._server.imap_client(USER, timeout=300)
        try:
            dt = datetime.datetime(2023, 1, 2, 10, 0, tzinfo=datetime.timezone.utc)
            for k, f in enumerate(FOLDERS):
                seed.create_mailbox(m, f)
                seed.multiappend(m, f, [("", dt, _message(f, i, 1500 + 700 * ((i + k) % 7)))
                                        for i in range(PER_FOLDER)])
            seed.create_mailbox(m, LONG)
            seed.multiappend(m, LONG, [("", dt, _message(LONG, i, 4000)) for i in range(LONG_N)])
        finally:
            m.logout()
        tm._log(f"prefetch server up and seeded in {time.monotonic() - t0:.1f} s")


def tearDownModule():
    tm._cleanup()


def rawlog_inputs():
    """{path: bytes} of what clients sent, one file per session."""
    res = {}
    for p in glob.glob(os.path.join(_rawlog, "*.in")):
        with open(p, "rb") as f:
            res[p] = f.read()
    return res


def new_sessions(before):
    return {p: d for p, d in rawlog_inputs().items() if p not in before}


def body_fetches(sessions):
    """The UID sets of every body FETCH the sessions sent."""
    return [m.group(1) for d in sessions.values() for m in BODY_FETCH.finditer(d)]


def in_readdir_order(d):
    """Files of d as cp -r reads them: by inode number."""
    names = os.listdir(d)
    return sorted(names, key=lambda n: os.lstat(os.path.join(d, n)).st_ino)


class PrefetchTestCase(TimedTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        self.mark = tm._server.log_mark()
        self.before = rawlog_inputs()
        self.mounts = []

    def mount(self, *opts):
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        mnt = Mount(USER, opts=["-o", f"cache_dir={cache}"] + list(opts))
        self.mounts.append(mnt)
        return mnt.start()

    def unmount(self, mnt):
        problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertEqual(mnt.unexpected_output(), [])
        self.assertTrue(tm._server.wait_sessions_closed(USER), "sessions left open after unmount")

    def tearDown(self):
        for mnt in self.mounts:
            if mnt in tm._live_mounts:
                mnt.kill()


class PrefetchTest(PrefetchTestCase):
    @limit(180)
    def test_cold_cp_r_is_exact_and_bulk(self):
        """cp -r of four folders: every file is BODY.PEEK[], and the
        bodies came in a few bulk FETCHes, not one per message."""
        snap = tm.Snapshot(USER)
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        self.before = rawlog_inputs()
        mnt = self.mount()
        dest = tempfile.mkdtemp(prefix="copy-", dir=tm._tmp)
        try:
            for f in FOLDERS:
                r = subprocess.run(["cp", "-r", mnt.path(f), os.path.join(dest, f)],
                                   capture_output=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
            with open(f"/proc/{mnt.proc.pid}/status") as st:
                hwm = int(re.search(r"VmHWM:\s+(\d+) kB", st.read()).group(1))
        finally:
            self.unmount(mnt)
        # Bodies go to the block cache on disk; the daemon holds a batch
        # at most, one message at a time.
        tm._log(f"prefetch: daemon peak RSS {hwm} kB")
        self.assertLess(hwm, 64 << 10)
        for f in FOLDERS:
            want = {oracle.expected_name(msg): snap.bodies[f][msg.uid] for msg in snap.msgs[f]}
            got = {}
            for n in os.listdir(os.path.join(dest, f)):
                with open(os.path.join(dest, f, n), "rb") as fh:
                    got[n] = fh.read()
            self.assertEqual(sorted(got), sorted(want), f)
            for n in want:
                self.assertEqual(got[n], want[n], f"{f}/{n}")
        fetches = body_fetches(new_sessions(self.before))
        total = PER_FOLDER * len(FOLDERS)
        tm._log(f"prefetch: cp -r of {total} messages took {len(fetches)} body FETCH commands")
        self.assertGreater(len(fetches), 0)
        self.assertLess(len(fetches), total // 10)

    @limit(120)
    def test_reader_that_stops_wastes_a_bounded_window(self):
        """Reading the first three messages of a 1,500-message folder in
        order makes the server send about a window, not the folder."""
        mnt = self.mount()
        try:
            d = mnt.path(LONG)
            names = in_readdir_order(d)
            self.assertEqual(len(names), LONG_N)
            for n in names[:3]:
                tm.read_file(os.path.join(d, n))
            time.sleep(2)  # let the prefetch run out its window
        finally:
            self.unmount(mnt)
        sets = body_fetches(new_sessions(self.before))
        fetched = sum(sum(int(b) - int(a) + 1 if a else 1
                          for a, b in (r.split(b":") if b":" in r else (None, r),))
                      for s in sets for r in s.split(b","))
        out = sum(tm._server.sessions_out(self.mark, USER))
        folder_bytes = LONG_N * len(_message(LONG, 0, 4000))
        tm._log(f"prefetch window: read 3 of {LONG_N} messages; {fetched} bodies fetched "
                f"in {len(sets)} commands, server sent {out} bytes (folder: {folder_bytes})")
        self.assertGreater(fetched, 3, "no prefetch happened")
        self.assertLessEqual(fetched, 3 + WINDOW_MSGS + 1)
        self.assertLess(out, folder_bytes / 2)

    @limit(120)
    def test_single_message_reader_prefetches_nothing(self):
        mnt = self.mount()
        try:
            d = mnt.path(LONG)
            tm.read_file(os.path.join(d, in_readdir_order(d)[0]))
            time.sleep(1)
        finally:
            self.unmount(mnt)
        sets = body_fetches(new_sessions(self.before))
        self.assertEqual(len(sets), 1, sets)
        self.assertNotIn(b",", sets[0])
        self.assertNotIn(b":", sets[0])


class KernelCacheTest(PrefetchTestCase):
    @limit(120)
    def test_cp_r_needs_no_lookups(self):
        """readdirplus all the way through a folder: cp -r of 200 files
        sends the daemon no lookup of a message (the kernel's request
        trace, -d); the kernel opens and closes files by itself after the
        first open (one open, no release), and each file is read
        from its start once."""
        mnt = self.mount("-d")
        dest = tempfile.mkdtemp(prefix="copy-", dir=tm._tmp)
        try:
            r = subprocess.run(["cp", "-r", mnt.path(FOLDERS[0]), os.path.join(dest, "c")],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        err = mnt.stderr()
        lookups = re.findall(r'fs: lookup \d+ "[^"]*\.eml"', err)
        opens = re.findall(r"fs: open \d+", err)
        releases = re.findall(r"fs: release \d+", err)
        first_reads = re.findall(r"fs: read (\d+) \d+@0\n", err)
        self.assertEqual(len(os.listdir(os.path.join(dest, "c"))), PER_FOLDER)
        self.assertEqual(lookups, [])
        self.assertEqual(len(opens), 1, opens)
        self.assertEqual(releases, [])
        self.assertEqual(len(first_reads), PER_FOLDER)
        self.assertEqual(len(set(first_reads)), PER_FOLDER)


class PoolTest(PrefetchTestCase):
    def parallel_readers(self, mnt):
        """Eight readers over four folders at once (cp -r and cat)."""
        dest = tempfile.mkdtemp(prefix="par-", dir=tm._tmp)
        procs = []
        for i in range(8):
            f = FOLDERS[i % len(FOLDERS)]
            if i < 4:
                cmd = ["cp", "-r", mnt.path(f), os.path.join(dest, f"{i}")]
            else:
                cmd = ["sh", "-c", 'cat "$1"/* | wc -c', "sh", mnt.path(f)]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            tm._live_procs.append(p)
            procs.append((f, i, p))
        outs = []
        for f, i, p in procs:
            out, err = p.communicate(timeout=150)
            self.assertEqual(p.returncode, 0, err)
            outs.append((f, i, out))
        return dest, outs

    def check_copies(self, dest, outs, snap):
        for f, i, out in outs:
            size = sum(len(b) for b in snap.bodies[f].values())
            if i < 4:
                got = sum(os.path.getsize(os.path.join(dest, str(i), n))
                          for n in os.listdir(os.path.join(dest, str(i))))
            else:
                got = int(out)
            self.assertEqual(got, size, f"reader {i} of {f}")

    def run_with(self, n):
        snap = tm.Snapshot(USER)
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        self.mark = tm._server.log_mark()
        # watch=0: the IDLE watchers' connections are outside the pool
        # (imap_pool_open_extra) and would count here.
        mnt = self.mount("-o", f"connections={n}", "-o", "watch=0")
        try:
            dest, outs = self.parallel_readers(mnt)
        finally:
            self.unmount(mnt)
        self.check_copies(dest, outs, snap)
        # The pool opens a connection only while it has fewer than N and
        # none was dropped here, so every session the mount ever had
        # counts: never more than N at once, and not even N in all.
        sessions = tm._server.sessions(self.mark, USER)
        tm._log(f"pool: connections={n}: {len(sessions)} sessions for 8 parallel readers")
        self.assertGreater(len(sessions), 0)
        self.assertLessEqual(len(sessions), n)

    @limit(180)
    def test_parallel_readers_never_exceed_n(self):
        self.run_with(3)

    @limit(180)
    def test_one_connection_does_not_deadlock(self):
        self.run_with(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        tm.IMAPFS = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
