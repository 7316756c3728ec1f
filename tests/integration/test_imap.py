"""Integration tests of a running Quill node's IMAP service with Python's imaplib and raw sockets.

Ports come from QUILL_SMTP, QUILL_POP and QUILL_IMAP; users alice@example.test (alice-pw) and
bob@example.test (bob-pw) exist.
"""
import imaplib
import os
import poplib
import re
import smtplib
import socket
import ssl
import time
import unittest
import uuid

HOST = "127.0.0.1"
SMTP = int(os.environ["QUILL_SMTP"])
POP = int(os.environ["QUILL_POP"])
IMAP = int(os.environ["QUILL_IMAP"])


def deliver(subject, to="alice@example.test", body="Hello over IMAP.\r\n"):
    msg = (f"From: tester@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{uuid.uuid4()}@example.org>\r\n\r\n{body}")
    with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
        s.sendmail("tester@example.org", [to], msg)


def login(user="alice@example.test", password="alice-pw"):
    m = imaplib.IMAP4(HOST, IMAP, timeout=15)
    m.login(user, password)
    return m


def uids_with_subject(m, subject):
    typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
    assert typ == "OK", data
    return data[0].split()


class Raw:
    """A raw IMAP conversation, for inputs imaplib would not send and for IDLE."""

    def __init__(self):
        self.s = socket.create_connection((HOST, IMAP), timeout=15)
        self.f = self.s.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode("utf-8", "replace")

    def send(self, data):
        self.s.sendall(data.encode("utf-8") if isinstance(data, str) else data)

    def until_tagged(self, tag):
        """Reads lines until the tagged completion; returns (untagged lines, completion line)."""
        lines = []
        while True:
            l = self.line()
            if not l:
                raise EOFError("connection closed")
            if l.startswith(tag + " "):
                return lines, l
            lines.append(l)

    def close(self):
        self.s.close()


