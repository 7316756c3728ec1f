"""Integration tests of a running three-node Quill cluster with Python's standard mail clients.

Nodes n1, n2, n3 run on 127.0.0.1; their ports come from QUILL_N{1,2,3}_{SMTP,POP,IMAP}. The users
carol@example.test (carol-pw, created on n2) and dave@example.test (dave-pw, created on n3) exist.
"""
import imaplib
import os
import poplib
import re
import smtplib
import socket
import time
import unittest
import uuid

HOST = "127.0.0.1"
NODES = {n: {p: int(os.environ[f"QUILL_{n.upper()}_{p.upper()}"]) for p in ("smtp", "pop", "imap")}
         for n in ("n1", "n2", "n3")}


def deliver(node, subject, to="carol@example.test"):
    msg = (f"From: tester@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n"
           f"Message-ID: <{uuid.uuid4()}@example.org>\r\n\r\nHello through {node}.\r\n")
    with smtplib.SMTP(HOST, NODES[node]["smtp"], timeout=20) as s:
        s.sendmail("tester@example.org", [to], msg)


def imap(node, user="carol@example.test", password="carol-pw"):
    c = imaplib.IMAP4(HOST, NODES[node]["imap"], timeout=20)
    c.login(user, password)
    return c


def subjects(c, mailbox="INBOX"):
    typ, _ = c.select(mailbox)
    assert typ == "OK"
    typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    found = []
    for item in data:
        if isinstance(item, tuple):
            m = re.search(rb"Subject: (.*?)\r\n", item[1])
            if m:
                found.append(m.group(1).decode())
    return found


class ClusterTest(unittest.TestCase):
    def test_smtp_on_one_node_read_by_pop3_and_imap_on_the_others(self):
        subject = f"cluster {uuid.uuid4()}"
        deliver("n1", subject)
        p = poplib.POP3(HOST, NODES["n3"]["pop"], timeout=20)
        try:
            p.user("carol@example.test")
            p.pass_("carol-pw")
            count, _ = p.stat()
            texts = [b"\r\n".join(p.retr(i)[1]).decode() for i in range(1, count + 1)]
        finally:
            p.quit()
        self.assertTrue(any(subject in t for t in texts))
        c = imap("n2")
        try:
            self.assertIn(subject, subjects(c))
        finally:
            c.logout()

    def test_flags_and_folders_made_on_one_node_are_seen_on_another(self):
        subject = f"flags {uuid.uuid4()}"
        deliver("n2", subject)
        a, b = imap("n1"), imap("n3")
        try:
            a.select("INBOX")
            typ, data = a.uid("SEARCH", None, f'SUBJECT "{subject}"')
            uid = data[0].split()[-1]
            self.assertEqual(a.uid("STORE", uid, "+FLAGS", r"(\Flagged)")[0], "OK")
            b.select("INBOX")
            typ, data = b.uid("FETCH", uid, "(FLAGS)")
            self.assertIn(rb"\Flagged", data[0])
            folder = f"Cluster-{uuid.uuid4().hex[:8]}"
            self.assertEqual(a.create(folder)[0], "OK")
            self.assertEqual(a.uid("COPY", uid, folder)[0], "OK")
            self.assertIn(subject, subjects(b, folder))
            self.assertEqual(b.delete(folder)[0], "OK")
            typ, data = a.list()
            self.assertFalse(any(folder.encode() in line for line in data))
        finally:
            a.logout()
            b.logout()

    def test_idle_on_one_node_sees_a_delivery_through_another(self):
        c = imap("n3", "dave@example.test", "dave-pw")
        try:
            typ, data = c.select("INBOX")
            before = int(data[0])
            sock = c.socket()
            c.send(b"i1 IDLE\r\n")
            self.assertTrue(c.readline().startswith(b"+"))
            deliver("n1", "pushed", to="dave@example.test")
            sock.settimeout(20)
            line = c.readline()
            self.assertEqual(line.strip(), f"* {before + 1} EXISTS".encode())
            c.send(b"DONE\r\n")
            while not c.readline().startswith(b"i1 "):
                pass
        finally:
            c.logout()

    def test_a_pop3_session_on_one_node_locks_the_maildrop_on_the_others(self):
        first = poplib.POP3(HOST, NODES["n1"]["pop"], timeout=20)
        try:
            first.user("dave@example.test")
            first.pass_("dave-pw")
            second = poplib.POP3(HOST, NODES["n2"]["pop"], timeout=20)
            try:
                second.user("dave@example.test")
                with self.assertRaises(poplib.error_proto) as refused:
                    second.pass_("dave-pw")
                self.assertIn(b"[IN-USE]", refused.exception.args[0])
            finally:
                second.quit()
        finally:
            first.quit()
        # QUIT is answered once the user's manager has the lock back: free at once on another node
        p = poplib.POP3(HOST, NODES["n2"]["pop"], timeout=20)
        try:
            p.user("dave@example.test")
            p.pass_("dave-pw")
        finally:
            p.quit()

    def test_unknown_recipient_is_refused_by_every_node(self):
        for node in NODES:
            with smtplib.SMTP(HOST, NODES[node]["smtp"], timeout=20) as s:
                s.ehlo()
                s.mail("tester@example.org")
                code, _ = s.rcpt("nobody@example.test")
                self.assertEqual(code, 550, node)


if __name__ == "__main__":
    unittest.main(verbosity=2)
