"""The tests' source of truth: what the server holds, read with Python's
imaplib, and what SPEC §2 says the mount must then show.  Nothing here uses
imapfs code.

    m = dc.imap_client()
    boxes = mailboxes(m)                 # [Mailbox]
    msgs = messages(m, "INBOX")          # [Message], UID order
    body = fetch_bodies(m, "INBOX")      # {uid: bytes}
    expected_name(msg)                   # "2002-08-22 Subject [1].eml"
"""

import calendar
import datetime
import email.header
import email.utils
import imaplib
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutf7  # noqa: E402
from seed import quote  # noqa: E402

SUBJECT_MAX_BYTES = 100
NO_SUBJECT = "(no subject)"
PROBE_NAMES = [".Trash", ".Trash-0", ".Trash-1000", ".xdg-volume-info", "autorun.inf", ".hidden",
               ".directory", "desktop.ini", ".git"]


@dataclass
class Mailbox:
    name: str  # UTF-8, full path with the server's delimiter
    wire: str  # as on the wire (modified UTF-7)
    delimiter: str
    flags: set = field(default_factory=set)

    @property
    def selectable(self):
        return not ({"\\noselect", "\\nonexistent"} & {f.lower() for f in self.flags})

    def path(self):
        """Components of the directory below the mount point."""
        return self.name.split(self.delimiter) if self.delimiter else [self.name]


@dataclass
class Message:
    mailbox: str
    uid: int
    flags: list
    internaldate: datetime.datetime  # aware, UTC
    size: int  # RFC822.SIZE
    subject_field: bytes  # "Subject: ...\r\n" as stored (folded), or b""
    message_id: str  # raw, trimmed, or ""

    @property
    def mtime(self):
        return calendar.timegm(self.internaldate.utctimetuple())


_LIST_RE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?P<delim>(?:[^"\\]|\\.)*)"|NIL) (?P<name>.*)$')


def _unquote(b):
    if b.startswith(b'"') and b.endswith(b'"'):
        return re.sub(rb"\\(.)", rb"\1", b[1:-1])
    return b


def mailboxes(m):
    """Every mailbox LIST "" "*" returns, names decoded to UTF-8."""
    typ, data = m.list('""', '"*"')
    if typ != "OK":
        raise RuntimeError(f"LIST: {typ} {data}")
    res = []
    items = iter(data)
    for item in items:
        if item is None:
            continue
        if isinstance(item, tuple):  # name sent as a literal
            prefix, lit = item
            line = prefix[: prefix.rfind(b"{")] + b'"' + lit.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        else:
            line = item
        mt = _LIST_RE.match(line)
        if not mt:
            raise RuntimeError(f"cannot parse LIST line {line!r}")
        wire = _unquote(mt.group("name").strip()).decode("ascii")
        delim = mt.group("delim")
        delim = _unquote(b'"' + delim + b'"').decode() if delim is not None else ""
        name = "INBOX" if wire.upper() == "INBOX" else mutf7.decode(wire)
        res.append(Mailbox(name, wire, delim, set(mt.group("flags").decode().split())))
    return res


def select(m, mailbox, readonly=True):
    typ, data = m.select(quote(mutf7.encode(mailbox)), readonly=readonly)
    if typ != "OK":
        raise RuntimeError(f"SELECT {mailbox}: {typ} {data}")
    return int(data[0])


_META_RE = re.compile(
    rb'UID (?P<uid>\d+)|FLAGS \((?P<flags>[^)]*)\)|INTERNALDATE "(?P<date>[^"]+)"|RFC822\.SIZE (?P<size>\d+)'
)


def messages(m, mailbox):
    """[Message] of mailbox in UID order (EXAMINE: changes nothing)."""
    if select(m, mailbox) == 0:
        return []
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
    if typ != "OK":
        raise RuntimeError(f"FETCH: {typ} {data}")
    meta = {}
    for item in data:
        if not isinstance(item, bytes):
            continue
        d = {}
        for mt in _META_RE.finditer(item):
            for k, v in mt.groupdict().items():
                if v is not None:
                    d[k] = v
        uid = int(d["uid"])
        dt = email.utils.parsedate_to_datetime(_imap_date_to_rfc2822(d["date"].decode()))
        meta[uid] = (d["flags"].decode().split(), dt.astimezone(datetime.timezone.utc), int(d["size"]))
    heads = _fetch_literals(m, "1:*", "BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)]")
    res = []
    for uid in sorted(meta):
        flags, dt, size = meta[uid]
        subj, mid = _split_fields(heads.get(uid, b""))
        res.append(Message(mailbox, uid, flags, dt, size, subj, mid))
    return res


def _imap_date_to_rfc2822(s):
    # "22-Aug-2002 12:36:23 +0000" -> "22 Aug 2002 12:36:23 +0000"
    d, rest = s.strip().split(" ", 1)
    return d.replace("-", " ") + " " + rest


def _fetch_literals(m, uids, item):
    """{uid: bytes} for a FETCH item that comes back as a literal."""
    typ, data = m.uid("FETCH", uids, f"(UID {item})")
    if typ != "OK":
        raise RuntimeError(f"FETCH {item}: {typ} {data}")
    res = {}
    for part in data:
        if isinstance(part, tuple):
            mt = re.search(rb"UID (\d+)", part[0])
            if mt is None:
                # Dovecot puts UID first; be safe if it follows the literal.
                raise RuntimeError(f"no UID before literal in {part[0]!r}")
            res[int(mt.group(1))] = part[1]
    return res


def _split_fields(block):
    """(raw Subject field incl. folding, Message-ID value) of a header block."""
    subj, mid = b"", ""
    fields = re.split(rb"\r?\n(?![ \t])", block)
    for f in fields:
        name = f.split(b":", 1)[0].strip().lower()
        if name == b"subject" and not subj:
            subj = f
        elif name == b"message-id" and not mid:
            mid = " ".join(f.split(b":", 1)[1].decode("utf-8", "replace").split())
    return subj, mid


def fetch_bodies(m, mailbox, uids="1:*"):
    """{uid: BODY.PEEK[] bytes} of mailbox (EXAMINE: \\Seen untouched)."""
    if select(m, mailbox) == 0:
        return {}
    return _fetch_literals(m, uids, "BODY.PEEK[]")


def fetch_flags(m, mailbox):
    """{uid: set of flags}."""
    if select(m, mailbox) == 0:
        return {}
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS)")
    res = {}
    for item in data:
        if isinstance(item, bytes):
            u = re.search(rb"UID (\d+)", item)
            f = re.search(rb"FLAGS \(([^)]*)\)", item)
            if u and f:
                res[int(u.group(1))] = set(f.group(1).decode().split())
    return res


