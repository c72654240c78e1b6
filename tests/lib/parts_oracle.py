"""An independent oracle for a message's STEM.parts/ directory (SPEC §3).

It implements the naming rules of include/imapfs/mail_parts.h again, in
Python, from the message's raw bytes (what `UID FETCH n BODY.PEEK[]`
returns), with the standard `email` package and nothing of imapfs's code:

* parsing: email.message_from_bytes(raw, policy=compat32).  compat32 keeps
  each leaf's payload as the raw body text (CRLF line ends as stored, the
  line end before a boundary belonging to the boundary, as in RFC 2046 and
  IMAP), so get_payload(decode=True) is the transfer-decoded bytes
  (base64 via binascii, quoted-printable via binascii.a2b_qp, which keeps
  CRLF hard line breaks as BINARY does).  The default policy is not used:
  it re-folds and normalises on the way and its content manager decodes
  text.
* sections: assigned here by walking the tree (RFC 3501 6.4.5).
* a part whose payload Python parses into messages (message/rfc822,
  message/global, message/delivery-status ...) has no faithful raw form in
  the email package: its bytes are what the caller's fetch(section)
  returns (BODY.PEEK[SECTION] from an independent imaplib client), which
  is the definition of a message part's content.

Python standard library only.
"""

import base64
import binascii
import email
import email.policy
import email.utils
import re

NAME_MAX = 240
EXT_MAX = 16

HEADERS, TEXT, HTML, FILE, MESSAGE = "headers", "text", "html", "file", "message"

# The MIME type table of src/mail/parts.c (the contract for part-N.EXT).
EXTS = {
    "text/plain": "txt", "text/html": "html", "text/calendar": "ics", "text/csv": "csv",
    "text/xml": "xml", "text/x-vcard": "vcf", "text/vcard": "vcf", "text/rfc822-headers": "txt",
    "text/enriched": "txt", "message/rfc822": "eml", "message/global": "eml",
    "message/delivery-status": "txt", "message/disposition-notification": "txt",
    "message/partial": "bin", "application/pdf": "pdf", "application/zip": "zip",
    "application/gzip": "gz", "application/x-gzip": "gz", "application/json": "json",
    "application/xml": "xml", "application/msword": "doc", "application/rtf": "rtf",
    "application/ms-tnef": "dat", "application/pgp-signature": "asc",
    "application/pgp-encrypted": "asc", "application/pgp-keys": "asc",
    "application/pkcs7-signature": "p7s", "application/x-pkcs7-signature": "p7s",
    "application/pkcs7-mime": "p7m", "application/x-pkcs7-mime": "p7m", "application/ics": "ics",
    "application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "image/jpeg": "jpg", "image/jpg": "jpg", "image/pjpeg": "jpg", "image/png": "png",
    "image/gif": "gif", "image/bmp": "bmp", "image/tiff": "tif", "image/webp": "webp",
    "image/svg+xml": "svg", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
    "video/mp4": "mp4", "video/mpeg": "mpg",
}

HEADER_FIELDS = ["From", "To", "Cc", "Date", "Subject", "Message-ID"]


def ext_of(ctype):
    ctype = ctype.lower()
    if ctype in EXTS:
        return EXTS[ctype]
    return "txt" if ctype.split("/", 1)[0] == "text" else "bin"


# --- text -------------------------------------------------------------------


def bytes_to_text(b):
    """8-bit header text the way imapfs reads it: UTF-8, else windows-1252,
    else ISO-8859-1."""
    for cs in ("utf-8", "windows-1252"):
        try:
            return b.decode(cs)
        except UnicodeDecodeError:
            pass
    return b.decode("latin-1")


def _unescape(s):
    """A str from the email package may carry raw 8-bit bytes as
    surrogate escapes: read those as 8-bit header text."""
    try:
        b = s.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return bytes_to_text(b)


_EW = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")


