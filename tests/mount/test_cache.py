#!/usr/bin/env python3
"""Mount tests of the on-disk block cache (SPEC §5): every read through a
mount whose cache records and index files were damaged in every way still
returns exactly
imaplib's BODY.PEEK[] bytes; a remount re-reads from the cache (the server
sends far less); a small cache_size keeps the directory under its bound (also after a
remount with a smaller one); a daemon killed with SIGKILL mid-read leaves
nothing that is served wrong; a full or read-only cache disk only costs
network reads and one warning; and a remount serves cached content with
the server stopped.

Usage (meson runs it):
    python3 test_cache.py IMAPFS_BINARY [unittest arguments]

Uses test_mount's server, Mount helper and watchdogs; the SpamAssassin
corpus is not needed (its seeding is skipped)."""

import datetime
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, limit, read_file  # noqa: E402

import oracle  # noqa: E402  (test_mount put tests/lib on sys.path)
import seed  # noqa: E402

USER = "carol"  # the spare account: ours alone
BOX = "Cache"
LARGE_BOX = "Large"
BLOCK = 64 * 1024
# The pack format (docs/DESIGN.md "Block cache"): a record is this header,
# the mailbox and section names, then the data.
REC = struct.Struct("=8sIIQIIQII")  # magic, version, len, sum, UIDVALIDITY, UID, block, name lengths
MAGIC = b"IMAPFSP\n"


def _message(i, size):
    """A message of exactly size bytes whose body says which one it is."""
    head = (f"From: Carol <carol@example.org>\r\nTo: carol@example.org\r\n"
            f"Subject: cache test {i} ({size} bytes)\r\nMessage-ID: <cache-{i}@example.org>\r\n"
            f"Date: Mon, 2 Sep 2002 10:00:00 +0000\r\n\r\n").encode()
    rnd = random.Random(i)
    body = bytearray()
    while len(head) + len(body) < size:
        line = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(70))
        body += f"{i:05d} {line}\r\n".encode()
    return head + bytes(body[: size - len(head)])


# Sizes around block boundaries (a short last block ends a message; an
# exact multiple has no short block) plus ordinary ones.
SIZES = [300, 5000, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 2 * BLOCK + 7, 150000, 300001, 20000] * 3


def setUpModule():
    os.environ["IMAPFS_SKIP_CORPUS"] = "1"
    tm.setUpModule()
    with tm.Watchdog(120, "seeding the cache account"):
        m = tm._server.imap_client(USER)
        try:
            seed.create_mailbox(m, BOX)
            seed.create_mailbox(m, LARGE_BOX)
            t = datetime.datetime(2002, 9, 2, 10, 0, tzinfo=datetime.timezone.utc)
            seed.multiappend(m, BOX, [("", t, _message(i, s)) for i, s in enumerate(SIZES)])
            seed.multiappend(m, LARGE_BOX, [("", t, _message(1000, 6 << 20))])
        finally:
            m.logout()


def tearDownModule():
    tm.tearDownModule()


def bodies(box):
    m = tm._server.imap_client(USER)
    try:
        return oracle.fetch_bodies(m, box)
    finally:
        m.logout()


def by_uid(directory):
    return {int(oracle.NAME_RE.match(n).group(3)): os.path.join(directory, n)
            for n in os.listdir(directory) if oracle.NAME_RE.match(n)}


def pack_files(cache_dir):
    """The pack files under cache_dir/packs, oldest first."""
    d = os.path.join(cache_dir, "packs")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".pack"))


def records(cache_dir):
    """(pack, offset, record length, header+names length, UID, block) of
    every whole record in the packs, read as a crash recovery would: up to
    the first damaged header of each pack."""
    res = []
    for p in pack_files(cache_dir):
        with open(p, "rb") as fh:
            data = fh.read()
        off = 0
        while off + REC.size <= len(data):
            magic, version, dlen, _, _, uid, block, ml, sl = REC.unpack_from(data, off)
            hlen = REC.size + ml + sl
            if magic != MAGIC or version != 1 or off + hlen + dlen > len(data):
                break
            res.append((p, off, hlen + dlen, hlen, uid, block))
            off += hlen + dlen
    return res


