#!/usr/bin/env python3
"""A generated large folder for listing tests and benchmarks: n small,
distinct messages (varied subjects, some with encoded words, Message-IDs,
a few flags), appended with MULTIAPPEND in big batches, so that 20,000
messages take seconds rather than minutes.

    import genfolder
    genfolder.fill(m, "Big", 20000)          # m: a logged-in imaplib client
    python3 genfolder.py HOST PORT USER PASSWORD FOLDER N   (imaps, no verify)

Python standard library only.
"""

import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402

_WORDS = ["report", "meeting", "invoice", "Re:", "Fwd:", "lunch", "draft", "update", "question", "plan",
          "release", "budget", "travel", "photos", "notes", "weekly", "urgent", "ticket", "review", "call"]
_BASE = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def message(i, tag="gen"):
    """(flags, internaldate, bytes) of generated message number i (from 0)."""
    words = " ".join(_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(1 + i % 5))
    if i % 10 == 3:
        subject = f"=?UTF-8?B?R3LDvMOfZQ==?= {words} {i}"  # "Grüße"
    else:
        subject = f"{words} {i}"
    date = _BASE + datetime.timedelta(minutes=37 * i)
    body = f"Generated message {i} of the {tag} folder.\r\n" + "x" * (i % 200) + "\r\n"
    raw = (f"From: Gen {i % 97} <gen{i % 97}@example.org>\r\n"
           f"To: list@example.org\r\n"
           f"Subject: {subject}\r\n"
           f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
           f"Message-ID: <{tag}.{i}@example.org>\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}").encode()
    flags = ["", "\\Seen", "\\Seen \\Flagged", "\\Answered $Label1"][i % 4 if i % 3 == 0 else 0]
    return flags, date, raw


def fill(m, folder, n, start=0, tag="gen"):
    """CREATEs folder (if needed) and appends messages start..start+n-1."""
    seed.create_mailbox(m, folder)
    done = 0
    chunk = 5000
    for lo in range(start, start + n, chunk):
        items = [message(i, tag) for i in range(lo, min(lo + chunk, start + n))]
        done += seed.multiappend(m, folder, items, batch_bytes=8 << 20)
    return done


_MAILDIR_FLAGS = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R", "\\Draft": "D"}


def fill_maildir(m, maildir, folder, n, start=0, tag="gen"):
    """The fast way for a local Dovecot with Maildir++ storage (maildir is
    the user's Maildir directory): CREATE the folder over IMAP, then write
    the message files straight into its cur/ with INTERNALDATE as mtime,
    owned like the folder; Dovecot assigns UIDs at the next SELECT.  Flags
    other than the system ones are left out.  20,000 messages take about a
    second, against minutes through APPEND."""
    seed.create_mailbox(m, folder)
    # Maildir++: "a/b" is ".a.b" when the hierarchy separator is "/".
    box = os.path.join(maildir, "." + folder.replace("/", "."))
    cur = os.path.join(box, "cur")
    os.makedirs(cur, exist_ok=True)
    st = os.stat(box)
    host = "gen"
    for i in range(start, start + n):
        flags, date, raw = message(i, tag)
        letters = "".join(sorted(_MAILDIR_FLAGS[f] for f in flags.split() if f in _MAILDIR_FLAGS))
        ts = int(date.timestamp())
        path = os.path.join(cur, f"{ts}.M{i}P{os.getpid()}.{host},S={len(raw)}:2,{letters}")
        with open(path, "wb") as f:
            f.write(raw)
        os.chown(path, st.st_uid, st.st_gid)
        os.utime(path, (ts, ts))
    # A later mtime on cur/ makes Dovecot rescan it.
    now = os.stat(cur).st_mtime + 2
    os.utime(cur, (now, now))
    return n


def _main(argv):
    import imaplib
    import ssl
    host, port, user, password, folder, n = argv[1:7]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx)
    m.login(user, password)
    print(fill(m, folder, int(n)))
    m.logout()


if __name__ == "__main__":
    _main(sys.argv)