def _ew_bytes(enc, text):
    if enc in "bB":
        t = re.sub(r"[^A-Za-z0-9+/]", "", text)
        t = t[: len(t) - len(t) % 4 if len(t) % 4 == 1 else len(t)]
        return base64.b64decode(t + "=" * (-len(t) % 4))
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "_":
            out.append(0x20)
        elif c == "=" and re.fullmatch(r"[0-9A-Fa-f]{2}", text[i + 1 : i + 3] or ""):
            out.append(int(text[i + 1 : i + 3], 16))
            i += 2
        else:
            out += c.encode("latin-1", "replace")
        i += 1
    return bytes(out)


def _decode_cs(b, charset):
    cs = charset.split("*", 1)[0].lower()
    try:
        return b.decode(cs, "replace")
    except LookupError:
        return bytes_to_text(b)


def rfc2047(s):
    """Loose RFC 2047 decoding (words may touch text, whitespace between
    two words is dropped, adjacent words of one charset are joined before
    decoding so a split character survives)."""
    pieces = []  # (charset or None, bytes or str)
    pos = 0
    for m in _EW.finditer(s):
        if m.start() > pos:
            pieces.append((None, s[pos : m.start()]))
        pieces.append((m.group(1), _ew_bytes(m.group(2), m.group(3))))
        pos = m.end()
    if pos < len(s):
        pieces.append((None, s[pos:]))
    out = []
    i = 0
    while i < len(pieces):
        cs, v = pieces[i]
        if cs is None:
            # Whitespace alone between two encoded words goes.
            if not (v.strip(" \t\r\n") == "" and 0 < i < len(pieces) - 1
                    and pieces[i - 1][0] is not None and pieces[i + 1][0] is not None):
                out.append(v)
            i += 1
            continue
        buf = bytearray(v)
        j = i + 1
        while True:
            if j < len(pieces) and pieces[j][0] is not None and pieces[j][0].lower() == cs.lower():
                buf += pieces[j][1]
                j += 1
            elif (j + 1 < len(pieces) and pieces[j][0] is None and pieces[j][1].strip(" \t\r\n") == ""
                  and pieces[j + 1][0] is not None and pieces[j + 1][0].lower() == cs.lower()):
                buf += pieces[j + 1][1]
                j += 2
            else:
                break
        out.append(_decode_cs(bytes(buf), cs))
        i = j
    return "".join(out)


def _dropped(c):
    o = ord(c)
    if c == "\t":
        return False
    return o < 0x20 or 0x7F <= o <= 0x9F or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069


def clean(text, for_name):
    """mail_text_clean: controls and bidi controls dropped, white space
    runs folded to one space and trimmed; for names '/' -> '_', ':' -> '-',
    and '.'/'..' -> ''."""
    out = []
    space = False
    for c in text:
        if _dropped(c):
            continue
        if c == "\t" or c.isspace():
            space = bool(out)
            continue
        if space:
            out.append(" ")
        space = False
        if for_name and c == "/":
            c = "_"
        elif for_name and c == ":":
            c = "-"
        out.append(c)
    s = "".join(out)
    if for_name and s in (".", ".."):
        return ""
    return s


def _dot(name):
    """Index of the '.' that starts a plausible extension, or -1."""
    i = name.rfind(".")
    ext = name[i + 1 :].encode() if i >= 0 else b""
    if i <= 0 or not ext or len(ext) > EXT_MAX or " " in name[i + 1 :]:
        return -1
    return i


def fit(name):
    """Cut to NAME_MAX bytes on a character boundary, keeping the extension."""
    b = name.encode()
    if len(b) <= NAME_MAX:
        return name
    d = _dot(name)
    ext = name[d:] if d >= 0 else ""
    keep = NAME_MAX - len(ext.encode())
    stem = b[:keep].decode("utf-8", "ignore").rstrip(" ")
    return stem + ext


# --- parts ------------------------------------------------------------------