def cache_bytes(cache_dir):
    """(bytes as the cache accounts them: each file rounded up to 4 KiB,
    bytes the file system allocated) of everything under cache_dir/packs."""
    acct = alloc = 0
    for root, dirs, files in os.walk(os.path.join(cache_dir, "packs")):
        for f in files:
            st = os.lstat(os.path.join(root, f))
            acct += (st.st_size + 4095) // 4096 * 4096
            alloc += st.st_blocks * 512
    return acct, alloc


def patch(path, off, data):
    with open(path, "r+b") as fh:
        fh.seek(off)
        fh.write(data)


class CacheMountTest(TimedTestCase):

    @classmethod
    def setUpClass(cls):
        cls.want = bodies(BOX)
        assert len(cls.want) == len(SIZES), cls.want.keys()

    def setUp(self):
        self.cache_dir = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)

    def mount(self, *opts, foreground=True):
        mnt = Mount(USER, ["-o", f"cache_dir={self.cache_dir}", *opts], foreground=foreground)
        try:
            mnt.start()
        except BaseException:
            mnt.kill()
            raise
        return mnt

    def read_all(self, mnt, box=BOX, want=None):
        """Reads every message of box through mnt and checks its bytes."""
        want = want or self.want
        paths = by_uid(mnt.path(box))
        self.assertEqual(set(paths), set(want))
        for uid, p in paths.items():
            got = read_file(p)
            self.assertEqual(len(got), len(want[uid]), f"UID {uid}: length")
            self.assertTrue(got == want[uid], f"UID {uid}: bytes differ")
            self.assertEqual(os.stat(p).st_size, len(want[uid]), f"UID {uid}: st_size")

    def session(self, *opts, box=BOX, want=None, foreground=True):
        """Mounts, reads everything, unmounts cleanly; returns the bytes
        the server sent meanwhile."""
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        mark = tm._server.log_mark()
        mnt = self.mount(*opts, foreground=foreground)
        try:
            self.read_all(mnt, box, want)
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertEqual(mnt.unexpected_output(), [], f"imapfs printed warnings:\n{mnt.stderr()}")
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        return sum(tm._server.sessions_out(mark, USER))

    @limit(240)
    def test_remount_reads_from_cache_and_every_damage_is_a_miss(self):
        total = sum(len(b) for b in self.want.values())
        cold = self.session()
        # In the background (forked) daemon, as users run it.
        warm = self.session(foreground=False)
        tm._log(f"cache: {len(self.want)} messages, {total} bytes: the server sent {cold} bytes cold, "
                f"{warm} after a remount (ratio {warm / cold:.3f})")
        self.assertGreater(cold, total)
        # After a remount only the listing crosses the network.
        self.assertLess(warm, cold / 10)

        # The store is private.
        packs_dir = os.path.join(self.cache_dir, "packs")
        st = os.stat(packs_dir)
        self.assertEqual(st.st_mode & 0o777, 0o700)
        for f in os.listdir(packs_dir):
            self.assertEqual(os.stat(os.path.join(packs_dir, f)).st_mode & 0o777, 0o600, f)
        recs = records(self.cache_dir)
        self.assertGreater(len(recs), len(self.want))
        # Every pack was closed cleanly: each has its index file.
        for p in pack_files(self.cache_dir):
            self.assertTrue(os.path.isfile(p[:-5] + ".idx"), p)

        # Damage most records, each in one way; leave some whole.
        rnd = random.Random(7)
        damaged = 0
        last = {p: max(r[1] for r in recs if r[0] == p) for p in pack_files(self.cache_dir)}
        by_len = {}
        for r in recs:
            by_len.setdefault(r[2], []).append(r)
        for i, (p, off, rlen, hlen, uid, block) in enumerate(recs):
            how = i % 8
            if how == 0:  # the pack truncated inside its last record; zeros elsewhere
                if off == last[p]:
                    os.truncate(p, off + rnd.randrange(0, rlen))
                else:
                    patch(p, off, bytes(rlen))
            elif how in (1, 2):  # a bit flipped in the data / in the header and names
                at = off + (rnd.randrange(hlen, rlen) if how == 1 and rlen > hlen else rnd.randrange(0, hlen))
                with open(p, "r+b") as fh:
                    fh.seek(at)
                    b = fh.read(1)[0]
                    fh.seek(at)
                    fh.write(bytes([b ^ 0x01]))
            elif how == 3:  # zeros over the whole record
                patch(p, off, bytes(rlen))
            elif how == 4:  # garbage of the same length
                patch(p, off, rnd.randbytes(rlen))
            elif how == 5:  # another key's valid record of the same length in its place
                others = [r for r in by_len[rlen] if (r[4], r[5]) != (uid, block)]
                if others:
                    o = others[0]
                    with open(o[0], "rb") as fh:
                        fh.seek(o[1])
                        patch(p, off, fh.read(rlen))
                else:
                    patch(p, off + 8, b"\xff\xff\xff\xff")  # the version
            else:
                continue
            damaged += 1
        # A temporary index file left by a crash.
        idx = sorted(f for f in os.listdir(packs_dir) if f.endswith(".idx"))
        self.assertTrue(idx)
        with open(os.path.join(packs_dir, "." + idx[0] + ".1.1"), "wb") as fh:
            fh.write(b"half an index")
        self.assertGreater(damaged, len(recs) // 2)
        mended = self.session()
        tm._log(f"cache: {damaged} of {len(recs)} records damaged; the server sent {mended} bytes")
        # The damaged blocks were fetched again, the whole ones were not...
        self.assertGreater(mended, warm)
        self.assertLess(mended, cold)
        # ... and stored again: a further remount is all hits again.
        self.assertLess(self.session(), cold / 10)
        self.assertFalse([f for f in os.listdir(packs_dir) if f.startswith(".")],
                         "temporary files left by a crash were not removed")

    @limit(240)
    def test_damaged_index_files_are_rebuilt_from_the_packs(self):
        """Index files with garbage entries, truncated or empty: the packs
        are read record by record at the next mount, still all hits, and
        the index files are written again."""
        opts = ("-o", "cache_size=8M")  # packs of 256 KiB: several
        cold = self.session(*opts)
        packs_dir = os.path.join(self.cache_dir, "packs")
        idx = sorted(f for f in os.listdir(packs_dir) if f.endswith(".idx"))
        self.assertGreater(len(idx), 3)
        self.assertEqual(len(idx), len(pack_files(self.cache_dir)))
        rnd = random.Random(3)
        for i, f in enumerate(idx):
            f = os.path.join(packs_dir, f)
            if i % 3 == 0:
                patch(f, 40, rnd.randbytes(min(24, os.path.getsize(f) - 40)))
            else:
                os.truncate(f, 30 if i % 3 == 1 else 0)
        rewalked = self.session(*opts)
        tm._log(f"cache: {len(idx)} index files damaged; the server sent {rewalked} bytes "
                f"(cold: {cold})")
        self.assertLess(rewalked, cold / 10)
        for p in pack_files(self.cache_dir):
            with open(p[:-5] + ".idx", "rb") as fh:
                self.assertEqual(fh.read(8), b"IMAPFSI\n", p)

    @limit(240)
    def test_small_cache_size_keeps_directory_under_bound(self):
        large = bodies(LARGE_BOX)
        bound = 1 << 20  # the smallest cache_size; the message is 6 MiB
        peak = [0]
        stop = threading.Event()

        def files():
            return sorted(os.path.join(r, f)
                          for r, _, fs in os.walk(os.path.join(self.cache_dir, "packs"))
                          for f in fs)

        def watch():
            # A sample is the files' sizes taken one after another: it
            # counts only if the same files exist after it, or it could add
            # a pack measured before its eviction to one grown after it.
            while not stop.is_set():
                try:
                    before = files()
                    n = cache_bytes(self.cache_dir)[0]
                    if files() == before:
                        peak[0] = max(peak[0], n)
                except OSError:
                    pass
                time.sleep(0.01)

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        try:
            self.session("-o", "cache_size=1M", box=LARGE_BOX, want=large)
            # A second mount with the same bound reads the message again.
            self.session("-o", "cache_size=1M", box=LARGE_BOX, want=large)
        finally:
            stop.set()
            t.join()
        acct, alloc = cache_bytes(self.cache_dir)
        tm._log(f"cache: 6 MiB read through a 1 MiB cache: {acct} bytes accounted, {alloc} allocated, "
                f"peak seen {peak[0]}")
        self.assertLessEqual(acct, bound)
        self.assertLessEqual(alloc, bound)
        # Packs are evicted before the record that needs the room is
        # written; only a temporary index file may exceed the bound.
        self.assertLessEqual(peak[0], bound + 8192)
        self.assertGreater(acct, bound // 2, "the cache stored nothing")

        # A larger cache reopened with a smaller bound shrinks to it.
        self.session("-o", "cache_size=8M", box=LARGE_BOX, want=large)
        self.assertGreater(cache_bytes(self.cache_dir)[0], 4 << 20)
        # In the background: the scan must run in the forked daemon.
        mnt = self.mount("-o", "cache_size=1M", foreground=False)
        try:
            self.assertEqual(len(by_uid(mnt.path(LARGE_BOX))), 1)
            deadline = time.monotonic() + 20
            while cache_bytes(self.cache_dir)[0] > bound and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            self.assertEqual(mnt.stop(), [])
        self.assertLessEqual(cache_bytes(self.cache_dir)[0], bound)

    @limit(120)
    def test_full_or_read_only_cache_disk_degrades_to_network_reads(self):
        """The cache directory on a 512 KiB tmpfs (ENOSPC long before the
        bound), then remounted read-only (EROFS): every read still returns
        the right bytes, with one warning from the block cache per mount."""
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a small tmpfs")
        fs = tempfile.mkdtemp(prefix="small-", dir=tm._tmp)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", fs],
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {r.stderr.strip()}")
        try:
            self.cache_dir = os.path.join(fs, "cache")
            for ro in (False, True):
                if ro:
                    r = subprocess.run(["mount", "-o", "remount,ro", fs], capture_output=True, text=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                mnt = self.mount()
                try:
                    self.read_all(mnt)
                finally:
                    self.assertEqual(mnt.stop(), [])
                warnings = [l for l in mnt.stderr().splitlines() if "cache: cannot" in l]
                tm._log(f"cache: on a full{' read-only' if ro else ''} disk: {warnings}")
                self.assertEqual(len(warnings), 1, mnt.stderr())
                self.assertRegex(warnings[0], "No space left|Read-only file system")
        finally:
            subprocess.run(["umount", "-l", fs], capture_output=True)

    @limit(240)
    def test_daemon_killed_mid_read_leaves_nothing_wrong(self):
        large = bodies(LARGE_BOX)
        for delay in (0.2, 0.5):
            mnt = self.mount()
            p = list(by_uid(mnt.path(LARGE_BOX)).values())[0]

            def reader():
                try:
                    read_file(p, chunk=BLOCK)
                except OSError:
                    pass  # the daemon is gone: ENOTCONN

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            time.sleep(delay)
            for pid in tm.imapfs_pids(mnt.mnt):
                os.kill(pid, signal.SIGKILL)
            mnt.kill()
            t.join(30)
        self.assertTrue(records(self.cache_dir), "nothing was cached before the kill")
        self.session(box=LARGE_BOX, want=large)
        self.session()


class ServerStoppedTest(TimedTestCase):
    """Stops the server for good, so it must run last: unittest runs the
    classes of a module in the order of their names."""

    @limit(180)
    def test_remount_serves_cached_content_with_the_server_stopped(self):
        want = bodies(BOX)
        cache_dir = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        opts = ["-o", f"cache_dir={cache_dir}", "-o", "timeout=3"]
        mnt = Mount(USER, opts).start()
        try:
            paths = by_uid(mnt.path(BOX))
            for uid, p in paths.items():
                self.assertTrue(read_file(p) == want[uid], f"UID {uid}: bytes differ")
        finally:
            self.assertEqual(mnt.stop(), [])
        mnt = Mount(USER, opts).start()
        try:
            tm._server.stop(remove=False)
            self.assertFalse(tm._server.running())
            t0 = time.monotonic()
            paths = by_uid(mnt.path(BOX))
            self.assertEqual(set(paths), set(want))
            for uid, p in paths.items():
                got = read_file(p)
                self.assertEqual(len(got), len(want[uid]), f"UID {uid}: length")
                self.assertTrue(got == want[uid], f"UID {uid}: bytes differ")
            tm._log(f"cache: {len(paths)} messages listed and read with the server stopped "
                    f"in {time.monotonic() - t0:.1f} s")
        finally:
            mnt.stop()


if __name__ == "__main__":
    tm.main()
