#!/usr/bin/env python3
"""The .parts directories (SPEC §3) on real mounts.  Reuses test_mount's
harness (Mount, watchdogs, conventions) on its own throwaway Dovecot.  The
oracle is tests/lib/parts_oracle.py: the naming rules of mail_parts.h
again, in Python's `email` package, fed by an independent imaplib client
(BODY.PEEK[] of each message; BODY.PEEK[SECTION] for attached messages).

    python3 test_parts.py IMAPFS_BINARY [unittest arguments]
"""

import base64
import ctypes
import datetime
import hashlib
import imaplib
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mount as tm  # noqa: E402
from test_mount import Mount, TimedTestCase, limit  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import parts_oracle as po  # noqa: E402

dovecot, oracle, seed = tm.dovecot, tm.oracle, tm.seed

USER = "carol"
EDGE = "Edge"
BIG = "Big"
PERSIST = "Persist"
BIG_ATTACHMENT = 20 * 1000 * 1000
GREP_WORD = "zanzibarquokka"
# None: every corpus message.  An int N: every message whose index is
# a multiple of (total // N), a deterministic sample.
CORPUS_SAMPLE = None
CORPUS_MIN_BODY_MATCH = 0.95
CORPUS_MIN_NAMES_MATCH = 0.99

_corpus_boxes = []
_corpus_skip = None
UID_RE = re.compile(r"\[(\d+)\]\.eml$")


# --- building messages ------------------------------------------------------


def _b64(data):
    s = base64.b64encode(data)
    return b"\r\n".join(s[i : i + 76] for i in range(0, len(s), 76))


def leaf(ctype, body, cte="7bit", disp=None, extra=b""):
    h = b"Content-Type: " + ctype.encode() + b"\r\n"
    if cte:
        h += b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n"
    if disp:
        h += b"Content-Disposition: " + disp.encode() + b"\r\n"
    if cte == "base64":
        body = _b64(body)
    return h + extra + b"\r\n" + body


_bnd = [0]


def multi(subtype, children, extra=b""):
    _bnd[0] += 1
    b = f"=_b{_bnd[0]:04d}_edge".encode()
    out = b"Content-Type: multipart/" + subtype.encode() + b'; boundary="' + b + b'"\r\n' + extra + b"\r\n"
    out += b"This is a multi-part message in MIME format.\r\n"
    for c in children:
        out += b"\r\n--" + b + b"\r\n" + c
    return out + b"\r\n--" + b + b"--\r\n"


def message(subject, entity, i=0):
    return (f"From: Edge Tester <edge@example.org>\r\nTo: carol@example.org\r\n"
            f"Subject: {subject}\r\nDate: Tue, 3 Jan 2023 10:{i:02d}:00 +0000\r\n"
            f"Message-ID: <edge.{i}@example.org>\r\nMIME-Version: 1.0\r\n").encode() + entity


TEXT = leaf("text/plain; charset=utf-8", "Hello, see the attachments.\r\nGrüße\r\n".encode(), "8bit")
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def att(name_disp, ctype="application/octet-stream", data=b"\x00\x01binary\xff", cte="base64"):
    return leaf(ctype, data, cte, disp="attachment; " + name_disp)


def _inner(kind):
    if kind == "alt":
        ent = multi("alternative", [leaf("text/plain", b"inner plain\r\n"),
                                    leaf("text/html", b"<p>inner html</p>\r\n")])
    else:
        ent = multi("mixed", [leaf("text/plain", b"inner body\r\n"),
                              att('filename="inner.bin"')])
    return (b"From: Inner <inner@example.org>\r\nSubject: inner " + kind.encode() +
            b"\r\nDate: Mon, 2 Jan 2023 09:00:00 +0000\r\nMIME-Version: 1.0\r\n" + ent)


def _nested(depth):
    ent = multi("mixed", [leaf("text/plain", b"deep body\r\n"),
                          leaf("application/octet-stream", b"deep bytes\x00\x01", "base64"),
                          leaf("text/plain", b"deep attached text\r\n", disp="attachment")])
    for _ in range(depth - 1):
        ent = multi("mixed", [ent])
    return ent


