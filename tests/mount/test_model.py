#!/usr/bin/env python3
"""Model-based random test of changing mail (SPEC §4; issue 5, "Tests",
second bullet), in one of the capability profiles of test_change.py
(full, nomove, nouidplus).

One mount of alice.  A seeded random sequence of operations goes through
the mount -- mkdir (nested too), rmdir (empty, and non-empty expecting
ENOTEMPTY), folder rename (also into another parent), rm and mv of a
message, copy-in of a new message (also one that is removed, renamed
rsync-style, or whose folder is rmdir'ed before it is appended),
user.imap.flags -- and a model says what each must do to the server
(in the nouidplus profile: rm and mv fail with EOPNOTSUPP and change
nothing).  The mount's own view is checked where SPEC fixes it: the
canonical names of our messages, a folder gone or there after rmdir,
mkdir and rename, the flags xattr after a change, a staged name gone
after the APPEND where the server says APPENDUID.  A second client ("foreign") APPENDs
messages into the folders and marks foreign messages \\Deleted (never
expunging); the model tracks those too.  After every step an independent
client (imaplib) reads the whole account -- the mailboxes; per mailbox
the multiset of Message-IDs, the flags of our messages and the \\Deleted
flag of foreign ones -- and it must equal the model.  That read is one
LIST ... RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))
plus an EXAMINE and UID FETCH of each mailbox whose status moved: exact
(CONDSTORE moves HIGHESTMODSEQ on every flag change) and ~20x cheaper than
reading every mailbox every step.

Figures printed at the end: operations run per kind (and time spent in
them), messages lost, foreign \\Deleted messages expunged, duplicates,
divergent steps; all but the first must be 0.

    python3 test_model.py IMAPFS_BINARY PROFILE [--seed N] [--ops N] [unittest arguments]

Environment: IMAPFS_MODEL_SEED, IMAPFS_MODEL_OPS (defaults 1 and 2000),
IMAPFS_MODEL_DEBUG=1 (run imapfs with -d: a protocol trace in its stderr,
which is printed on failure).

Choices, and why:

* The foreign client is interleaved deterministically from the seed: its
  action (and its target) is drawn from the same random stream, and then
  runs either between two of our operations or in a thread at the same
  time as one (also drawn), so a run is reproducible from its seed while
  foreign STOREs and APPENDs still race with the mount's commands.  A
  concurrent foreign action never touches a folder the operation creates,
  deletes or renames (what a racing APPEND into a folder being renamed
  does is up to the server, not imapfs); it may hit the folders of a
  message rm/mv/copy-in, which is the race that matters (a plain EXPUNGE
  would take foreign \\Deleted messages with it).
* The foreign client never creates folders, and the mount is never asked
  to show a foreign message: per SPEC §5 those show only once a listing is
  10 s old.  Operations pick their targets among our own messages as the
  mount lists them.  Our own messages must be listed at once where the
  server gave their new UID (APPENDUID, MOVE/COPYUID: the UIDPLUS
  profiles), and at the latest 11 s after they landed otherwise (an APPEND
  without APPENDUID in the nouidplus profile).
* Copy-ins mostly write + utime + fsync (appended at fsync, so the check
  right after sees it); a few (3 % of them, ~13 per 2000 operations) are a plain
  `cp -p` that waits for the ~2 s settle time (~2.2 s each, ~20 s a run).
* On a divergence the first one is printed with the tail of the operation
  log, counted, and the model is resynchronised from the server so the run
  goes on and the figures cover the whole run; the test then fails.
"""

import argparse
import collections
import datetime
import errno
import imaplib
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_change import PROFILES  # noqa: E402
from test_mount import Mount, TimedTestCase  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed
mutf7 = oracle.mutf7
quote = seed.quote

USER = "alice"
PROFILE = "full"
SEED = int(os.environ.get("IMAPFS_MODEL_SEED", "1"))
OPS = int(os.environ.get("IMAPFS_MODEL_OPS", "2000"))
DEBUG = bool(os.environ.get("IMAPFS_MODEL_DEBUG"))
TIME_LIMIT = 900  # seconds for the whole run (2000 ops take ~2-4 min)

DELETED = "\\Deleted"
FLAG_POOL = ["\\Seen", "\\Flagged", "\\Answered", "$Label1", "$Label2"]
FOLDER_WORDS = ["F", "Work ", "Café ", "日本 ", "a&b "]
MAX_FOLDERS = 14
MAX_DEPTH = 3
SETTLE_WAIT = 20  # s a plain cp -p may take to be appended (settle ~2 s)
LATE_LISTING = 11.0  # s after which any message must be listed (SPEC §5: 10 s)
BASE_MTIME = 1_600_000_000  # 2020-09-13; message n's INTERNALDATE is BASE + n h

OWN_RE = re.compile(r"^m(\d+)\.s\d+@model$")
FOREIGN_RE = re.compile(r"^f(\d+)\.s\d+@foreign$")


def own_id(n):
    return f"m{n}.s{SEED}@model"