def _param(part, name, header):
    v = part.get_param(name, header=header)
    if v is None:
        return None
    if isinstance(v, tuple):
        cs = v[0]
        if cs:
            try:
                "".encode(cs)
            except LookupError:
                # Unknown charset: the percent-decoded bytes, read as 8-bit text.
                return bytes_to_text(v[2].encode("raw-unicode-escape"))
        return email.utils.collapse_rfc2231_value(v, errors="replace")
    return _unescape(v)


def filename(part):
    """The part's decoded, sanitized file name, or None."""
    raw = _param(part, "filename", "content-disposition")
    if not raw:
        raw = _param(part, "name", "content-type")
    if raw is None:
        return None
    name = clean(rfc2047(raw), True)
    return fit(name) if name else None


def disposition(part):
    v = part.get("Content-Disposition")
    if v is None:
        return None
    return str(v).split(";", 1)[0].strip().lower() or None


def is_multipart(part):
    return part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list)


def is_message(part):
    return part.get_content_type() in ("message/rfc822", "message/global")


def leaves(msg):
    """[(section, part)] of every non-multipart part, depth first."""
    res = []

    def walk(p, sec):
        if is_multipart(p):
            for i, ch in enumerate(p.get_payload(), 1):
                walk(ch, f"{sec}.{i}" if sec else str(i))
        else:
            res.append((sec or "1", p))

    walk(msg, "")
    return res


class PartFile:
    def __init__(self, name, kind, section=None, part=None):
        self.name, self.kind, self.section, self.part = name, kind, section, part

    def __repr__(self):
        return f"PartFile({self.name!r}, {self.kind}, {self.section})"


def _inline(part):
    return disposition(part) != "attachment" and filename(part) is None


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def listing(msg):
    """The files of STEM.parts/, in order: [PartFile]."""
    lv = leaves(msg)
    text = html = None
    for sec, p in lv:
        ct = p.get_content_type()
        if text is None and ct == "text/plain" and _inline(p):
            text = sec
        elif html is None and ct == "text/html" and _inline(p):
            html = sec
    files, taken = [], set()

    def add(name, kind, sec=None, p=None):
        folded = name.casefold()
        k = 2
        orig = name
        while folded in taken:
            d = _dot(orig)
            stem, ext = (orig[:d], orig[d:]) if d >= 0 else (orig, "")
            name = f"{stem} ({k}){ext}"
            folded = name.casefold()
            k += 1
        taken.add(folded)
        files.append(PartFile(name, kind, sec, p))

    add("headers.txt", HEADERS)
    parts = dict(lv)
    if text:
        add("body.txt", TEXT, text, parts[text])
    if html:
        add("body.html", HTML, html, parts[html])
    for sec, p in lv:
        if sec in (text, html):
            continue
        name = filename(p)
        if is_message(p):
            if name is None:
                name = f"part-{sec}.eml"
            elif not name.lower().endswith(".eml"):
                name = fit(name + ".eml")
            add(name, MESSAGE, sec, p)
        else:
            add(name or f"part-{sec}.{ext_of(p.get_content_type())}", FILE, sec, p)
    return files


# --- contents ---------------------------------------------------------------


def header_block(raw):
    m = re.search(rb"\r?\n\r?\n", raw)
    return raw[: m.start() + 2] if m else raw


def raw_field(block, name):
    """The raw value of the first field called name (continuations joined
    with their line ends), or None."""
    lines = re.split(rb"(?<=\n)", block)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip(b"\r\n") == b"":
            break
        m = re.match(rb"(?i)" + re.escape(name.encode()) + rb"[ \t]*:", line)
        if m and line[:1] not in (b" ", b"\t"):
            val = line[m.end():]
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                val += lines[i]
                i += 1
            return val.rstrip(b"\r\n")
        i += 1
    return None