class ImapTest(unittest.TestCase):
    def test_capability_lists_both_revisions_and_extensions(self):
        m = imaplib.IMAP4(HOST, IMAP, timeout=15)
        try:
            caps = set(m.capabilities)
            for c in ("IMAP4REV1", "IMAP4REV2", "STARTTLS", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE",
                      "NAMESPACE", "ENABLE", "ESEARCH", "CONDSTORE", "QRESYNC", "UNSELECT"):
                self.assertIn(c, caps)
        finally:
            m.logout()

    def test_login_select_fetch_delivered_message(self):
        subject = f"imap {uuid.uuid4()}"
        deliver(subject)
        m = login()
        try:
            typ, data = m.select("INBOX")
            self.assertEqual(typ, "OK")
            uids = uids_with_subject(m, subject)
            self.assertEqual(len(uids), 1)
            typ, data = m.uid("FETCH", uids[0], "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)")
            self.assertEqual(typ, "OK")
            self.assertIn(subject.encode(), data[0][1])
            typ, data = m.uid("FETCH", uids[0], "(BODY[TEXT])")
            self.assertIn(b"Hello over IMAP.", data[0][1])
            typ, data = m.uid("FETCH", uids[0], "(FLAGS)")
            self.assertIn(b"\\Seen", data[0])
        finally:
            m.logout()

    def test_wrong_password_is_refused(self):
        m = imaplib.IMAP4(HOST, IMAP, timeout=30)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("alice@example.test", "wrong")
        m.logout()

    def test_special_use_mailboxes_exist_for_new_users(self):
        m = login("bob@example.test", "bob-pw")
        try:
            typ, data = m.list()
            self.assertEqual(typ, "OK")
            text = b"\n".join(data).decode()
            for name, attr in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                               ("Junk", "\\Junk"), ("Archive", "\\Archive")):
                self.assertRegex(text, re.escape(attr) + r".*\"?" + name)
        finally:
            m.logout()

    def test_create_rename_delete_folder_and_append(self):
        name = f"Projects/{uuid.uuid4().hex[:8]}"
        m = login()
        try:
            self.assertEqual(m.create(name)[0], "OK")
            typ, data = m.append(name, "(\\Flagged)", None,
                                 b"Subject: appended\r\nFrom: a@example.org\r\n\r\nAppended body.\r\n")
            self.assertEqual(typ, "OK")
            self.assertIn(b"APPENDUID", data[0])
            self.assertEqual(m.rename(name, name + "-renamed")[0], "OK")
            typ, data = m.status(name + "-renamed", "(MESSAGES UIDNEXT)")
            self.assertIn(b"MESSAGES 1", data[0])
            self.assertEqual(m.delete(name + "-renamed")[0], "OK")
            typ, data = m.list('""', name + "-renamed")  # imaplib sends arguments unquoted
            self.assertEqual(data, [None])
        finally:
            m.logout()

    def test_copy_move_and_expunge(self):
        subject = f"move {uuid.uuid4()}"
        deliver(subject)
        m = login()
        try:
            m.select("INBOX")
            uid = uids_with_subject(m, subject)[0]
            # imaplib's uid() hides the tagged response; COPYUID (RFC 4315) is in it.
            typ, data = m._simple_command("UID", "COPY", uid, "Archive")
            self.assertEqual(typ, "OK")
            self.assertIn(b"COPYUID", data[0])
            typ, data = m.uid("MOVE", uid, "Trash")
            self.assertEqual(typ, "OK")
            self.assertEqual(uids_with_subject(m, subject), [])
            m.select("Trash")
            uid = uids_with_subject(m, subject)[0]
            m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            m.expunge()
            self.assertEqual(uids_with_subject(m, subject), [])
        finally:
            m.logout()

    def test_search_body_and_flags(self):
        word = uuid.uuid4().hex
        deliver(f"search {word[:6]}", body=f"The secret word is {word}.\r\n")
        m = login()
        try:
            m.select("INBOX")
            typ, data = m.uid("SEARCH", None, "BODY", word)
            self.assertEqual(len(data[0].split()), 1)
            uid = data[0].split()[0]
            m.uid("STORE", uid, "+FLAGS", "(\\Flagged $Important)")
            typ, data = m.uid("SEARCH", None, "FLAGGED", "KEYWORD", "$Important", "BODY", word)
            self.assertEqual(data[0].split(), [uid])
        finally:
            m.logout()

    def test_two_sessions_see_each_others_changes(self):
        subject = f"two {uuid.uuid4()}"
        deliver(subject)
        a, b = login(), login()
        try:
            a.select("INBOX")
            b.select("INBOX")
            uid = uids_with_subject(a, subject)[0]
            a.uid("STORE", uid, "+FLAGS", "(\\Answered)")
            typ, data = b.noop()
            self.assertEqual(typ, "OK")
            untagged = b.untagged_responses.get("FETCH", [])
            self.assertTrue(any(b"\\Answered" in d for d in untagged), untagged)
        finally:
            a.logout()
            b.logout()

    def test_delivery_during_idle_is_pushed(self):
        r = Raw()
        try:
            r.send("a1 LOGIN alice@example.test alice-pw\r\n")
            self.assertTrue(r.until_tagged("a1")[1].startswith("a1 OK"))
            r.send("a2 SELECT INBOX\r\n")
            lines, done = r.until_tagged("a2")
            self.assertTrue(done.startswith("a2 OK"))
            exists = int(next(l.split()[1] for l in lines if l.endswith("EXISTS\r\n")))
            r.send("a3 IDLE\r\n")
            self.assertTrue(r.line().startswith("+"))
            deliver(f"idle {uuid.uuid4()}")
            pushed = r.line()
            self.assertEqual(pushed.strip(), f"* {exists + 1} EXISTS")
            r.send("DONE\r\n")
            self.assertTrue(r.until_tagged("a3")[1].startswith("a3 OK"))
        finally:
            r.close()

    def test_pop3_deletion_is_seen_by_imap(self):
        subject = f"pop-imap {uuid.uuid4()}"
        deliver(subject, to="bob@example.test")
        p = poplib.POP3(HOST, POP, timeout=10)
        p.user("bob@example.test")
        p.pass_("bob-pw")
        count, _ = p.stat()
        idx = next(i for i in range(1, count + 1) if subject in b"\n".join(p.top(i, 0)[1]).decode())
        p.dele(idx)
        p.quit()
        m = login("bob@example.test", "bob-pw")
        try:
            m.select("INBOX")
            self.assertEqual(uids_with_subject(m, subject), [])
        finally:
            m.logout()

    def test_bad_input_gets_bad_and_session_continues(self):
        r = Raw()
        try:
            self.assertTrue(r.greeting.startswith("* OK"))
            for cmd, tag in (("b1 FROBNICATE\r\n", "b1"), ("b2 SELECT\r\n", "b2"), ("b3 FETCH 1 (FLAGS)\r\n", "b3"),
                             ("b4 LOGIN\r\n", "b4"), ("b5 " + "X" * 100000 + "\r\n", None)):
                r.send(cmd)
                if tag:
                    _, done = r.until_tagged(tag)
                    self.assertRegex(done, rf"^{tag} (BAD|NO) ")
                else:
                    l = r.line()
                    self.assertRegex(l, r"^(\* |b5 )(BAD|BYE|NO)")
            r.send("b6 NOOP\r\n")
            _, done = r.until_tagged("b6")
            self.assertTrue(done.startswith("b6 OK"))
        finally:
            r.close()

    def test_append_too_big_is_refused_without_reading(self):
        r = Raw()
        try:
            r.send("c1 LOGIN alice@example.test alice-pw\r\n")
            r.until_tagged("c1")
            r.send("c2 APPEND INBOX {999999999999}\r\n")
            l = r.line()
            self.assertRegex(l, r"^c2 NO \[TOOBIG\]")
            r.send("c3 NOOP\r\n")
            _, done = r.until_tagged("c3")
            self.assertTrue(done.startswith("c3 OK"))
        finally:
            r.close()

    def test_starttls_then_login(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        m = imaplib.IMAP4(HOST, IMAP, timeout=15)
        m.starttls(ssl_context=ctx)
        m.login("alice@example.test", "alice-pw")
        self.assertEqual(m.select("INBOX", readonly=True)[0], "OK")
        m.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