def foreign_id(n):
    return f"f{n}.s{SEED}@foreign"


def mtime_of(n):
    return BASE_MTIME + n * 3600


def own_raw(n):
    date = datetime.datetime.fromtimestamp(mtime_of(n), datetime.timezone.utc)
    return (f"From: Model <model@example.org>\r\nTo: Bob <bob@example.org>\r\n"
            f"Subject: model {n}\r\nDate: {date:%a, %d %b %Y %H:%M:%S +0000}\r\n"
            f"Message-ID: <{own_id(n)}>\r\n\r\nbody of {n}\r\n" + "x" * (n % 7 * 50) + "\r\n").encode()


def own_name(n, uid):
    date = datetime.datetime.fromtimestamp(mtime_of(n), datetime.timezone.utc)
    return f"{date:%Y-%m-%d} model {n} [{uid}].eml"


def foreign_raw(n):
    return (f"From: Carol <carol@example.org>\r\nTo: Alice <alice@example.org>\r\n"
            f"Subject: foreign {n}\r\nDate: Mon, 01 Mar 2021 10:00:00 +0000\r\n"
            f"Message-ID: <{foreign_id(n)}>\r\n\r\nnot ours\r\n").encode()


def subtree(boxes, root):
    return {b for b in boxes if b == root or b.startswith(root + "/")}


def depth(box):
    return box.count("/") + 1


class Msg:
    __slots__ = ("own", "flags", "deleted", "uid", "visible_by")

    def __init__(self, own, flags=(), deleted=False):
        self.own, self.flags, self.deleted = own, set(flags), deleted
        self.uid = None  # from the last snapshot
        self.visible_by = 0.0  # monotonic time after which the mount must list it

    def __repr__(self):
        return f"Msg(own={self.own}, flags={sorted(self.flags)}, deleted={self.deleted}, uid={self.uid})"


class Model:
    def __init__(self):
        self.boxes = {}  # name -> {msgid: Msg}

    def all_msgs(self):
        return {mid: (b, m) for b, ms in self.boxes.items() for mid, m in ms.items()}

    def find(self, mid):
        for b, ms in self.boxes.items():
            if mid in ms:
                return b
        return None


# --- the independent client -------------------------------------------------


class Client:
    """One persistent imaplib session; reconnects when the server dropped it."""

    def __init__(self):
        self.m = None
        self.cache = {}  # wire name -> (status, [(msgid, uid, flags)])
        self.reads = 0

    def conn(self):
        if self.m is None:
            self.m = tm._server.imap_client(USER)
        return self.m

    def reset(self):
        try:
            if self.m is not None:
                self.m.logout()
        except Exception:
            pass
        self.m = None
        self.cache = {}

    def unselect(self):
        try:
            self.m.unselect()  # never CLOSE: it would expunge
        except Exception:
            self.reset()


_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_MSGID = re.compile(rb"<([^>]*)>")


_STATUS = re.compile(rb'^(?:"((?:[^"\\]|\\.)*)"|(\S+)) \((.*)\)$')


class _Listed:
    """Hands oracle.mailboxes() a LIST answer already read."""

    def __init__(self, data):
        self.data = data

    def list(self, *args):
        return "OK", self.data


def snapshot(cl):
    """{box: [(msgid, uid, flags)] or None for a \\Noselect level}, as the
    server has it now."""
    for attempt in range(2):
        try:
            return _snapshot(cl)
        except (OSError, EOFError, imaplib.IMAP4.abort) as e:
            if attempt:
                raise
            tm._log(f"checker: {e!r}; reconnecting")
            cl.reset()


def _snapshot(cl):
    """One LIST ... RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY
    HIGHESTMODSEQ)) (RFC 5819) for the whole account; a mailbox is read
    again (EXAMINE, UID FETCH) only when that status changed since it was
    last read: any expunge, append or flag change moves HIGHESTMODSEQ,
    UIDNEXT or MESSAGES (CONDSTORE), so this is exact."""
    m = cl.conn()
    m.untagged_responses.pop("STATUS", None)
    typ, data = m.list('""', '"*" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ))')
    if typ != "OK":
        raise RuntimeError(f"LIST: {typ} {data}")
    status = {}
    for line in m.untagged_responses.pop("STATUS", []):
        mt = _STATUS.match(line)
        if mt is None:
            raise RuntimeError(f"cannot parse STATUS {line!r}")
        wire = re.sub(rb"\\(.)", rb"\1", mt.group(1)) if mt.group(1) is not None else mt.group(2)
        status[wire.decode()] = mt.group(3).decode()
    res = {}
    for b in oracle.mailboxes(_Listed(data)):
        if not b.selectable:
            res[b.name] = None  # a \\Noselect level: the model never has one
            continue
        key = status.get(b.wire)
        if key is not None and b.wire in cl.cache and cl.cache[b.wire][0] == key:
            res[b.name] = cl.cache[b.wire][1]
            continue
        cl.reads += 1
        typ, data = m.select(quote(b.wire), readonly=True)
        if typ != "OK":
            raise RuntimeError(f"EXAMINE {b.name}: {data}")
        msgs = []
        if int(data[0]) > 0:
            typ, data = m.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            if typ != "OK":
                raise RuntimeError(f"FETCH {b.name}: {data}")
            items = list(data)
            for i, it in enumerate(items):
                if not isinstance(it, tuple):
                    continue
                meta = it[0]
                if i + 1 < len(items) and isinstance(items[i + 1], bytes):
                    meta += items[i + 1]
                uid = int(_FETCH_UID.search(meta).group(1))
                flags = set(_FETCH_FLAGS.search(meta).group(1).decode().split()) - {"\\Recent"}
                mt = _MSGID.search(it[1])
                msgs.append((mt.group(1).decode() if mt else "", uid, flags))
        res[b.name] = msgs
        if key is not None:
            cl.cache[b.wire] = (key, msgs)
        cl.unselect()
        m = cl.conn()
    return res