def headers_txt(raw):
    block = header_block(raw)
    out = []
    for f in HEADER_FIELDS:
        v = raw_field(block, f)
        if v is None:
            continue
        text = bytes_to_text(re.sub(rb"\r?\n", b"", v))
        out.append(f"{f}: {clean(rfc2047(text), False)}\n")
    return "".join(out).encode()


_QP_LINE = re.compile(rb"([^\r\n]*)(\r?\n|\r|$)")
_QP_ESC = re.compile(rb"=([0-9A-Fa-f]{2})")


def qp_decode(data):
    """Quoted-printable as RFC 2045 6.7 says, line ends kept as stored:
    white space at the end of a line is deleted (rule 3; binascii.a2b_qp,
    which the email package uses, keeps it), "=" at the end of a line is a
    soft break, "=XX" an octet, any other "=" stays."""
    out = []
    for m in _QP_LINE.finditer(data):
        line, eol = m.group(1).rstrip(b" \t"), m.group(2)
        if not line and not eol:
            continue
        if line.endswith(b"="):
            line, eol = line[:-1], b""
        out.append(_QP_ESC.sub(lambda x: bytes([int(x.group(1), 16)]), line) + eol)
    return b"".join(out)


def b64_decode(data):
    """Lenient base64: characters outside the alphabet skipped, a lone
    trailing character dropped, missing padding supplied.  (compat32's
    get_payload(decode=True) gives up on such data and returns the base64
    text itself.)"""
    t = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    core = t.rstrip(b"=")
    if len(core.replace(b"=", b"")) % 4 == 1:
        core = core[:-1]
    try:
        return binascii.a2b_base64(core + b"=" * (-len(core) % 4))
    except binascii.Error:
        return binascii.a2b_base64(re.sub(rb"=", b"", core) + b"=" * (-len(re.sub(rb"=", b"", core)) % 4))


def decoded(part):
    """Transfer-decoded bytes of a leaf (None when Python parsed it into
    messages: the caller fetches those): get_payload(decode=True), except
    quoted-printable (qp_decode) and base64 (b64_decode)."""
    if isinstance(part.get_payload(), list):
        return None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte == "quoted-printable":
        # _payload: the raw body text (8-bit bytes as surrogate escapes);
        # get_payload() would decode those with the declared charset.
        return qp_decode(part._payload.encode("ascii", "surrogateescape"))
    if cte == "base64":
        return b64_decode(part._payload.encode("ascii", "surrogateescape"))
    b = part.get_payload(decode=True)
    return b if b is not None else b""


def to_utf8(data, charset):
    """body.txt / body.html: the declared charset if it is not ASCII/UTF-8
    and decodes strictly with Python's codec of that name; else the bytes
    if valid UTF-8; else windows-1252 (strict); else ISO-8859-1."""
    cs = (charset or "").strip().strip('"').lower()
    if cs and cs not in ("us-ascii", "ascii", "utf-8"):
        try:
            return data.decode(cs).encode()
        except (LookupError, UnicodeError, ValueError):
            pass
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("windows-1252").encode()
    except UnicodeDecodeError:
        return data.decode("latin-1").encode()


def charset_of(part):
    try:
        return part.get_content_charset()
    except Exception:
        return None


def content(pf, raw, fetch=None):
    """The bytes of one file.  fetch(section) -> BODY.PEEK[section] bytes,
    used for message parts (and parts Python parsed into messages)."""
    if pf.kind == HEADERS:
        return headers_txt(raw)
    if pf.kind == MESSAGE:
        return fetch(pf.section)
    data = decoded(pf.part)
    if data is None:
        data = fetch(pf.section)
    if pf.kind in (TEXT, HTML):
        return to_utf8(data, charset_of(pf.part))
    return data


def expected(raw, fetch=None):
    """{name: bytes} of the message's STEM.parts/ (names in listing order)."""
    msg = parse(raw)
    return {pf.name: content(pf, raw, fetch) for pf in listing(msg)}