def encoded_leaf(name, cte, encoded, ctype="application/octet-stream"):
    """An attachment whose body is already encoded, as given."""
    return (f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n').encode() + encoded


def _qp(data):
    """Quoted-printable with CRLF soft breaks: every byte outside
    printable ASCII (and "=") as =XX."""
    out, line = [], b""
    for c in data:
        t = bytes([c]) if 33 <= c <= 126 and c != 61 else b"=%02X" % c
        if len(line) + len(t) > 75:
            out.append(line + b"=")
            line = b""
        line += t
    return b"\r\n".join(out + [line])


def _lines(s, n):
    return b"\r\n".join(s[i : i + n] for i in range(0, len(s), n))


def odd_encodings():
    """Encoded attachments whose decoded size the encoded one does not
    give away: base64 in one line or lines of 64, with blank lines and
    spaces after it; quoted-printable small and large."""
    data = bytes((i * 7919 + (i >> 7)) & 0xFF for i in range(300000))
    b64 = base64.b64encode(data)
    qp = _qp(bytes(range(256)) * 200)  # about 130 KB encoded
    return multi("mixed", [
        leaf("text/plain", b"Odd encodings attached.\r\n"),
        encoded_leaf("one-line.bin", "base64", b64),
        encoded_leaf("lines64.bin", "base64", _lines(b64[:6000], 64) + b"\r\n\r\n  \r\n"),
        encoded_leaf("short.bin", "base64", _lines(b64[:40], 76)),
        encoded_leaf("small-qp.bin", "quoted-printable", _qp(bytes(range(256)))),
        encoded_leaf("large-qp.bin", "quoted-printable", qp),
    ])


def edge_messages():
    long_name = "L" * 996 + ".pdf"
    msgs = [
        ("plain text only", TEXT),
        ("alternative", multi("alternative", [leaf("text/plain; charset=us-ascii", b"plain version\r\n"),
                                              leaf("text/html; charset=utf-8", "<p>html €</p>\r\n".encode(),
                                                   "8bit")])),
        ("pdf and rfc2231", multi("mixed", [
            TEXT,
            att("filename*=utf-8''%E2%82%AC%20rates.pdf", "application/pdf", PDF),
            att("filename*0*=utf-8''Quarterly%20; filename*1*=%E2%82%AC%20; filename*2=\"report.pdf\"",
                "application/pdf", PDF[:1000]),
            leaf('application/octet-stream; name="=?UTF-8?B?w6l0w6kucGRm?="', b"ete", "base64"),
            att('filename="=?iso-8859-1?q?caf=E9_menu?=.txt"', "text/plain", b"menu\r\n", "quoted-printable"),
        ])),
        ("hostile names", multi("mixed", [
            TEXT,
            att('filename="../../etc/passwd"'),
            att('filename="/"'),
            att('filename=".."'),
            att(f'filename="{long_name}"', "application/pdf", PDF[:500]),
            att("filename*=utf-8''a%01b%7Fc%C2%85d%09%09e.txt", "text/plain", b"ctl\r\n"),
            att("filename*=utf-8''invoice%E2%80%AEfdp.exe"),
            att('filename="Report.pdf"', "application/pdf", b"%PDF upper"),
            att('filename="report.pdf"', "application/pdf", b"%PDF lower"),
            att('filename="body.txt"', "text/plain", b"not the body\r\n", "7bit"),
            att('filename="HEADERS.TXT"', "text/plain", b"not the headers\r\n", "7bit"),
            att('filename="a:b  c.txt"', "text/plain", b"colon\r\n", "7bit"),
            att('filename="   "'),
        ])),
        ("qp latin1", leaf("text/plain; charset=iso-8859-1",
                           b"Caf=E9 cr=E8me br=FBl=E9e, a soft=\r\n break.\r\nSecond line=3D.\r\n",
                           "quoted-printable")),
        ("mislabeled charset", leaf("text/plain; charset=iso-2022-jp", b"caf\xe9 \x80 fran\xe7ais\r\n", "8bit")),
        ("unknown charset", leaf("text/plain; charset=x-no-such-charset", "naïve café\r\n".encode(), "8bit")),
        ("ascii with 8bit", leaf("text/plain; charset=us-ascii", b"odd \x81 bytes \xe9\r\n", "8bit")),
        ("forwarded messages", multi("mixed", [
            TEXT,
            leaf("message/rfc822", _inner("alt"), None, disp='attachment; filename="forwarded"'),
            leaf("message/rfc822", _inner("mixed"), None),
            leaf("message/rfc822", _inner("alt"), None, disp='attachment; filename="Old.EML"'),
        ])),
        ("inline image", multi("related", [
            leaf("text/html; charset=utf-8", b'<p><img src="cid:img1"></p>\r\n'),
            leaf("image/png", b"\x89PNG\r\n\x1a\nfakepng" * 20, "base64", disp="inline",
                 extra=b"Content-ID: <img1>\r\n"),
        ])),
        ("nested 30", _nested(30)),
        ("text attachments without names", multi("mixed", [
            TEXT,
            leaf("text/plain", b"attached text\r\n", disp="attachment"),
            leaf("text/csv", b"a,b\r\n1,2\r\n", disp="attachment"),
            leaf("text/html", b"<p>attached html</p>\r\n", disp="attachment"),
            leaf("application/x-unknown-thing", b"??", "base64"),
        ])),
        ("grep target", multi("mixed", [
            leaf("text/plain", b"See the notes.\r\n"),
            att('filename="notes.txt"', "text/plain; charset=utf-8",
                f"Notes: the word {GREP_WORD} is only here.\r\n".encode()),
        ])),
        ("top-level attachment", leaf('application/pdf; name="only.pdf"', PDF[:300], "base64")),
        ("odd encodings", odd_encodings()),
    ]
    return [message(s, e, i) for i, (s, e) in enumerate(msgs)]


def big_message():
    data = bytes((i * 7919 + (i >> 8)) & 0xFF for i in range(65536)) * (BIG_ATTACHMENT // 65536)
    data += b"x" * (BIG_ATTACHMENT - len(data))
    return message("big attachment", multi("mixed", [
        leaf("text/plain", b"The big file is attached.\r\n"),
        att('filename="big.bin"', data=data),
    ]), 59)


def persist_messages():
    """Some edge messages again, and one whose listing record spans several
    cache blocks (a 100 KB Subject: the record keeps the raw header block)."""
    keep = {"plain text only", "alternative", "pdf and rfc2231", "qp latin1", "forwarded messages",
            "inline image", "nested 30"}
    msgs = [raw for raw in edge_messages() if po.parse(raw)["Subject"] in keep]
    subject = " ".join(f"word{i:05d}" for i in range(9000))  # about 90 KB, folded below
    folded = "\r\n ".join(subject[i : i + 900] for i in range(0, len(subject), 900))
    msgs.append(message(folded, multi("mixed", [TEXT, att('filename="long.pdf"', "application/pdf", PDF)]), 40))
    return msgs


# --- the suite --------------------------------------------------------------


# The edge messages as seeded into the main server.
_edge_raw = []


def setUpModule():
    global _corpus_skip
    if not tm.IMAPFS or not os.access(tm.IMAPFS, os.X_OK):
        raise RuntimeError(f"no imapfs executable ({tm.IMAPFS!r})")
    tm._tmp = tempfile.mkdtemp(prefix="imapfs-parts-")
    os.chmod(tm._tmp, 0o755)
    with tm.Watchdog(300, "setUpModule"):
        t0 = time.monotonic()
        tm._server = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot"), users=tm.USERS)
        tm._server._own_root = True
        tm._server.start()
        m = tm._server.imap_client(USER, timeout=300)
        try:
            dt = datetime.datetime(2023, 1, 3, 10, 0, tzinfo=datetime.timezone.utc)
            seed.create_mailbox(m, EDGE)
            _edge_raw.extend(edge_messages())
            seed.multiappend(m, EDGE, [("", dt, raw) for raw in _edge_raw])
            seed.create_mailbox(m, BIG)
            seed.multiappend(m, BIG, [("", dt, big_message())])
            seed.create_mailbox(m, PERSIST)
            seed.multiappend(m, PERSIST, [("", dt, raw) for raw in persist_messages()])
            if os.environ.get("IMAPFS_SKIP_CORPUS"):
                _corpus_skip = "IMAPFS_SKIP_CORPUS is set"
            else:
                try:
                    res = seed.seed_corpus(m, None)
                    _corpus_boxes.extend(sorted(res))
                except seed.CorpusUnavailable as e:
                    _corpus_skip = f"SpamAssassin corpus unavailable: {e}"
        finally:
            m.logout()
        tm._log(f"parts server up and seeded in {time.monotonic() - t0:.1f} s")


def tearDownModule():
    tm._cleanup()


def fetch_sections(m, uid, sections, item="BODY.PEEK"):
    """{section: bytes} of UID FETCH uid (ITEM[s] ...), one per command."""
    res = {}
    for s in sections:
        typ, data = m.uid("FETCH", str(uid), f"({item}[{s}])")
        if typ != "OK":
            raise RuntimeError(f"FETCH {item}[{s}] of {uid}: {typ} {data}")
        lits = [d[1] for d in data if isinstance(d, tuple)]
        if lits:
            res[s] = lits[0]
        else:
            # An empty value may come as "" rather than a literal.
            joined = b" ".join(d for d in data if isinstance(d, bytes))
            if not re.search(rb'\]\s+""', joined):
                raise RuntimeError(f"FETCH {item}[{s}] of {uid}: no value in {data!r}")
            res[s] = b""
    return res


class Refused(Exception):
    """The server would not give a section (NO, or it dropped the session)."""


class Client:
    """An imaplib session that survives the server dropping it: Dovecot
    2.3 disconnects on BINARY of some broken base64 ("Base64 data ends
    prematurely"), and answers NO [PARSE] to BINARY of other broken parts."""

    def __init__(self):
        self.m, self.box = None, None

    def select(self, box):
        if self.m is None:
            self.m, self.box = tm._server.imap_client(USER, timeout=300), None
        if self.box != box:
            oracle.select(self.m, box)
            self.box = box
        return self.m

    def section(self, box, uid, sec, item="BODY.PEEK"):
        m = self.select(box)
        try:
            return fetch_sections(m, uid, [sec], item)[sec]
        except imaplib.IMAP4.abort as e:
            try:
                self.m.shutdown()
            except OSError:
                pass
            finally:
                self.m.sock.close()
            self.m = None
            raise Refused(f"session dropped: {e}") from None
        except RuntimeError as e:
            raise Refused(str(e)) from None

    def close(self):
        if self.m is not None:
            try:
                self.m.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            self.m = None


def server_view(box):
    """[(uid, raw, msg, [PartFile], {name: bytes})] of a mailbox, the
    oracle's expectation, read with imaplib."""
    c = Client()
    try:
        bodies = oracle.fetch_bodies(c.select(box), box)
        res = []
        for uid in sorted(bodies):
            raw = bodies[uid]
            msg = po.parse(raw)
            files = po.listing(msg)
            want = {pf.name: po.content(pf, raw, lambda s, u=uid: c.section(box, u, s)) for pf in files}
            res.append((uid, raw, msg, files, want))
        return res
    finally:
        c.close()


def stems(d):
    """{uid: STEM} of the .eml files of directory d."""
    res = {}
    for n in os.listdir(d):
        mt = UID_RE.search(n)
        if mt and n.endswith(".eml"):
            res[int(mt.group(1))] = n[: -len(".eml")]
    return res


class PartsTestCase(TimedTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(tm._server.wait_sessions_closed(USER))
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

    def check_names_safe(self, pdir, names):
        real = os.path.realpath(pdir)
        for n in names:
            self.assertNotIn("/", n)
            self.assertFalse(any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in n), repr(n))
            self.assertNotIn(n, ("", ".", ".."))
            self.assertLessEqual(len(n.encode()), 255)
            self.assertEqual(os.path.dirname(os.path.realpath(os.path.join(pdir, n))), real, n)


class OracleTest(PartsTestCase):
    """The oracle against Dovecot, without imapfs: Python's transfer
    decoding equals BINARY.PEEK[SECTION] for every leaf of the generated
    messages, and each attached message's BODY[SECTION] is the message
    Python found at that section."""

    @limit(120)
    def test_oracle_matches_dovecot_binary(self):
        m = tm._server.imap_client(USER, timeout=120)
        checked = 0
        try:
            bodies = oracle.fetch_bodies(m, EDGE)
            for uid, raw in sorted(bodies.items()):
                msg = po.parse(raw)
                for sec, part in po.leaves(msg):
                    if po.is_message(part):
                        got = fetch_sections(m, uid, [sec])[sec]
                        inner = po.parse(got)
                        self.assertEqual(inner["Subject"], part.get_payload(0)["Subject"], f"{uid} {sec}")
                        continue
                    want = po.decoded(part)
                    got = fetch_sections(m, uid, [sec], "BINARY.PEEK")[sec]
                    self.assertEqual(got, want, f"UID {uid} section {sec}")
                    checked += 1
        finally:
            m.logout()
        tm._log(f"parts oracle: {checked} leaves decoded as Dovecot's BINARY does")

    def test_oracle_names(self):
        """The rules of mail_parts.h, spelled out on the generated set."""
        names = {}
        for raw in edge_messages():
            msg = po.parse(raw)
            names[msg["Subject"]] = [pf.name for pf in po.listing(msg)]
        self.assertEqual(names["plain text only"], ["headers.txt", "body.txt"])
        self.assertEqual(names["alternative"], ["headers.txt", "body.txt", "body.html"])
        self.assertEqual(names["pdf and rfc2231"],
                         ["headers.txt", "body.txt", "€ rates.pdf", "Quarterly € report.pdf", "été.pdf",
                          "café menu.txt"])
        h = names["hostile names"]
        self.assertEqual(h[:6], ["headers.txt", "body.txt", ".._.._etc_passwd", "_", "part-4.bin",
                                 "L" * 236 + ".pdf"])
        self.assertEqual(h[6:], ["abcd e.txt", "invoicefdp.exe", "Report.pdf", "report (2).pdf",
                                 "body (2).txt", "HEADERS (2).TXT", "a-b c.txt", "part-13.bin"])
        self.assertEqual(names["forwarded messages"],
                         ["headers.txt", "body.txt", "forwarded.eml", "part-3.eml", "Old.EML"])
        self.assertEqual(names["inline image"], ["headers.txt", "body.html", "part-2.png"])
        deep = ".".join(["1"] * 30)
        self.assertEqual(names["nested 30"], ["headers.txt", "body.txt", f"part-{deep[:-1]}2.bin",
                                              f"part-{deep[:-1]}3.txt"])
        self.assertEqual(names["text attachments without names"],
                         ["headers.txt", "body.txt", "part-2.txt", "part-3.csv", "part-4.html", "part-5.bin"])
        self.assertEqual(names["top-level attachment"], ["headers.txt", "only.pdf"])
        self.assertEqual(names["odd encodings"], ["headers.txt", "body.txt", "one-line.bin", "lines64.bin",
                                                  "short.bin", "small-qp.bin", "large-qp.bin"])

    def test_oracle_texts(self):
        msgs = {po.parse(r)["Subject"]: r for r in edge_messages()}

        def body(subj):
            return po.expected(msgs[subj], lambda s: b"")["body.txt"]

        self.assertEqual(body("qp latin1"), "Café crème brûlée, a soft break.\r\nSecond line=.\r\n".encode())
        self.assertEqual(body("mislabeled charset"), "café € français\r\n".encode())
        self.assertEqual(body("unknown charset"), "naïve café\r\n".encode())
        self.assertEqual(body("ascii with 8bit"), "odd \x81 bytes é\r\n".encode())
        hdr = po.headers_txt(msgs["plain text only"])
        self.assertEqual(hdr, b"From: Edge Tester <edge@example.org>\nTo: carol@example.org\n"
                              b"Date: Tue, 3 Jan 2023 10:00:00 +0000\nSubject: plain text only\n"
                              b"Message-ID: <edge.0@example.org>\n")


class EdgeTest(PartsTestCase):
    @limit(120)
    def test_generated_messages(self):
        view = server_view(EDGE)
        mnt = self.mount()
        try:
            d = mnt.path(EDGE)
            st = stems(d)
            self.assertEqual(sorted(st), [v[0] for v in view])
            before = sorted(os.listdir(d))
            bad = []
            for uid, raw, msg, files, want in view:
                pdir = os.path.join(d, st[uid] + ".parts")
                what = f"{msg['Subject']!r} (UID {uid})"
                s = os.stat(pdir)
                self.assertTrue(stat.S_ISDIR(s.st_mode), what)
                self.assertEqual(stat.S_IMODE(s.st_mode), 0o700, what)
                names = os.listdir(pdir)
                self.assertEqual(sorted(names), sorted(want), what)
                self.check_names_safe(pdir, names)
                for n, data in want.items():
                    p = os.path.join(pdir, n)
                    try:
                        fs = os.stat(p)
                        got = tm.read_file(p)
                        after = os.stat(p).st_size
                    except OSError as e:
                        bad.append(f"{what} {n!r}: {e}")
                        continue
                    self.assertTrue(stat.S_ISREG(fs.st_mode), f"{what} {n}")
                    self.assertEqual(stat.S_IMODE(fs.st_mode), 0o600, f"{what} {n}")
                    if got != data:
                        bad.append(f"{what} {n!r}: read {len(got)} bytes, oracle {len(data)}"
                                   f"{' (a prefix)' if data.startswith(got) else ''}")
                    if fs.st_size != len(got) or after != len(got):
                        bad.append(f"{what} {n!r}: stat {fs.st_size} before read, {after} after, "
                                   f"read {len(got)}")
                # Read-only: no write, no new file.
                first = os.path.join(pdir, "headers.txt")
                with self.assertRaises(OSError):
                    tm.write_once(first, b"x")
                with self.assertRaises(OSError):
                    with open(os.path.join(pdir, "new.txt"), "wb") as f:
                        f.write(b"x")
                self.assertFalse(os.path.exists(os.path.join(pdir, "nope.bin")))
            # Nothing appeared beside the messages or above the folder.
            self.assertEqual(sorted(os.listdir(d)), before)
            top = [EDGE, BIG, PERSIST, "INBOX"] + (["corpus"] if _corpus_boxes else [])
            self.assertEqual(sorted(os.listdir(mnt.path())), sorted(top))
        finally:
            self.unmount(mnt)
        tm._log(f"parts edge: {len(view)} messages, {sum(len(v[4]) for v in view)} files, "
                f"{len(bad)} differences from the oracle")
        for line in bad:
            tm._log(f"  {line}")
        self.assertEqual(bad, [])


# Dovecot 2.3.19's capabilities without BINARY: what a server such as
# Gmail offers, which makes imapfs fetch parts as stored and decode them.
NO_BINARY_CAPS = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
                  "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL "
                  "CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 "
                  "CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS "
                  "MOVE LITERAL+")


class NoBinaryTest(PartsTestCase):
    """The edge messages through a second Dovecot that does not announce
    BINARY: every encoded part is fetched with BODY.PEEK and decoded by
    imapfs (GMime), and must still equal the oracle, sizes included."""

    @limit(180)
    def test_edge_messages_without_binary(self):
        view = server_view(EDGE)
        dc = dovecot.Dovecot(root=os.path.join(tm._tmp, "dovecot-nobinary"), users=tm.USERS,
                             capability=NO_BINARY_CAPS)
        dc._own_root = True
        dc.start()
        try:
            m = dc.imap_client(USER, timeout=120)
            try:
                dt = datetime.datetime(2023, 1, 3, 10, 0, tzinfo=datetime.timezone.utc)
                seed.create_mailbox(m, EDGE)
                # The same bytes as the main server's (their MIME
                # boundaries differ from one edge_messages() to the next).
                seed.multiappend(m, EDGE, [("", dt, raw) for raw in _edge_raw])
                typ, caps = m.capability()
                self.assertNotIn(b"BINARY", caps[0].split())
            finally:
                m.logout()
            cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
            mnt = Mount(USER, opts=["-d", "-o", f"cache_dir={cache}", "-o", f"cafile={dc.cafile}"],
                        url=dc.url(USER), cafile=False)
            self.mounts.append(mnt)
            mnt.start()
            bad, trips = [], {}
            try:
                d = mnt.path(EDGE)
                st = stems(d)
                self.assertEqual(sorted(st), [v[0] for v in view])
                for uid, raw, msg, files, want in view:
                    pdir = os.path.join(d, st[uid] + ".parts")
                    before = len(mnt.stderr())
                    self.assertEqual(sorted(os.listdir(pdir)), sorted(want), f"UID {uid}")
                    for n in want:
                        os.stat(os.path.join(pdir, n))
                    trips[uid] = len(content_fetches(mnt.stderr()[before:], [uid]))
                    for n, data in want.items():
                        p = os.path.join(pdir, n)
                        got = tm.read_file(p)
                        if got != data or os.stat(p).st_size != len(got):
                            at = next((i for i, (a, b) in enumerate(zip(got, data)) if a != b),
                                      min(len(got), len(data)))
                            bad.append(f"UID {uid} {n!r}: read {len(got)}, stat "
                                       f"{os.stat(p).st_size}, oracle {len(data)}; first "
                                       f"difference at {at}: {got[at:at + 24]!r} vs "
                                       f"{data[at:at + 24]!r}")
            finally:
                problems = mnt.stop()
            self.assertEqual(problems, [])
            trace = mnt.stderr()
            # The path under test: no BINARY command, encoded parts read
            # as stored.
            self.assertNotIn("BINARY.", trace)
            self.assertRegex(trace, r"UID FETCH \d+ \(UID BODY\.PEEK\[\d")
        finally:
            dc.stop()
        tm._log(f"parts without BINARY: {len(view)} messages, {sum(len(v[4]) for v in view)} files, "
                f"{len(bad)} differences from the oracle; first-look round trips per message {trips}")
        for line in bad:
            tm._log(f"  {line}")
        self.assertEqual(bad, [])
        # The parts decoded here come whole with the texts: the first look
        # asks for the structures (of the next messages too) and then
        # everything else; later looks only the latter.
        first = min(trips)
        self.assertEqual({u: n for u, n in trips.items() if n != (2 if u == first else 1)}, {})


class CorpusTest(PartsTestCase):
    """Every message of the five SpamAssassin folders (about 6,000)."""

    @limit(120)
    def test_oracle_matches_dovecot_binary_on_corpus(self):
        """Without imapfs: Python's transfer decoding of every corpus leaf
        against Dovecot's BINARY.PEEK[SECTION].  Disagreements are parse
        differences on malformed MIME (reported); Dovecot refuses BINARY
        for some broken parts (reported)."""
        if _corpus_skip:
            self.skipTest(_corpus_skip)
        c = Client()
        n = 0
        diffs, refused = [], []
        try:
            for box in _corpus_boxes:
                for uid, raw in sorted(oracle.fetch_bodies(c.select(box), box).items()):
                    for sec, part in po.leaves(po.parse(raw)):
                        want = None if po.is_message(part) else po.decoded(part)
                        if want is None:
                            continue
                        n += 1
                        try:
                            got = c.section(box, uid, sec, "BINARY.PEEK")
                        except Refused as e:
                            refused.append(f"{box} UID {uid} [{sec}] {part.get_content_type()}: {str(e)[-80:]}")
                            continue
                        if got != want:
                            diffs.append(f"{box} UID {uid} [{sec}] {part.get_content_type()} "
                                         f"CTE {part.get('Content-Transfer-Encoding')}: "
                                         f"Dovecot {len(got)} bytes, Python {len(want)}")
        finally:
            c.close()
        tm._log(f"parts oracle on the corpus: {n} leaves, {len(diffs)} decode differently in Dovecot's "
                f"BINARY, {len(refused)} refused by Dovecot's BINARY")
        for line in diffs[:10] + refused[:5]:
            tm._log(f"  {line}")
        self.assertLess(len(diffs), n // 200)

    @limit(420)
    def test_corpus(self):
        if _corpus_skip:
            self.skipTest(_corpus_skip)
        t0 = time.monotonic()
        views = {box: server_view(box) for box in _corpus_boxes}
        t_oracle = time.monotonic() - t0
        total = sum(len(v) for v in views.values())
        step = max(1, total // CORPUS_SAMPLE) if CORPUS_SAMPLE else 1
        mnt = self.mount()
        n_msgs = n_files = n_att = 0
        name_diffs, body_diffs, att_diffs, size_diffs, dir_errors, read_errors = [], [], [], [], [], []
        n_body = n_body_ok = 0
        k = 0
        try:
            t1 = time.monotonic()
            for box, view in views.items():
                d = mnt.path(box)
                st = stems(d)
                for uid, raw, msg, files, want in view:
                    k += 1
                    if (k - 1) % step:
                        continue
                    n_msgs += 1
                    pdir = os.path.join(d, st[uid] + ".parts")
                    try:
                        names = os.listdir(pdir)
                    except OSError as e:
                        dir_errors.append(f"{box} UID {uid}: {e}")
                        continue
                    self.check_names_safe(pdir, names)
                    if sorted(names) != sorted(want):
                        name_diffs.append(f"{box} UID {uid}: imapfs {sorted(set(names) - set(want))} "
                                          f"oracle {sorted(set(want) - set(names))}")
                    kinds = {pf.name: pf for pf in files}
                    for n in names:
                        p = os.path.join(pdir, n)
                        pf = kinds.get(n)
                        n_files += 1
                        try:
                            size = os.stat(p).st_size
                            got = tm.read_file(p)
                        except OSError as e:
                            read_errors.append((box, uid, n, pf, str(e)))
                            continue
                        if size != len(got):
                            size_diffs.append(f"{box} UID {uid} {n}: stat {size}, read {len(got)}")
                        if pf is None:
                            continue
                        if pf.kind in (po.FILE, po.MESSAGE):
                            n_att += 1
                            if got != want[n]:
                                att_diffs.append((box, uid, n, pf, got, want[n]))
                        elif pf.kind == po.TEXT:
                            n_body += 1
                            if got == want[n]:
                                n_body_ok += 1
                            else:
                                body_diffs.append(f"{box} UID {uid}: charset {po.charset_of(pf.part)!r}, "
                                                  f"CTE {pf.part.get('Content-Transfer-Encoding')}, "
                                                  f"imapfs {len(got)} bytes, oracle {len(want[n])}")
            t_mount = time.monotonic() - t1
        finally:
            problems = mnt.stop()
        # Complaints about one corpus message's data (Dovecot failing on
        # broken MIME) are expected; anything else is not.
        unexpected = mnt.unexpected_output(allowed=[r"^imapfs: corpus/[^ ]+ UID \d+: "])
        for line in mnt.stderr().splitlines()[:10]:
            tm._log(f"  imapfs said: {line}")
        # Who is wrong where imapfs and the oracle disagree: ask Dovecot.
        # imapfs showing exactly what BINARY[SECTION] returns is a parse
        # difference between Python and Dovecot on malformed MIME; failing
        # to read is fine only where Dovecot refuses BINARY itself.
        c = Client()
        bad_att, parse_diffs, bad_reads = [], [], []
        try:
            for box, uid, n, pf, got, exp in att_diffs:
                item = "BODY.PEEK" if pf.kind == po.MESSAGE else "BINARY.PEEK"
                try:
                    server = c.section(box, uid, pf.section, item)
                    verdict = "same as imapfs" if server == got else f"{len(server)} bytes"
                except Refused:
                    server = None
                    verdict = "refuses BINARY"
                line = (f"{box} UID {uid} {n!r} [{pf.section}] {pf.part.get_content_type()} "
                        f"CTE {pf.part.get('Content-Transfer-Encoding')}: imapfs {len(got)} bytes, "
                        f"oracle {len(exp)}, Dovecot {verdict}")
                # Where Dovecot cannot decode the part (broken base64 or
                # quoted-printable) imapfs decodes it itself: two lenient
                # decoders may differ on broken data; that is reported,
                # not failed.  Anything else is a wrong file.
                (parse_diffs if server is None or server == got else bad_att).append(line)
            for box, uid, n, pf, err in read_errors:
                refused = False
                if pf is not None and pf.kind in (po.FILE, po.TEXT, po.HTML):
                    try:
                        c.section(box, uid, pf.section, "BINARY.PEEK")
                    except Refused:
                        refused = True
                (parse_diffs if refused else bad_reads).append(f"{box} UID {uid} {n!r}: {err}"
                                                               f"{' (Dovecot refuses BINARY too)' if refused else ''}")
        finally:
            c.close()
        pct = 100.0 * n_body_ok / max(1, n_body)
        tm._log(f"parts corpus: {n_msgs} of {total} messages ({'all' if step == 1 else f'every {step}th'}), "
                f"{n_files} files, {n_att} attachment-like; oracle {t_oracle:.0f} s, mount {t_mount:.0f} s")
        tm._log(f"parts corpus: .parts not opened {len(dir_errors)}, name mismatches {len(name_diffs)}, "
                f"attachment byte mismatches {len(bad_att)} (+{len(parse_diffs)} where imapfs shows what "
                f"Dovecot's BINARY gives or fails where it does), read errors {len(bad_reads)}, "
                f"size mismatches {len(size_diffs)}, body.txt {n_body_ok}/{n_body} = {pct:.1f}% as the oracle")
        for what, lst in (("dir", dir_errors), ("names", name_diffs), ("attachment", bad_att),
                          ("server-side", parse_diffs), ("read", bad_reads), ("size", size_diffs),
                          ("body.txt", body_diffs)):
            for line in lst[:10]:
                tm._log(f"  {what}: {line}")
        self.assertEqual(problems, [])
        self.assertEqual(unexpected, [])
        self.assertTrue(tm._server.wait_sessions_closed(USER), "sessions left open after unmount")
        self.assertEqual(dir_errors, [])
        self.assertEqual(size_diffs, [])
        self.assertEqual(bad_att, [])
        self.assertEqual(bad_reads, [])
        self.assertLess(len(parse_diffs), max(1, n_msgs // 100))
        # Where Dovecot cannot decode a part, imapfs decodes it itself
        # (GMime, the last quantum's missing padding supplied) as the
        # oracle does: what remains are parts imapfs shows exactly as
        # Dovecot gives them (a multipart left unterminated: Python drops
        # its last line end).
        self.assertEqual([l for l in parse_diffs if not l.endswith("Dovecot same as imapfs")], [])
        self.assertGreaterEqual(n_msgs - len(name_diffs), CORPUS_MIN_NAMES_MATCH * n_msgs)
        self.assertGreaterEqual(n_body_ok, CORPUS_MIN_BODY_MATCH * n_body)


class LazyTest(PartsTestCase):
    def _big(self):
        m = tm._server.imap_client(USER, timeout=120)
        try:
            uid, raw = next(iter(oracle.fetch_bodies(m, BIG).items()))
        finally:
            m.logout()
        return uid, po.expected(raw)

    def _measured(self, fn):
        self.assertTrue(tm._server.wait_sessions_closed(USER))
        mark = tm._server.log_mark()
        mnt = self.mount()  # fresh HOME and cache: nothing cached
        try:
            d = mnt.path(BIG)
            res = fn(os.path.join(d, next(iter(stems(d).values())) + ".parts"))
        finally:
            self.unmount(mnt)
        out = tm._server.sessions_out(mark, USER)
        self.assertTrue(out, "no session logged")
        return res, sum(out), out

    @limit(120)
    def test_body_of_big_message_fetches_little(self):
        uid, want = self._big()
        got, total, out = self._measured(lambda p: subprocess.run(["cat", os.path.join(p, "body.txt")],
                                                                  capture_output=True, timeout=60))
        tm._log(f"parts lazy: cat body.txt of a message with a {BIG_ATTACHMENT}-byte attachment: "
                f"the server sent {total} bytes in {len(out)} session(s) {out}")
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(got.stdout, want["body.txt"])
        self.assertLess(total, 1 << 20)

    @limit(120)
    def test_ls_l_shows_exact_size_without_download(self):
        uid, want = self._big()
        got, total, out = self._measured(
            lambda p: (subprocess.run(["ls", "-l", p], capture_output=True, timeout=60),
                       {n: os.stat(os.path.join(p, n)).st_size for n in os.listdir(p)}))
        tm._log(f"parts lazy: ls -l of the .parts of a message with a {BIG_ATTACHMENT}-byte attachment: "
                f"the server sent {total} bytes in {len(out)} session(s) {out}")
        r, sizes = got
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sizes["big.bin"], BIG_ATTACHMENT)
        self.assertEqual(len(want["big.bin"]), BIG_ATTACHMENT)
        self.assertIn(str(BIG_ATTACHMENT), r.stdout.decode())
        self.assertEqual(sizes, {n: len(b) for n, b in want.items()})
        self.assertLess(total, 1 << 20)


# --- the listing record in the block cache (docs/DESIGN.md "MIME parts") --

# The pack format (docs/DESIGN.md "Block cache"), as tests/mount/test_cache.py
# reads it: a 48-byte header, the mailbox and section names, the data.
PACK_REC = struct.Struct("=8sIIQIIQII")  # magic, version, len, sum, UIDVALIDITY, UID, block, name lengths
PACK_MAGIC = b"IMAPFSP\n"
RECORD_SECTION = b".parts"
FETCH_RE = re.compile(r"\] C: \S+ UID FETCH (\S+) \((.*)\)$")
# Items that ask for a message's content or structure (not its metadata).
# A part fetched whole (to learn its size).
WHOLE_RE = re.compile(r"\(UID BINARY\.PEEK\[[\d.]+\]<0\.\d+>\)$")
CONTENT_RE = re.compile(r"BODYSTRUCTURE|BINARY|BODY(\.PEEK)?\[|RFC822(\.HEADER|\.TEXT)?( |$)")


def _xxh3():
    lib = ctypes.CDLL("libxxhash.so.0")
    f, g = lib.XXH3_64bits, lib.XXH3_64bits_withSeed
    f.restype = g.restype = ctypes.c_uint64
    f.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    g.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return f, g


def pack_records(cache_dir, uid, section):
    """[(pack, offset, header+names length, data length, block)] of the
    records of (uid, section) in the packs, in pack order (the last of a
    block wins)."""
    d = os.path.join(cache_dir, "packs")
    res = []
    for p in sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".pack")):
        with open(p, "rb") as fh:
            data = fh.read()
        off = 0
        while off + PACK_REC.size <= len(data):
            magic, version, dlen, _, _, u, block, ml, sl = PACK_REC.unpack_from(data, off)
            hlen = PACK_REC.size + ml + sl
            if magic != PACK_MAGIC or version != 1 or off + hlen + dlen > len(data):
                break
            sec = data[off + PACK_REC.size + ml : off + hlen]
            if u == uid and sec == section:
                res.append((p, off, hlen, dlen, block))
            off += hlen + dlen
    return res


def rewrite_record(rec, fn):
    """Replaces the data of one pack record by fn(data) (same length) and
    makes its checksum right again, so that the store serves it: what is
    wrong in it is for imapfs's reading of the record to find."""
    f, g = _xxh3()
    p, off, hlen, dlen, _ = rec
    with open(p, "r+b") as fh:
        fh.seek(off)
        raw = bytearray(fh.read(hlen + dlen))
        data = fn(bytes(raw[hlen:]))
        assert len(data) == dlen
        raw[hlen:] = data
        raw[16:24] = b"\0" * 8
        s = f(bytes(raw[: PACK_REC.size]), PACK_REC.size)
        s = g(bytes(raw[PACK_REC.size : hlen]), hlen - PACK_REC.size, s)
        s = g(bytes(raw[hlen:]), dlen, s)
        raw[16:24] = struct.pack("=Q", s)
        fh.seek(off)
        fh.write(raw)


def redigest(rec0):
    """Record bytes (all blocks together) with a right SHA-256 in its first line."""
    head = rec0.index(b"\n") + 1
    digest = hashlib.sha256(rec0[head:]).hexdigest().encode()
    return rec0[: head - 65] + digest + rec0[head - 1 :]


def content_fetches(trace, uids):
    """The client's UID FETCH lines in a -d trace that ask for the content
    or structure of one of uids (not folder listings)."""
    res = []
    for line in trace.splitlines():
        mt = FETCH_RE.search(line)
        # (RFC822.SIZE: a folder listing's fetch, not about one message.)
        if not mt or not CONTENT_RE.search(mt.group(2)) or "RFC822.SIZE" in mt.group(2):
            continue
        for r in mt.group(1).split(","):
            lo, _, hi = r.partition(":")
            lo = int(lo) if lo != "*" else 1 << 32
            hi = lo if not hi else (int(hi) if hi != "*" else 1 << 32)
            lo, hi = min(lo, hi), max(lo, hi)
            if any(lo <= u <= hi for u in uids):
                res.append(line)
                break
    return res


class PersistTest(PartsTestCase):
    """A listing is kept in the block cache: after a remount on the same
    cache, ls -l of a .parts directory and reading every file in it ask
    the server nothing about the message; a damaged record is a rebuild,
    never wrong sizes."""

    def mount_on(self, cache, *opts):
        mnt = Mount(USER, opts=["-d", "-o", f"cache_dir={cache}"] + list(opts))
        self.mounts.append(mnt)
        return mnt.start()

    def stop(self, mnt):
        problems = mnt.stop()
        self.assertEqual(problems, [])
        self.assertEqual([l for l in mnt.unexpected_output() if "] S: " not in l and "] C: " not in l], [])
        self.assertTrue(tm._server.wait_sessions_closed(USER), "sessions left open after unmount")

    def read_parts(self, pdir):
        """({name: size} as ls -l shows, {name: bytes} read)."""
        r = subprocess.run(["ls", "-l", "--time-style=+", pdir], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = os.listdir(pdir)
        sizes = {n: os.stat(os.path.join(pdir, n)).st_size for n in names}
        for n, size in sizes.items():
            self.assertIn(f" {size} ", r.stdout.decode(), n)
        return sizes, {n: tm.read_file(os.path.join(pdir, n)) for n in names}

    @limit(180)
    def test_remount_asks_the_server_nothing_about_the_message(self):
        view = server_view(PERSIST)
        want = {uid: w for uid, raw, msg, files, w in view}
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        trips = {}
        mnt = self.mount_on(cache)
        try:
            d = mnt.path(PERSIST)
            st = stems(d)
            self.assertEqual(sorted(st), sorted(want))
            for uid in sorted(st):
                before = len(mnt.stderr())
                os.listdir(os.path.join(d, st[uid] + ".parts"))
                trips[uid] = content_fetches(mnt.stderr()[before:], [uid])
                sizes, data = self.read_parts(os.path.join(d, st[uid] + ".parts"))
                self.assertEqual(data, want[uid], f"UID {uid}")
                self.assertEqual(sizes, {n: len(b) for n, b in want[uid].items()}, f"UID {uid}")
        finally:
            self.stop(mnt)
        first = mnt.stderr()
        # The record of the long-subject message spans two blocks.
        long_uid = max(want)
        self.assertEqual(sorted(r[4] for r in pack_records(cache, long_uid, RECORD_SECTION)), [0, 1])
        mnt = self.mount_on(cache)
        try:
            d = mnt.path(PERSIST)
            st = stems(d)
            mark = len(mnt.stderr())
            for uid in sorted(st):
                sizes, data = self.read_parts(os.path.join(d, st[uid] + ".parts"))
                self.assertEqual(data, want[uid], f"UID {uid}")
                self.assertEqual(sizes, {n: len(b) for n, b in want[uid].items()}, f"UID {uid}")
        finally:
            self.stop(mnt)
        trace = mnt.stderr()
        # Dovecot 2.3.19's BINARY.SIZE is wrong for some parts (the PDFs
        # here): the size check finds it and such a part is fetched whole,
        # one command each, to learn its size.  Counted apart.
        refetch = {uid: [l for l in lines if WHOLE_RE.search(l)] for uid, lines in trips.items()}
        trips = {uid: len(lines) - len(refetch[uid]) for uid, lines in trips.items()}
        refetch = {uid: len(lines) for uid, lines in refetch.items() if lines}
        tm._log(f"parts persist: listing round trips per message the first time {trips}, plus "
                f"parts fetched whole as their BINARY.SIZE was wrong {refetch}; "
                f"after remount {len(content_fetches(trace, list(want)))} content fetches")
        # The trace is on (the first mount's shows the fetches), and the
        # remount's shows none about these messages, not even for body.txt.
        self.assertTrue(content_fetches(first, list(want)))
        self.assertRegex(trace[mark:] + trace[:mark], r"\] C: ")
        self.assertEqual(content_fetches(trace, list(want)), [])
        # The first listing asks for the structures of the first message
        # and the next ones together, then the sizes and texts: 2 round
        # trips; every later one finds its structure waiting: 1, but for
        # the long-subject message, whose 90 KB header block is too large
        # to wait: 2.  The spans find every attachment's decoded size (the
        # PDFs' wrong BINARY.SIZE included), so nothing is fetched whole.
        for uid, n in trips.items():
            self.assertEqual(n, 2 if uid in (min(trips), long_uid) else 1, uid)
        self.assertEqual(refetch, {})

    @limit(120)
    def test_cached_eml_gives_the_parts_without_asking_for_them(self):
        """A message whose .eml was read (the block cache holds all of it,
        under 64 KiB): the first look into its .parts asks the server for
        its structure at most, never for its parts; one whose structure
        came with that look asks nothing at all.  The files are the
        oracle's, sizes included."""
        view = server_view(PERSIST)
        raws = {uid: raw for uid, raw, msg, files, w in view}
        want = {uid: w for uid, raw, msg, files, w in view}
        small = sorted(uid for uid, raw in raws.items() if len(raw) < 64 << 10)
        self.assertGreaterEqual(len(small), 3, {u: len(r) for u, r in raws.items()})
        a, b = small[0], small[1]
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        mnt = self.mount_on(cache)
        try:
            d = mnt.path(PERSIST)
            st = stems(d)
            for uid in (a, b):
                self.assertEqual(tm.read_file(os.path.join(d, st[uid] + ".eml")), raws[uid])
            looks = {}
            for uid in (a, b):
                before = len(mnt.stderr())
                sizes, data = self.read_parts(os.path.join(d, st[uid] + ".parts"))
                looks[uid] = content_fetches(mnt.stderr()[before:], [uid])
                self.assertEqual(data, want[uid], f"UID {uid}")
                self.assertEqual(sizes, {n: len(x) for n, x in want[uid].items()}, f"UID {uid}")
        finally:
            self.stop(mnt)
        tm._log(f"parts from a cached .eml: content fetches about the message on its first look "
                f"{ {u: len(l) for u, l in looks.items()} }")
        # a: the structures (b's among them), nothing else; b: nothing.
        self.assertEqual(len(looks[a]), 1, looks[a])
        self.assertRegex(looks[a][0], r"\(UID BODYSTRUCTURE BODY\.PEEK\[HEADER\.FIELDS")
        self.assertEqual(looks[b], [])

    def damaged(self, subject, damage, refused=None, rebuilt=True):
        """Lists and reads subject's .parts, damages its record with
        damage(cache, uid), remounts: the files must be the oracle's, the
        listing asked again, and (refused) the reason logged."""
        view = server_view(PERSIST)
        uid, w = next((uid, w) for uid, raw, msg, files, w in view if msg["Subject"] == subject)
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        mnt = self.mount_on(cache)
        try:
            pdir = os.path.join(mnt.path(PERSIST), stems(mnt.path(PERSIST))[uid] + ".parts")
            self.assertEqual(self.read_parts(pdir)[1], w)
        finally:
            self.stop(mnt)
        damage(cache, uid)
        mnt = self.mount_on(cache)
        try:
            pdir = os.path.join(mnt.path(PERSIST), stems(mnt.path(PERSIST))[uid] + ".parts")
            sizes, data = self.read_parts(pdir)
        finally:
            self.stop(mnt)
        self.assertEqual(sizes, {n: len(b) for n, b in w.items()})
        self.assertEqual(data, w)
        trace = mnt.stderr()
        asked = [l for l in content_fetches(trace, [uid]) if "BODYSTRUCTURE" in l]
        if rebuilt:
            self.assertTrue(asked, "the listing was not asked again")
        else:
            self.assertEqual(asked, [], "the listing was asked again")
        if refused:
            self.assertRegex(trace, r"UID %d: the cached listing of its parts is refused \(%s" % (uid, refused))
        return trace

    @limit(120)
    def test_record_with_flipped_bytes_is_rebuilt(self):
        def flip(cache, uid):
            recs = pack_records(cache, uid, RECORD_SECTION)
            self.assertEqual(len(recs), 1)
            p, off, hlen, dlen, _ = recs[0]
            with open(p, "r+b") as fh:
                fh.seek(off + hlen + dlen // 2)
                b = fh.read(8)
                fh.seek(off + hlen + dlen // 2)
                fh.write(bytes(x ^ 0x5A for x in b))

        self.damaged("pdf and rfc2231", flip)

    @limit(120)
    def test_record_of_another_version_is_rebuilt(self):
        def version(cache, uid):
            rec = pack_records(cache, uid, RECORD_SECTION)[-1]
            rewrite_record(rec, lambda d: d.replace(b"imapfs-parts 1 ", b"imapfs-parts 9 ", 1))

        self.damaged("alternative", version, "not a record of this version")

    @limit(120)
    def test_record_with_a_changed_size_is_rebuilt(self):
        """A size changed with the store's checksum made right: the digest
        refuses it; with the digest made right too, the size of an
        attached message no longer matches its BODYSTRUCTURE size."""

        def last_size(d, delta):
            lines = d.split(b"\n")
            size, flags = lines[-2].split(b" ")
            new = str(int(size) + delta).encode()
            self.assertEqual(len(new), len(size))
            lines[-2] = new + b" " + flags
            return b"\n".join(lines)

        def size(cache, uid):
            rewrite_record(pack_records(cache, uid, RECORD_SECTION)[-1], lambda d: last_size(d, -1))

        def size_and_digest(cache, uid):
            rewrite_record(pack_records(cache, uid, RECORD_SECTION)[-1],
                           lambda d: redigest(last_size(d, -1)))

        self.damaged("forwarded messages", size, "digest does not match")
        self.damaged("forwarded messages", size_and_digest, "a size or flag cannot be right")

    @limit(120)
    def test_record_missing_its_second_block_is_rebuilt(self):
        def second(cache, uid):
            recs = pack_records(cache, uid, RECORD_SECTION)
            self.assertEqual(sorted(r[4] for r in recs), [0, 1])
            rec = next(r for r in recs if r[4] == 1)
            rewrite_record(rec, lambda d: d[:-1] + bytes([d[-1] ^ 1]))

        self.damaged(max((po.parse(r)["Subject"] for r in persist_messages()), key=len), second,
                     "digest does not match")

    @limit(120)
    def test_evicted_body_txt_is_fetched_again(self):
        """The record kept, the UTF-8 bytes of body.txt gone (as after an
        eviction): the file is fetched and converted again, same bytes."""
        def text(cache, uid):
            recs = pack_records(cache, uid, b"utf8:1")
            self.assertTrue(recs)
            for p, off, hlen, dlen, _ in recs:
                with open(p, "r+b") as fh:
                    fh.seek(off + hlen)
                    fh.write(b"\xff" * min(dlen, 4))

        trace = self.damaged("qp latin1", text, rebuilt=False)
        # The listing came from the record; the text alone was fetched.
        self.assertRegex(trace, r"\] C: \S+ UID FETCH \d+ \(UID BINARY\.PEEK\[1\]<0\.\d+>\)")


class CorpusTripsTest(PartsTestCase):
    """Round trips of the first listing of each .parts directory, on real
    mail: every message of two corpus folders, in UID order, as ls -l
    would (names and sizes), counted in the -d protocol trace."""

    BOXES = ("corpus/hard-ham-1", "corpus/spam-2")
    PER_BOX = 500

    @limit(240)
    def test_first_listings_on_the_corpus(self):
        if _corpus_skip:
            self.skipTest(_corpus_skip)
        boxes = [b for b in self.BOXES if b in _corpus_boxes]
        self.assertTrue(boxes, _corpus_boxes)
        cache = tempfile.mkdtemp(prefix="cache-", dir=tm._tmp)
        mnt = Mount(USER, opts=["-d", "-o", f"cache_dir={cache}"])
        self.mounts.append(mnt)
        mnt.start()
        order = []
        try:
            for box in boxes:
                d = mnt.path(box)
                st = stems(d)
                for uid in sorted(st)[: self.PER_BOX]:
                    # A lookup of a name that does not exist marks in the
                    # trace where this listing starts.
                    self.assertFalse(os.path.exists(os.path.join(d, f"mark-{uid}")))
                    pdir = os.path.join(d, st[uid] + ".parts")
                    for n in os.listdir(pdir):
                        os.stat(os.path.join(pdir, n))
                    order.append((box, uid))
        finally:
            problems = mnt.stop()
        self.assertEqual(problems, [])
        trace = mnt.stderr()
        mark_re = re.compile(r'fs: lookup \d+ "mark-(\d+)"')
        per, cur = {}, None
        box_i = -1
        for line in trace.splitlines():
            mt = mark_re.search(line)
            if mt:
                uid = int(mt.group(1))
                if cur is None or uid <= cur[1]:
                    box_i += 1
                cur = (boxes[box_i], uid)
                per[cur] = []
                continue
            if cur is not None:
                per[cur].append(line)
        trips = {k: len(content_fetches("\n".join(per.get(k, [])), [k[1]])) for k in order}
        hist = {}
        for n in trips.values():
            hist[n] = hist.get(n, 0) + 1
        tm._log(f"parts trips: first listing of {len(trips)} corpus .parts directories "
                f"({', '.join(boxes)}): round trips -> directories {dict(sorted(hist.items()))}")
        for k, n in trips.items():
            if n > 1 and os.environ.get("IMAPFS_TRIPS_DEBUG"):
                for l in content_fetches("\n".join(per.get(k, [])), [k[1]]):
                    tm._log(f"  {k}: {l[-200:]}")
        self.assertEqual(len(trips), len(order))
        # Every listing asks something (nothing was cached), at most 3
        # times (structure, sizes and texts, a size check when a span
        # missed); one in every batch of structures costs 2, and a span
        # missing is rare: the rest cost 1.
        self.assertEqual(hist.get(0, 0), 0, hist)
        self.assertLessEqual(max(hist), 3, hist)
        self.assertGreaterEqual(hist.get(1, 0), 0.85 * len(trips), hist)


class VisibilityTest(PartsTestCase):
    @limit(120)
    def test_hidden_by_default(self):
        mnt = self.mount()
        dest = tempfile.mkdtemp(prefix="copy-", dir=tm._tmp)
        try:
            d = mnt.path(EDGE)
            names = os.listdir(d)
            self.assertFalse([n for n in names if n.endswith(".parts")])
            st = stems(d)
            self.assertEqual(len(st), len(edge_messages()))
            for stem in st.values():
                self.assertTrue(os.path.isdir(os.path.join(d, stem + ".parts")), stem)
            r = subprocess.run(["cp", "-r", d, os.path.join(dest, "c")], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            self.unmount(mnt)
        copied = os.listdir(os.path.join(dest, "c"))
        self.assertEqual(sorted(copied), sorted(s + ".eml" for s in st.values()))
        self.assertTrue(all(os.path.isfile(os.path.join(dest, "c", n)) for n in copied))

    @limit(120)
    def test_visible_lists_parts_and_grep_finds_decoded_text(self):
        mnt = self.mount("-o", "parts=visible")
        try:
            d = mnt.path(EDGE)
            names = set(os.listdir(d))
            st = stems(d)
            self.assertEqual(names, {s + ".eml" for s in st.values()} | {s + ".parts" for s in st.values()})
            r = subprocess.run(["grep", "-r", "-l", GREP_WORD, d], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            hits = [os.path.relpath(p, d) for p in r.stdout.decode().splitlines()]
        finally:
            self.unmount(mnt)
        tm._log(f"parts visible: grep -r found {GREP_WORD} in {hits}")
        self.assertEqual(len(hits), 1, hits)
        self.assertTrue(hits[0].endswith(".parts/notes.txt"), hits)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        tm.IMAPFS = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