# --- the test ---------------------------------------------------------------


def setUpModule():
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix=f"imapfs-model-{PROFILE}-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(120, "setUpModule"):
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS,
                                     capability=PROFILES[PROFILE], storage="sdbox")
        tm._server._own_root = True
        tm._server.start()
    tm._log(f"profile {PROFILE}: capability {PROFILES[PROFILE] or '(Dovecot default)'}")


def tearDownModule():
    tm._cleanup()


class Divergence(Exception):
    pass


class ModelTest(TimedTestCase):
    DEFAULT_LIMIT = TIME_LIMIT

    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.uidplus = PROFILE != "nouidplus"
        self.model = Model()
        self.next_own = 0
        self.next_foreign = 0
        self.next_folder = 0
        self.log = []  # op log lines
        self.counts = collections.Counter()
        self.figures = collections.Counter()
        self.first_divergence = None
        self.checker = Client()
        self.foreign = Client()
        # Polls for a plain cp -p's APPEND, while a concurrent foreign
        # action may be using self.foreign in its thread (imaplib is not
        # thread-safe: sharing it interleaved their commands under load).
        self.poller = Client()
        self.t_settle = 0.0
        self.t_check = 0.0
        self.skipped = 0
        self.t_kind = collections.Counter()
        self.i = -1
        self.last_rename = None
        self._seed_server()
        self.mount = Mount(USER, opts=["-d"] if DEBUG else []).start()
        self.addCleanup(self._stop)

    def _stop(self):
        problems = self.mount.stop()
        self.checker.reset()
        self.foreign.reset()
        self.poller.reset()
        allowed = [r"UIDPLUS|not supported"] if not self.uidplus else []
        # A listing refresh (an IDLE watcher's, or a lookup's) that had the
        # folder selected when this mount's own rmdir or rename removed it:
        # Dovecot says BYE, imapfs retries on a new connection (an info
        # line: src/fs/mbox.c fs_conn_log).  Seen under load, when refreshes
        # take long enough to meet the folder operations.
        allowed.append(r": FETCH failed: Mailbox was deleted under us \(trying a new connection\)$")
        bad = self.mount.unexpected_output(allowed=allowed)
        if problems or bad:
            tm._log(f"unmount problems {problems}; unexpected daemon output:\n" + "\n".join(bad[:30]))
        self.assertEqual(problems, [])
        if not DEBUG:  # a -d trace has lines that look like warnings
            self.assertEqual(bad, [], "unexpected daemon output")

    # --- setup ----------------------------------------------------------

    def _seed_server(self):
        """Folders with our messages and foreign ones (some \\Deleted),
        before the mount."""
        m = self.checker.conn()
        for box in ["INBOX", "Work", "Work/Projects", "Archive", "Café"]:
            if box != "INBOX":
                seed.create_mailbox(m, box)
            self.model.boxes[box] = {}
            items = []
            for _ in range(3):
                n = self.next_own
                self.next_own += 1
                items.append(("", datetime.datetime.fromtimestamp(mtime_of(n), datetime.timezone.utc), own_raw(n)))
                self.model.boxes[box][own_id(n)] = Msg(True)
            for i in range(2):
                n = self.next_foreign
                self.next_foreign += 1
                flags = "\\Deleted" if i == 0 else ""
                items.append((flags, datetime.datetime(2021, 3, 1, tzinfo=datetime.timezone.utc), foreign_raw(n)))
                self.model.boxes[box][foreign_id(n)] = Msg(False, deleted=bool(flags))
            seed.multiappend(m, box, items)
        self.compare("seed")

    # --- helpers --------------------------------------------------------

    def p(self, box=None, name=None):
        parts = box.split("/") if box else []
        return self.mount.path(*(parts + ([name] if name else [])))

    def note(self, line):
        self.log.append(f"#{self.i} {line}")

    def diverged(self, what):
        self.figures["divergent steps"] += 1
        if self.first_divergence is None:
            tail = "\n    ".join(self.log[-25:])
            self.first_divergence = (f"first divergence (seed {SEED}, profile {PROFILE}, step "
                                     f"{self.i}): {what}\n  op log tail:\n    {tail}")
            tm._log(self.first_divergence)
        else:
            tm._log(f"divergence: {what}")

    def expect_err(self, fn, want, what):
        """Runs fn; want is None (success) or a tuple of errnos."""
        try:
            fn()
        except OSError as e:
            if want is None or e.errno not in want:
                raise Divergence(f"{what}: got {errno.errorcode.get(e.errno, e.errno)} ({e}), "
                                 f"expected {'success' if want is None else [errno.errorcode[w] for w in want]}")
            return e.errno
        if want is not None:
            raise Divergence(f"{what}: succeeded, expected {[errno.errorcode[w] for w in want]}")
        return 0

    def listing(self, box):
        """{uid: name} of message files the mount lists in box, and the
        other names."""
        names = os.listdir(self.p(box))
        byuid, other = {}, []
        for n in names:
            mt = oracle.NAME_RE.match(n)
            if mt:
                byuid[int(mt.group(3))] = n
            else:
                other.append(n)
        return byuid, other

    def own_visible(self, box):
        """[(msgid, path)] of our messages in box as the mount lists them;
        checks that none that must be listed is missing, and names."""
        byuid, _ = self.listing(box)
        now = time.monotonic()
        res = []
        for mid, msg in self.model.boxes[box].items():
            if not msg.own or msg.uid is None:
                continue
            n = int(OWN_RE.match(mid).group(1))
            name = byuid.get(msg.uid)
            if name is None:
                if now > msg.visible_by:
                    raise Divergence(f"{box}: our {mid} (UID {msg.uid}) is not listed by the mount "
                                     f"(it must be by now); the mount lists {sorted(byuid.values())}")
                continue
            if name != own_name(n, msg.uid):
                raise Divergence(f"{box}: {mid} is listed as {name!r}, expected {own_name(n, msg.uid)!r}")
            res.append((mid, self.p(box, name)))
        return res

    # --- the comparison ---------------------------------------------------

    def compare(self, what):
        snap = snapshot(self.checker)
        problems = []
        model = self.model
        if set(snap) != set(model.boxes):
            problems.append(f"mailboxes: server has extra {sorted(set(snap) - set(model.boxes))}, "
                            f"lacks {sorted(set(model.boxes) - set(snap))}")
        where = collections.defaultdict(list)  # msgid -> [(box, uid, flags)]
        for box, msgs in snap.items():
            for mid, uid, flags in msgs or []:
                where[mid].append((box, uid, flags))
        mm = model.all_msgs()
        for mid, places in where.items():
            if len(places) > 1:
                self.figures["duplicates"] += len(places) - 1
                problems.append(f"duplicate: {mid} is on the server {len(places)} times: {places}")
            if mid not in mm:
                problems.append(f"unexpected message {mid!r} on the server: {places}")
        for mid, (box, msg) in mm.items():
            places = where.get(mid)
            if not places:
                if not msg.own and msg.deleted:
                    self.figures["foreign \\Deleted expunged"] += 1
                    problems.append(f"foreign \\Deleted {mid} (from {box}) was expunged")
                else:
                    self.figures["lost"] += 1
                    problems.append(f"lost: {mid} ({'ours' if msg.own else 'foreign'}) was in {box}, "
                                    f"is nowhere on the server")
                continue
            pbox, uid, flags = places[0]
            if pbox != box:
                problems.append(f"{mid}: in {pbox} on the server, {box} in the model")
            if msg.own and flags != msg.flags:
                problems.append(f"{mid} in {box}: flags {sorted(flags)} on the server, {sorted(msg.flags)} in the model")
            if not msg.own and (DELETED in flags) != msg.deleted:
                problems.append(f"foreign {mid} in {box}: \\Deleted is {DELETED in flags} on the server, "
                                f"{msg.deleted} in the model")
        # The UIDs (and, after a divergence, everything) from the server.
        if problems:
            self.diverged(f"after {what}: server != model:\n      " + "\n      ".join(problems[:20]))
            self.resync(snap)
        else:
            for box, msgs in snap.items():
                for mid, uid, flags in msgs or []:
                    model.boxes[box][mid].uid = uid
        return not problems

    def resync(self, snap):
        old = self.model.all_msgs()
        self.model.boxes = {}
        for box, msgs in snap.items():
            if msgs is None:
                continue
            self.model.boxes[box] = {}
            for mid, uid, flags in msgs:
                own = bool(OWN_RE.match(mid))
                m = Msg(own, flags - {"\\Deleted"} if not own else flags, "\\Deleted" in flags)
                m.uid = uid
                m.visible_by = time.monotonic() + LATE_LISTING
                if mid in old and old[mid][1].visible_by > m.visible_by:
                    m.visible_by = old[mid][1].visible_by
                self.model.boxes[box][mid] = m

    # --- our operations ---------------------------------------------------

    def op_mkdir(self, excl):
        boxes = list(self.model.boxes)
        if self.rng.random() < 0.05:
            box = self.rng.choice(boxes)
            self.note(f"mkdir {box!r} (exists)")
            self.expect_err(lambda: os.mkdir(self.p(box)), (errno.EEXIST,), f"mkdir of existing {box}")
            return "mkdir-exists"
        parents = [None] + [b for b in boxes if depth(b) < MAX_DEPTH]
        parent = self.rng.choice(parents)
        name = self.rng.choice(FOLDER_WORDS) + str(self.next_folder)
        self.next_folder += 1
        box = f"{parent}/{name}" if parent else name
        self.note(f"mkdir {box!r}")
        excl.add(box)
        self.expect_err(lambda: os.mkdir(self.p(box)), None, f"mkdir {box}")
        self.model.boxes[box] = {}
        if not os.path.isdir(self.p(box)):
            raise Divergence(f"mkdir {box}: not a directory in the mount afterwards")
        return "mkdir"

    def op_rmdir(self, excl):
        boxes = self.model.boxes
        empty = [b for b in boxes if b != "INBOX" and not boxes[b] and len(subtree(boxes, b)) == 1]
        full = [b for b in boxes if b not in empty]
        if empty and self.rng.random() < 0.75:
            box = self.rng.choice(sorted(empty))
            self.note(f"rmdir {box!r}")
            excl.update(subtree(boxes, box))
            self.expect_err(lambda: os.rmdir(self.p(box)), None, f"rmdir {box}")
            del boxes[box]
            if os.path.lexists(self.p(box)):
                raise Divergence(f"rmdir {box}: still in the mount afterwards")
            return "rmdir"
        box = self.rng.choice(sorted(full))
        want = (errno.EPERM, errno.ENOTEMPTY) if box == "INBOX" else (errno.ENOTEMPTY,)
        self.note(f"rmdir {box!r} (not empty: {len(boxes[box])} msgs, {len(subtree(boxes, box)) - 1} subfolders)")
        excl.update(subtree(boxes, box))
        self.expect_err(lambda: os.rmdir(self.p(box)), want, f"rmdir of non-empty {box}")
        return "rmdir-nonempty"

    def op_rename(self, excl):
        boxes = self.model.boxes
        if self.rng.random() < 0.03:
            self.note("rename 'INBOX' -> 'Inbox2' (refused)")
            excl.add("INBOX")
            self.expect_err(lambda: os.rename(self.p("INBOX"), self.p("Inbox2")), (errno.EPERM,), "rename INBOX")
            return "rename-inbox"
        cands = sorted(b for b in boxes if b != "INBOX")
        if not cands:
            return None
        src = self.rng.choice(cands)
        tree = subtree(boxes, src)
        height = max(depth(b) for b in tree) - depth(src)
        parents = [None] + sorted(b for b in boxes if b not in tree and depth(b) + 1 + height <= MAX_DEPTH)
        parent = self.rng.choice(parents)
        name = self.rng.choice(FOLDER_WORDS) + str(self.next_folder)
        self.next_folder += 1
        dst = f"{parent}/{name}" if parent else name
        self.note(f"rename {src!r} -> {dst!r} ({len(tree)} folders)")
        excl.update(tree)
        excl.add(dst)
        self.expect_err(lambda: os.rename(self.p(src), self.p(dst)), None, f"rename {src} -> {dst}")
        for b in sorted(tree):
            boxes[dst + b[len(src):]] = boxes.pop(b)
        self.last_rename = (src, dst)
        if os.path.lexists(self.p(src)) or not os.path.isdir(self.p(dst)):
            raise Divergence(f"rename {src} -> {dst}: the mount shows the old name "
                             f"({os.path.lexists(self.p(src))}) or lacks the new ({not os.path.isdir(self.p(dst))})")
        return "rename"

    def _pick_own(self, pred=lambda b: True):
        """(box, msgid, path) of one of our messages the mount lists."""
        boxes = [b for b in sorted(self.model.boxes)
                 if pred(b) and any(m.own for m in self.model.boxes[b].values())]
        if not boxes:
            return None
        box = self.rng.choice(boxes)
        vis = self.own_visible(box)
        if not vis:
            return None
        mid, path = self.rng.choice(sorted(vis))
        return box, mid, path

    def op_rm(self, excl):
        got = self._pick_own()
        if got is None:
            return None
        box, mid, path = got
        self.note(f"rm {path[len(self.mount.mnt) + 1:]!r} ({mid})")
        if not self.uidplus:
            self.expect_err(lambda: os.unlink(path), (errno.EOPNOTSUPP,), f"rm {mid}")
            return "rm-refused"
        self.expect_err(lambda: os.unlink(path), None, f"rm {mid}")
        del self.model.boxes[box][mid]
        if os.path.basename(path) in os.listdir(self.p(box)):
            raise Divergence(f"rm {mid}: still listed in {box}")
        return "rm"

    def op_mv(self, excl):
        if len(self.model.boxes) < 2:
            return None
        got = self._pick_own()
        if got is None:
            return None
        box, mid, path = got
        dest = self.rng.choice(sorted(b for b in self.model.boxes if b != box))
        target = self.p(dest, os.path.basename(path))
        self.note(f"mv {path[len(self.mount.mnt) + 1:]!r} -> {dest!r}/ ({mid})")
        if not self.uidplus:
            self.expect_err(lambda: os.rename(path, target), (errno.EOPNOTSUPP,), f"mv {mid}")
            return "mv-refused"
        self.expect_err(lambda: os.rename(path, target), None, f"mv {mid} to {dest}")
        msg = self.model.boxes[box].pop(mid)
        msg.uid = None
        msg.visible_by = time.monotonic()
        self.model.boxes[dest][mid] = msg
        return "mv"

    def op_flags(self, excl):
        got = self._pick_own()
        if got is None:
            return None
        box, mid, path = got
        flags = {f for f in FLAG_POOL if self.rng.random() < 0.4}
        value = " ".join(f for f in FLAG_POOL if f in flags)
        self.note(f"setxattr user.imap.flags={value!r} on {path[len(self.mount.mnt) + 1:]!r} ({mid})")
        self.expect_err(lambda: os.setxattr(path, "user.imap.flags", value.encode()), None, f"flags of {mid}")
        self.model.boxes[box][mid].flags = flags
        shown = set(os.getxattr(path, "user.imap.flags").decode().split())
        if shown != flags:
            raise Divergence(f"flags of {mid}: the mount shows {sorted(shown)} after setting {sorted(flags)}")
        return "flags"

    def op_copyin(self, excl, plain_cp=False):
        box = self.rng.choice(sorted(self.model.boxes))
        n = self.next_own
        self.next_own += 1
        raw, mid, when = own_raw(n), own_id(n), mtime_of(n)
        given = f"incoming {n}.eml"
        path = self.p(box, given)
        flags = set()
        if plain_cp:
            self.note(f"cp -p {given!r} into {box!r} ({mid}), wait for the settle")
            src = os.path.join(self.mount.dir, "src.eml")
            with open(src, "wb") as f:
                f.write(raw)
            os.utime(src, (when, when))
            t0 = time.monotonic()
            r = subprocess.run(["cp", "-p", src, path], capture_output=True, timeout=30)
            if r.returncode != 0:
                raise Divergence(f"cp -p into {box}: {r.stderr!r}")
            deadline = time.monotonic() + SETTLE_WAIT
            while not self._server_has(box, mid):
                if time.monotonic() > deadline:
                    raise Divergence(f"cp -p {mid} into {box}: not appended after {SETTLE_WAIT} s")
                time.sleep(0.2)
            self.t_settle += time.monotonic() - t0
            kind = "copy-in (cp -p, settle)"
        else:
            if self.rng.random() < 0.25:
                flags = {f for f in FLAG_POOL if self.rng.random() < 0.5}
            value = " ".join(f for f in FLAG_POOL if f in flags)
            self.note(f"copy-in {given!r} into {box!r} ({mid}) flags={value!r}, write+fsync")

            def write():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, raw)
                    os.utime(fd, (when, when))
                    if flags:
                        os.setxattr(path, "user.imap.flags", value.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)

            self.expect_err(write, None, f"copy-in {mid} into {box}")
            kind = "copy-in (fsync)"
        msg = Msg(True, flags)
        msg.visible_by = time.monotonic() + (0 if self.uidplus else LATE_LISTING)
        self.model.boxes[box][mid] = msg
        self.pending_given = (box, given, msg)
        return kind

    def op_staged(self, excl):
        """A new message acted on before it is appended (well within the
        ~2 s settle time): rm of the staged file (never appended), rsync's
        write-to-temp-then-rename, or rmdir of its folder (ENOTEMPTY); then
        fsync appends what is left."""
        box = self.rng.choice(sorted(self.model.boxes))
        n = self.next_own
        self.next_own += 1
        raw, mid, when = own_raw(n), own_id(n), mtime_of(n)
        tmp = f".incoming {n}.eml.XXXX{n}"
        final = f"incoming {n}.eml"
        what = self.rng.choice(["rm", "rename", "rmdir"])
        self.note(f"staged {tmp!r} in {box!r} ({mid}), then {what}")

        def write():
            with open(self.p(box, tmp), "wb") as f:
                f.write(raw)
            os.utime(self.p(box, tmp), (when, when))

        self.expect_err(write, None, f"staging {mid} in {box}")
        name = tmp
        if what == "rm":
            self.expect_err(lambda: os.unlink(self.p(box, tmp)), None, f"rm of staged {mid}")
            if tmp in os.listdir(self.p(box)):
                raise Divergence(f"rm of staged {mid}: {tmp!r} still listed in {box}")
            return "staged, then rm"
        if what == "rename":
            self.expect_err(lambda: os.rename(self.p(box, tmp), self.p(box, final)), None, f"rename of staged {mid}")
            name = final
            names = os.listdir(self.p(box))
            if final not in names or tmp in names:
                raise Divergence(f"rename of staged {mid} in {box}: listing has {final!r}: {final in names}, "
                                 f"{tmp!r}: {tmp in names}")
        else:
            want = (errno.EPERM, errno.ENOTEMPTY) if box == "INBOX" else (errno.ENOTEMPTY,)
            self.expect_err(lambda: os.rmdir(self.p(box)), want, f"rmdir of {box} holding staged {mid}")

        def flush():
            fd = os.open(self.p(box, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

        self.expect_err(flush, None, f"fsync of staged {mid}")
        msg = Msg(True)
        msg.visible_by = time.monotonic() + (0 if self.uidplus else LATE_LISTING)
        self.model.boxes[box][mid] = msg
        self.pending_given = (box, name, msg)
        return f"staged, then {what}"

    def _server_has(self, box, mid):
        m = self.poller.conn()
        try:
            oracle.select(m, box, readonly=True)
            typ, data = m.uid("SEARCH", "HEADER", "Message-ID", quote(f"<{mid}>"))
            return typ == "OK" and bool(data[0].split())
        finally:
            self.poller.unselect()

    # --- the foreign client -------------------------------------------------

    def plan_foreign(self):
        """A foreign action drawn from the seed, or None."""
        if self.rng.random() >= 0.35:
            return None
        deleted_cands = sorted((b, mid) for b, ms in self.model.boxes.items() for mid, m in ms.items()
                               if not m.own and not m.deleted)
        if deleted_cands and self.rng.random() < 0.5:
            box, mid = self.rng.choice(deleted_cands)
            return ("delete", box, mid)
        n = self.next_foreign
        self.next_foreign += 1
        return ("append", self.rng.choice(sorted(self.model.boxes)), foreign_id(n), n)

    def run_foreign(self, action, out):
        try:
            m = self.foreign.conn()
            wire = quote(mutf7.encode(action[1]))
            if action[0] == "append":
                typ, data = m.append(wire, None, None, foreign_raw(action[3]))
                if typ != "OK":
                    raise RuntimeError(f"APPEND: {data}")
            else:
                typ, data = m.select(wire, readonly=False)
                if typ != "OK":
                    raise RuntimeError(f"SELECT: {data}")
                typ, data = m.uid("SEARCH", "HEADER", "Message-ID", quote(f"<{action[2]}>"))
                uids = data[0].split()
                if typ != "OK" or len(uids) != 1:
                    raise RuntimeError(f"SEARCH {action[2]}: {typ} {data}")
                typ, data = m.uid("STORE", uids[0].decode(), "+FLAGS.SILENT", "(\\Deleted)")
                if typ != "OK":
                    raise RuntimeError(f"STORE: {data}")
                self.foreign.unselect()
            out.append(None)
        except Exception as e:  # noqa: BLE001 -- reported in the main thread
            self.foreign.reset()
            out.append(e)

    def apply_foreign(self, action):
        if action[0] == "append":
            self.model.boxes[action[1]][action[2]] = Msg(False)
        else:
            self.model.boxes[action[1]][action[2]].deleted = True

    # --- the run ----------------------------------------------------------

    FOLDER_OPS = ("op_mkdir", "op_rmdir", "op_rename")

    def step(self, i):
        self.i = i
        self.last_rename = None
        self.pending_given = None
        r = self.rng.random()
        ops = [(0.07, self.op_mkdir), (0.05, self.op_rmdir), (0.05, self.op_rename), (0.15, self.op_rm),
               (0.18, self.op_mv), (0.19, self.op_copyin), (0.03, self.op_staged), (0.28, self.op_flags)]
        if len(self.model.boxes) >= MAX_FOLDERS:
            ops[0] = (0.07, self.op_rmdir)
        if len(self.model.boxes) <= 3:
            ops[1] = (0.05, self.op_mkdir)
        plain_cp = self.rng.random() < 0.03  # of copy-ins: ~13 per 2000 ops
        acc = 0.0
        fn = ops[-1][1]
        for w, f in ops:
            acc += w
            if r < acc:
                fn = f
                break
        foreign = self.plan_foreign()
        concurrent = foreign is not None and self.rng.random() < 0.5
        if foreign is not None and not concurrent:
            out = []
            self.run_foreign(foreign, out)
            self._foreign_done(foreign, out, "before the op")
            foreign = None
        run = (lambda excl: fn(excl, plain_cp)) if fn == self.op_copyin else fn
        kind, err = None, None
        t0 = time.monotonic()
        try:
            kind = self._with_foreign(run, fn.__name__ in self.FOLDER_OPS, set(), foreign)
        except Divergence as e:
            err = str(e)
        if kind:
            self.counts[kind] += 1
        elif err is None:
            self.skipped += 1  # nothing to do it to (no message of ours listed yet)
        if err:
            self.diverged(err)
        t1 = time.monotonic()
        self.compare(self.log[-1] if self.log else f"step {i}")
        self.t_check += time.monotonic() - t1
        if kind:
            self.t_kind[kind] += t1 - t0
        if self.pending_given and self.uidplus and err is None:
            box, given, msg = self.pending_given
            if box in self.model.boxes and given in os.listdir(self.p(box)):
                self.diverged(f"{box}: the staged name {given!r} is still listed after the APPEND (UIDPLUS)")

    def _with_foreign(self, run, folder_op, excl, foreign):
        """run(excl) with the foreign action (or None) at the same time.  A
        folder op names the folders it restructures in excl before it
        acts (expect_err); a foreign action on one of those runs after
        the op instead, on the folder's new name (or not at all when the
        op removed its folder)."""
        if foreign is None:
            return run(excl)
        out = []
        go = threading.Event()
        state = {"concurrent": not folder_op}

        def runner():
            go.wait(60)
            if state["concurrent"]:
                self.run_foreign(foreign, out)

        t = threading.Thread(target=runner)
        t.start()
        if folder_op:
            orig = self.expect_err

            def hook(call, want, what):
                state["concurrent"] = foreign[1] not in excl
                go.set()
                return orig(call, want, what)

            self.expect_err = hook
        else:
            go.set()
        try:
            return run(excl)
        finally:
            if folder_op:
                del self.expect_err
            go.set()
            t.join(60)
            if state["concurrent"]:
                self._foreign_done(foreign, out, "concurrently")
            else:
                box = foreign[1]
                if box not in self.model.boxes and self.last_rename:
                    src, dst = self.last_rename
                    if box == src or box.startswith(src + "/"):
                        box = dst + box[len(src):]
                if box in self.model.boxes:
                    foreign = (foreign[0], box) + tuple(foreign[2:])
                    self.run_foreign(foreign, out)
                    self._foreign_done(foreign, out, "after the op")
                else:
                    self.note(f"foreign {foreign[0]} {foreign[2]} in {foreign[1]!r} dropped: the op removed it")

    def _foreign_done(self, foreign, out, when):
        if not out or out[0] is not None:
            raise RuntimeError(f"the foreign client failed: {out[0] if out else 'hung'!r} ({foreign})")
        self.apply_foreign(foreign)
        self.note(f"foreign {foreign[0]} {foreign[2]} in {foreign[1]!r} ({when})")
        self.counts[f"foreign {foreign[0]}"] += 1

    def test_random_operations(self):
        tm._log(f"seed {SEED}, {OPS} operations, profile {PROFILE} "
                f"(rerun: IMAPFS_MODEL_SEED={SEED} IMAPFS_MODEL_OPS={OPS})")
        t0 = time.monotonic()
        for i in range(OPS):
            self.step(i)
            if (i + 1) % 250 == 0:
                tm._log(f"{i + 1} steps, {time.monotonic() - t0:.0f} s, {len(self.model.boxes)} folders, "
                        f"{len(self.model.all_msgs())} messages")
        took = time.monotonic() - t0
        ours = sum(v for k, v in self.counts.items() if not k.startswith("foreign"))
        lines = [f"profile {PROFILE}, seed {SEED}: {ours} operations in {took:.0f} s "
                 f"({self.t_check:.0f} s checking the server, {self.t_settle:.0f} s waiting for settles)"]
        for k in sorted(self.counts):
            lines.append(f"  {k:28} {self.counts[k]:5}" + (f"   {self.t_kind[k]:6.1f} s" if k in self.t_kind else ""))
        for k in ("lost", "foreign \\Deleted expunged", "duplicates", "divergent steps"):
            lines.append(f"  {k:28} {self.figures[k]}")
        lines.append(f"  {'skipped (no target)':28} {self.skipped:5}")
        lines.append(f"  final: {len(self.model.boxes)} folders, {len(self.model.all_msgs())} messages")
        print("\n".join(lines), file=sys.stderr, flush=True)
        if self.first_divergence:
            print("daemon stderr (tail):\n" + self.mount.stderr()[-(20000 if DEBUG else 4000):], file=sys.stderr)
        self.assertEqual(self.figures["lost"], 0, "messages lost")
        self.assertEqual(self.figures["foreign \\Deleted expunged"], 0, "foreign \\Deleted messages expunged")
        self.assertEqual(self.figures["duplicates"], 0, "duplicates")
        self.assertIsNone(self.first_divergence)


def main():
    global PROFILE, SEED, OPS
    argv = sys.argv[1:]
    if argv and not argv[0].startswith("-") and os.path.isfile(argv[0]):
        tm.IMAPFS = os.path.abspath(argv.pop(0))
    if argv and argv[0] in PROFILES:
        PROFILE = argv.pop(0)
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--ops", type=int, default=OPS)
    args, rest = ap.parse_known_args(argv)
    SEED, OPS = args.seed, args.ops
    tm.run(rest)


if __name__ == "__main__":
    main()