# --- names (SPEC §2) -------------------------------------------------------

# Choices where SPEC's words leave room.  SPEC §2's rule list keeps ':' but
# its example shows "Re: New Sequences Window" as "Re- New Sequences
# Window"; the implementation follows the example, and so does this.
COLON_REPLACEMENT = "-"  # None: keep ':'
# Bidirectional embedding/override/isolate controls (U+202A..202E,
# U+2066..2069) are format characters, not controls, but they can make a
# name display as another (".eml" shown reversed), so they are dropped too.
BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


class Ambiguous(Exception):
    """The subject's decoding is not fixed by SPEC (raw 8-bit bytes that are
    not UTF-8, unknown charsets, malformed encoded words)."""


def decode_subject(field_bytes, strict=True):
    """The RFC 2047-decoded Subject as str ("" when absent).  strict: raise
    Ambiguous where a reasonable decoder may differ."""
    if not field_bytes:
        return ""
    value = field_bytes.split(b":", 1)[1]
    value = re.sub(rb"\r?\n(?=[ \t])", b"", value)  # unfold (RFC 5322 §2.2.3)
    value = value.rstrip(b"\r\n")
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            if strict:
                raise Ambiguous("raw 8-bit subject that is not UTF-8")
            text = value.decode("utf-8", "replace")
        if "=?" in text and strict:
            raise Ambiguous("raw 8-bit text mixed with encoded words")
        return text
    if "=?" not in text:
        return text
    try:
        parts = email.header.decode_header(text)
        out = str(email.header.make_header(parts))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError) as e:
        if strict:
            raise Ambiguous(f"undecodable encoded word: {e}")
        return text
    if strict:
        for raw, cs in parts:
            if cs and cs.lower() not in ("us-ascii", "utf-8", "utf8", "iso-8859-1", "latin1", "iso-8859-15",
                                         "windows-1252", "iso-2022-jp", "koi8-r", "big5", "gb2312", "euc-kr",
                                         "shift_jis", "euc-jp", "iso-8859-2", "windows-1251", "ks_c_5601-1987"):
                raise Ambiguous(f"unusual charset {cs}")
        if "\ufffd" in out:
            raise Ambiguous("decoding substituted characters")
        # An encoded word cut in the middle of a character, or '?=' inside
        # a token, is decoded differently by different libraries.
        if re.search(r"=\?[^?\s]*\?[bBqQ]\?", out):
            raise Ambiguous("encoded word left in the decoded text")
    return out


def _is_space(ch):
    """White space that folds to one ' ': TAB and Unicode's space, line and
    paragraph separators.  (CR, LF, VT, FF are controls: dropped.)"""
    return ch == "\t" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _is_control(ch):
    """Dropped: C0 (but TAB), DEL, C1, and the bidi controls."""
    return (unicodedata.category(ch) == "Cc" and ch != "\t") or ord(ch) in BIDI_CONTROLS


def sanitize(text, max_bytes=SUBJECT_MAX_BYTES):
    """SPEC §2: control characters dropped, '/' -> '_', runs of white space
    folded to one space, trimmed, cut to max_bytes on a character boundary."""
    out = []
    for ch in text:
        if _is_control(ch):
            continue
        if ch == "/":
            ch = "_"
        elif COLON_REPLACEMENT is not None and ch == ":":
            ch = COLON_REPLACEMENT
        if _is_space(ch):
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(ch)
    s = "".join(out).strip(" ")
    b = s.encode("utf-8")
    if len(b) > max_bytes:
        s = b[:max_bytes].decode("utf-8", "ignore").rstrip(" ")
    # "." and ".." cannot stand for a subject (nor ever be read as paths).
    return "" if s in (".", "..") else s


def expected_subject(msg_or_field, strict=True):
    field_bytes = msg_or_field.subject_field if isinstance(msg_or_field, Message) else msg_or_field
    return sanitize(decode_subject(field_bytes, strict)) or NO_SUBJECT


def expected_name(msg, strict=True):
    """SPEC §2's file name of an oracle Message.  Raises Ambiguous (strict)
    when the subject's decoding is not fixed by SPEC."""
    return f"{msg.internaldate:%Y-%m-%d} {expected_subject(msg, strict)} [{msg.uid}].eml"


NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}) (.+) \[([1-9]\d*)\]\.eml$")
