"""Modified UTF-7 mailbox names (RFC 3501 §5.1.3), written from the RFC for
the tests' oracle: imapfs's own decoder is never used to check itself."""

import base64


def _b64enc(s):
    return base64.b64encode(s.encode("utf-16-be")).decode("ascii").rstrip("=").replace("/", ",")


def encode(name):
    """UTF-8 str -> modified UTF-7 str."""
    out, run = [], []
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            if run:
                out.append("&" + _b64enc("".join(run)) + "-")
                run = []
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    if run:
        out.append("&" + _b64enc("".join(run)) + "-")
    return "".join(out)


def decode(name):
    """Modified UTF-7 str (or bytes) -> str; ValueError when malformed."""
    if isinstance(name, bytes):
        name = name.decode("ascii")
    out, i = [], 0
    while i < len(name):
        ch = name[i]
        if ord(ch) < 0x20 or ord(ch) > 0x7E:
            raise ValueError(f"not 7-bit printable: {name!r}")
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        j = name.find("-", i + 1)
        if j < 0:
            raise ValueError(f"unterminated shift: {name!r}")
        if j == i + 1:
            out.append("&")
        else:
            b = name[i + 1 : j].replace(",", "/")
            raw = base64.b64decode(b + "=" * (-len(b) % 4), validate=True)
            if len(raw) % 2:
                raise ValueError(f"odd UTF-16 length: {name!r}")
            text = raw.decode("utf-16-be")  # raises on lone surrogates
            if any(0x20 <= ord(c) <= 0x7E for c in text):
                raise ValueError(f"printable ASCII encoded: {name!r}")
            out.append(text)
        i = j + 1
    return "".join(out)


if __name__ == "__main__":
    for s in ["INBOX", "Entwürfe", "日本語/子", "Q&A", "a&b日", "~peter/mail/台北/日本語"]:
        e = encode(s)
        assert decode(e) == s, (s, e)
        print(s, e)
    assert encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
