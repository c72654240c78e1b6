#!/usr/bin/env python3
"""live_write.py - the commands that change mail (cmd_write.c) against a real
Dovecot, checked by an independent client (imaplib).

Usage: live_write.py IMAP_PROBE

Runs imap-probe (one connection per step) against a throwaway Dovecot
(tests/lib/dovecot.py), twice: with Dovecot's own capabilities, and with
them cut down to IMAP4rev1 (no LITERAL+, UIDPLUS, MOVE, UNSELECT, ESEARCH)
so that the fallbacks run against the real thing.  After every step the
server's state is read back with imaplib.  Exits 0 when everything held.
"""

import datetime
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import dovecot  # noqa: E402

USER, PASSWORD = 'alice', 'alice-secret-pw'
DATE = 837596665  # 17-Jul-1996 09:44:25 UTC


def message(n, body=b'hello \xc3\xa9\r\n'):
    return (b'From: a@imapfs.test\r\nSubject: live %d\r\nMessage-ID: <m%d@imapfs.test>\r\n\r\n'
            % (n, n)) + body


class Live:
    def __init__(self, probe, dc, full):
        self.probe = probe
        self.dc = dc
        self.full = full
        self.failures = []

    def run(self, *args, ok=True):
        argv = [self.probe, '--tls', '--host', self.dc.host, '--port', str(self.dc.imaps_port),
                '--cafile', self.dc.cafile, '--user', USER, '--timeout-ms', '10000']
        argv = [a.encode() if isinstance(a, str) else a for a in argv + list(args)]
        args = [a.decode('utf-8', 'replace') if isinstance(a, bytes) else a for a in args]
        env = dict(os.environ, IMAPFS_PASSWORD=PASSWORD)
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        out = p.stdout.decode('utf-8', 'replace')
        if ok and p.returncode != 0:
            raise AssertionError('probe %s failed:\n%s%s' % (' '.join(args), out,
                                                             p.stderr.decode()[-2000:]))
        return out

    def imap(self):
        return self.dc.imap_client(USER)

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
            print('  FAIL ' + what)
        else:
            print('  ok   ' + what)

    def fetch(self, mailbox, uid, items='(FLAGS INTERNALDATE BODY.PEEK[])'):
        m = self.imap()
        try:
            typ, data = m.select('"%s"' % mailbox, readonly=True)
            uidvalidity = int(m.untagged_responses.get('UIDVALIDITY', [b'0'])[0])
            typ, data = m.uid('FETCH', str(uid), items)
            if typ != 'OK' or not data or data[0] is None:
                return None, uidvalidity
            return data, uidvalidity
        finally:
            m.logout()

    def mailboxes(self):
        m = self.imap()
        try:
            typ, data = m.list()
            return {re.sub(rb'^.*"[./]" ', b'', d).strip(b'"').decode() for d in data}
        finally:
            m.logout()

    def append_one(self, n, flags):
        msg = message(n)
        out = self.run('append', 'INBOX', flags, str(DATE), msg)
        m = re.search(r'^APPEND uidvalidity=(\d+) uid=(\d+)$', out, re.M)
        uid = int(m.group(2))
        if not self.full:
            # Dovecot sends APPENDUID even when it does not announce
            # UIDPLUS; the client believes it, and it must be right.
            out = self.run('examine', 'INBOX', 'search-msgid', '<m%d@imapfs.test>' % n)
            found = int(re.search(r'^MSGID n=1 (\d+)$', out, re.M).group(1))
            self.check(uid in (0, found), 'APPEND without UIDPLUS: UID 0 or the right one')
            uid = found
        return uid, msg

    def steps(self):
        self.run('create', 'Work')
        self.check('Work' in self.mailboxes(), 'CREATE made Work')
        out = self.run('try', 'create', 'Work', 'try', 'delete', 'Nope', ok=False)
        self.check('ERROR EEXIST' in out, 'CREATE of an existing mailbox is EEXIST')
        self.check('ERROR ENOENT' in out, 'DELETE of a missing mailbox is ENOENT')

        uid, msg = self.append_one(1, '\\Seen $Label1')
        data, uv = self.fetch('INBOX', uid)
        raw = data[0][1] if data else b''
        meta = data[0][0] if data else b''
        self.check(raw == msg, 'APPEND stored the exact bytes (8-bit included)')
        self.check(b'\\Seen' in meta and b'$Label1' in meta, 'APPEND set the flags')
        d = re.search(rb'INTERNALDATE "([^"]+)"', meta)
        t = datetime.datetime.strptime(d.group(1).decode(), '%d-%b-%Y %H:%M:%S %z').timestamp() \
            if d else None
        self.check(t == DATE, 'APPEND set INTERNALDATE exactly')

        out = self.run('select', 'INBOX', 'permanent', '\\Seen', 'permanent', '$New',
                       'store', str(uid), '+FLAGS', '\\Flagged', 'store', str(uid), '-FLAGS',
                       '\\Seen')
        self.check('PERMANENT \\Seen yes' in out and 'PERMANENT $New yes' in out,
                   'PERMANENTFLAGS read from SELECT')
        data, _ = self.fetch('INBOX', uid, '(FLAGS)')
        flags = data[0] if data else b''
        self.check(b'\\Flagged' in flags and b'\\Seen' not in flags and b'$Label1' in flags,
                   'STORE +FLAGS / -FLAGS changed exactly those flags')
        out = self.run('select', 'INBOX', 'try', 'store', '99999', '+FLAGS', '\\Seen', ok=False)
        self.check('ERROR ENOENT' in out, 'STORE of a missing UID is ENOENT')

        out = self.run('examine', 'INBOX', 'search-msgid', '<m1@imapfs.test>',
                       'search-msgid', '<none@imapfs.test>')
        self.check('MSGID n=1 %d' % uid in out and 'MSGID n=0' in out, 'Message-ID search')

        out = self.run('select', 'INBOX', 'copy', str(uid), 'Work')
        m = re.search(r'^COPY uidvalidity=(\d+) uid=(\d+)$', out, re.M)
        _, work_uv = self.fetch('Work', 1, '(UID)')
        if self.full or m.group(2) != '0':
            cuid = int(m.group(2))
            data, _ = self.fetch('Work', cuid)
            self.check(int(m.group(1)) == work_uv and data and data[0][1] == msg,
                       'COPY reported the copy\'s UIDVALIDITY and UID')
        else:
            self.check(m.group(1) == '0', 'COPY without UIDPLUS: 0 0')

        if self.full:
            out = self.run('select', 'INBOX', 'move', str(uid), 'Work')
            m = re.search(r'^MOVE uidvalidity=(\d+) uid=(\d+)$', out, re.M)
            data, _ = self.fetch('INBOX', uid)
            self.check(data is None, 'MOVE removed the source')
            data, _ = self.fetch('Work', int(m.group(2)))
            self.check(data and data[0][1] == msg, 'MOVE reported the new UID')
            out = self.run('select', 'INBOX', 'try', 'move', str(uid), 'Work', 'try', 'copy',
                           str(uid), 'Work', ok=False)
            self.check(out.count('ERROR ENOENT') == 2, 'MOVE and COPY of a gone UID are ENOENT')
        else:
            out = self.run('select', 'INBOX', 'try', 'move', str(uid), 'Work', 'try', 'expunge',
                           str(uid), ok=False)
            self.check(out.count('ERROR EOPNOTSUPP') == 2,
                       'MOVE and UID EXPUNGE without their capabilities are EOPNOTSUPP')

        if self.full:
            uid2, _ = self.append_one(2, '')
            self.run('select', 'INBOX', 'store', str(uid2), '+FLAGS', '\\Deleted', 'expunge',
                     str(uid2))
            data, _ = self.fetch('INBOX', uid2)
            self.check(data is None, 'UID EXPUNGE removed the message')

        # append-big's bytes, as probe.c makes them: a header, then 'x' with
        # CRLF wherever the offset is 76 or 77 mod 78.
        n = 3000000
        msg3 = bytearray(b'Subject: big\r\n\r\n')
        msg3 += bytes(13 if i % 78 == 76 else 10 if i % 78 == 77 else 120
                      for i in range(len(msg3), n))
        out = self.run('append-big', 'INBOX', '', str(DATE), str(n))
        uid3 = int(re.search(r'^APPEND uidvalidity=\d+ uid=(\d+)$', out, re.M).group(1))
        if not self.full:
            m = self.imap()
            m.select('INBOX', readonly=True)
            uid3 = int(m.uid('SEARCH', 'HEADER', 'Subject', 'big')[1][0].split()[-1])
            m.logout()
        data, _ = self.fetch('INBOX', uid3)
        self.check(data and data[0][1] == msg3, 'APPEND of 3 MB stored the exact bytes')

        # A \Deleted message in the selected mailbox must survive leaving it
        # (CLOSE would expunge it; UNSELECT and EXAMINE do not).
        m = self.imap()
        m.select('Work')
        before = int(m.select('Work')[1][0])
        m.store('1', '+FLAGS', '\\Deleted')
        m.logout()
        self.run('select', 'Work', 'rename', 'Work', 'Work2')
        m = self.imap()
        after = int(m.select('Work2', readonly=True)[1][0])
        m.logout()
        self.check(before > 0 and after == before, 'leaving the selected mailbox expunged nothing')
        boxes = self.mailboxes()
        self.check('Work2' in boxes and 'Work' not in boxes,
                   'RENAME of the selected mailbox (unselected first)')
        # The same connection must stay usable after it (Dovecot says BYE
        # to a session whose selected mailbox was deleted).
        self.run('select', 'Work2', 'delete', 'Work2', 'create', 'After')
        boxes = self.mailboxes()
        self.check('Work2' not in boxes, 'DELETE of the selected mailbox')
        self.check('After' in boxes, 'the connection outlived the DELETE of its mailbox')


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    probe = os.path.abspath(sys.argv[1])
    failures = []
    for full, caps in ((True, None), (False, 'IMAP4rev1 SASL-IR AUTH=PLAIN ID IDLE')):
        print('Dovecot with %s capabilities' % ('its own' if full else 'reduced'))
        # Its own temporary root: the unprivileged auth process must reach
        # the passwd file, which a 0700 parent would hide.
        with dovecot.Dovecot(users={USER: PASSWORD}, capability=caps) as dc:
            live = Live(probe, dc, full)
            try:
                live.steps()
            except Exception as e:  # a step that could not even run
                live.failures.append('%s: %s' % (type(e).__name__, e))
                print('  FAIL %s: %s' % (type(e).__name__, e))
            failures += live.failures
    print('%d failed' % len(failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
