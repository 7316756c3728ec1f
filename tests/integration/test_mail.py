"""Integration tests of a running Quill node with Python's standard mail clients.

Ports come from QUILL_SMTP, QUILL_SUB and QUILL_POP; users alice@example.test (alice-pw) and
bob@example.test (bob-pw) exist, and postmaster@example.test is an alias of alice.
"""
import os
import poplib
import socket
import smtplib
import ssl
import time
import unittest
import uuid

HOST = "127.0.0.1"
SMTP = int(os.environ["QUILL_SMTP"])
SUB = int(os.environ["QUILL_SUB"])
POP = int(os.environ["QUILL_POP"])


def message(subject, body="Hello.\r\n", to="alice@example.test"):
    return (f"From: tester@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@example.org>\r\n\r\n{body}")


def pop_login(user, password):
    """Logs in; retries briefly while a just-dropped session still holds the maildrop lock."""
    deadline = time.monotonic() + 5
    while True:
        p = poplib.POP3(HOST, POP, timeout=10)
        p.user(user)
        try:
            p.pass_(password)
            return p
        except poplib.error_proto as e:
            p.quit()
            if b"[IN-USE]" not in e.args[0] or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def pop_messages(user, password):
    """Logs in, returns the list of message texts, quits without deleting."""
    p = pop_login(user, password)
    try:
        count, _ = p.stat()
        return [b"\r\n".join(p.retr(i)[1]).decode("utf-8", "replace") for i in range(1, count + 1)]
    finally:
        p.quit()


class Raw:
    """A raw SMTP or POP3 conversation over a socket, for inputs no client library would send."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=10)
        self.f = self.s.makefile("rb")

    def line(self):
        return self.f.readline().decode("latin-1")

    def reply(self):
        """Reads a (possibly multi-line) SMTP reply; returns its last line."""
        while True:
            l = self.line()
            if len(l) < 4 or l[3] != "-":
                return l

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode("latin-1"))

    def close(self):
        self.s.close()


class SmtpTest(unittest.TestCase):
    def test_delivery_to_several_recipients_each_get_a_copy(self):
        subject = f"multi {uuid.uuid4()}"
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.ehlo("client.example.org")
            refused = s.sendmail("tester@example.org", ["alice@example.test", "bob@example.test"], message(subject))
            self.assertEqual(refused, {})
        self.assertTrue(any(subject in m for m in pop_messages("alice@example.test", "alice-pw")))
        self.assertTrue(any(subject in m for m in pop_messages("bob@example.test", "bob-pw")))

    def test_delivered_message_has_return_path_and_received(self):
        subject = f"trace {uuid.uuid4()}"
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.sendmail("tester@example.org", ["bob@example.test"], message(subject, to="bob@example.test"))
        m = next(m for m in pop_messages("bob@example.test", "bob-pw") if subject in m)
        self.assertTrue(m.startswith("Return-Path: <tester@example.org>"), m[:200])
        self.assertIn("Received: from", m)

    def test_alias_delivers_to_target(self):
        subject = f"alias {uuid.uuid4()}"
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.sendmail("tester@example.org", ["postmaster@example.test"], message(subject))
        self.assertTrue(any(subject in m for m in pop_messages("alice@example.test", "alice-pw")))

    def test_ehlo_advertises_extensions(self):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            code, _ = s.ehlo("client.example.org")
            self.assertEqual(code, 250)
            for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes", "smtputf8", "starttls", "chunking"):
                self.assertTrue(s.has_extn(ext), ext)
            self.assertFalse(s.has_extn("auth"), "port 25 role must not offer AUTH")

    def test_unknown_user_rejected_at_rcpt(self):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.ehlo()
            s.mail("tester@example.org")
            code, text = s.rcpt("nobody@example.test")
            self.assertEqual(code, 550)
            self.assertIn(b"5.1.1", text)

    def test_relay_denied(self):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.ehlo()
            s.mail("tester@example.org")
            code, text = s.rcpt("someone@elsewhere.test")
            self.assertEqual(code, 550)
            self.assertIn(b"5.7.1", text)

    def test_vrfy_answers_252(self):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            self.assertEqual(s.verify("alice@example.test")[0], 252)

    def test_submission_auth_after_starttls_then_send(self):
        subject = f"sub {uuid.uuid4()}"
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP(HOST, SUB, timeout=10) as s:
            s.ehlo()
            s.starttls(context=ctx)
            s.ehlo()
            self.assertTrue(s.has_extn("auth"))
            s.login("bob@example.test", "bob-pw")
            s.sendmail("bob@example.test", ["alice@example.test"], message(subject))
        self.assertTrue(any(subject in m for m in pop_messages("alice@example.test", "alice-pw")))

    def test_submission_requires_auth(self):
        with smtplib.SMTP(HOST, SUB, timeout=10) as s:
            s.ehlo()
            code, text = s.mail("bob@example.test")
            self.assertEqual(code, 530)

    def test_submission_wrong_password_rejected(self):
        with smtplib.SMTP(HOST, SUB, timeout=30) as s:
            s.ehlo()
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                s.login("bob@example.test", "wrong-password")
            self.assertEqual(e.exception.smtp_code, 535)

    def test_oversize_declared_size_rejected(self):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.ehlo()
            code, _ = s.mail("tester@example.org", ["SIZE=999999999999"])
            self.assertEqual(code, 552)

    def test_long_command_line_rejected_and_session_continues(self):
        r = Raw(SMTP)
        try:
            self.assertTrue(r.reply().startswith("220"))
            r.send("EHLO x\r\n"); r.reply()
            r.send("MAIL FROM:<" + "a" * 2000 + "@example.org>\r\n")
            self.assertTrue(r.reply().startswith("500"))
            r.send("NOOP\r\n")
            self.assertTrue(r.reply().startswith("250"))
        finally:
            r.close()

    def test_bare_lf_command_rejected(self):
        r = Raw(SMTP)
        try:
            r.reply()
            r.send("EHLO x\n")
            self.assertTrue(r.reply()[0] == "5")
        finally:
            r.close()

    def test_nul_in_command_rejected(self):
        r = Raw(SMTP)
        try:
            r.reply()
            r.send(b"EHLO a\x00b\r\n")
            self.assertTrue(r.reply().startswith("5"))
            r.send("NOOP\r\n")
            self.assertTrue(r.reply().startswith("250"))
        finally:
            r.close()

    def test_rcpt_before_mail_is_a_sequence_error(self):
        r = Raw(SMTP)
        try:
            r.reply()
            r.send("EHLO x\r\n"); r.reply()
            r.send("RCPT TO:<alice@example.test>\r\n")
            self.assertTrue(r.reply().startswith("503"))
        finally:
            r.close()

    def test_pipelined_transaction(self):
        subject = f"pipe {uuid.uuid4()}"
        r = Raw(SMTP)
        try:
            r.reply()
            r.send("EHLO x\r\n"); r.reply()
            r.send("MAIL FROM:<p@example.org>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
            self.assertTrue(r.reply().startswith("250"))
            self.assertTrue(r.reply().startswith("250"))
            self.assertTrue(r.reply().startswith("354"))
            r.send(message(subject) + ".\r\nQUIT\r\n")
            self.assertTrue(r.reply().startswith("250"))
            self.assertTrue(r.reply().startswith("221"))
        finally:
            r.close()
        self.assertTrue(any(subject in m for m in pop_messages("alice@example.test", "alice-pw")))

    def test_too_many_recipients(self):
        with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
            s.ehlo()
            s.mail("tester@example.org")
            codes = [s.rcpt("alice@example.test")[0] for _ in range(101)]
            self.assertTrue(all(c == 250 for c in codes[:100]), codes[:100])
            self.assertEqual(codes[100], 452)

    def test_http_request_is_refused(self):
        r = Raw(SMTP)
        try:
            r.reply()
            r.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(r.reply()[0] == "5")
        finally:
            r.close()


class Pop3Test(unittest.TestCase):
    def deliver(self, subject, to="alice@example.test"):
        with smtplib.SMTP(HOST, SMTP, timeout=10) as s:
            s.sendmail("tester@example.org", [to], message(subject, to=to))

    def test_capa_uidl_top(self):
        self.deliver(f"capa {uuid.uuid4()}")
        p = poplib.POP3(HOST, POP, timeout=10)
        try:
            caps = p.capa()
            for c in ("UIDL", "TOP", "USER", "STLS", "SASL"):
                self.assertIn(c, caps)
            p.user("alice@example.test")
            p.pass_("alice-pw")
            count, size = p.stat()
            self.assertGreater(count, 0)
            uids = p.uidl()[1]
            self.assertEqual(len(uids), count)
            self.assertEqual(len({u.split()[1] for u in uids}), count)
            top = p.top(1, 0)[1]
            self.assertTrue(any(l.startswith(b"Subject:") for l in top))
        finally:
            p.quit()

    def test_dele_applies_only_at_quit(self):
        subject = f"dele {uuid.uuid4()}"
        self.deliver(subject, to="bob@example.test")
        p = poplib.POP3(HOST, POP, timeout=10)
        p.user("bob@example.test")
        p.pass_("bob-pw")
        count, _ = p.stat()
        idx = next(i for i in range(1, count + 1) if subject in b"\n".join(p.retr(i)[1]).decode())
        p.dele(idx)
        with self.assertRaises(poplib.error_proto):
            p.retr(idx)
        p.rset()
        p.retr(idx)
        p.dele(idx)
        # Dropping the connection without QUIT must delete nothing. (shutdown: poplib's file
        # object keeps the socket open after a plain close.)
        p.sock.shutdown(socket.SHUT_RDWR)
        p.sock.close()
        self.assertTrue(any(subject in m for m in pop_messages("bob@example.test", "bob-pw")))
        p = pop_login("bob@example.test", "bob-pw")
        p.dele(idx)
        p.quit()
        self.assertFalse(any(subject in m for m in pop_messages("bob@example.test", "bob-pw")))

    def test_second_session_gets_in_use(self):
        p = poplib.POP3(HOST, POP, timeout=10)
        p.user("alice@example.test")
        p.pass_("alice-pw")
        try:
            q = poplib.POP3(HOST, POP, timeout=10)
            q.user("alice@example.test")
            with self.assertRaises(poplib.error_proto) as e:
                q.pass_("alice-pw")
            self.assertIn(b"[IN-USE]", e.exception.args[0])
            q.quit()
        finally:
            p.quit()

    def test_wrong_password_rejected_with_auth_code(self):
        p = poplib.POP3(HOST, POP, timeout=30)
        p.user("alice@example.test")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("nope")
        self.assertIn(b"-ERR", e.exception.args[0])
        p.quit()

    def test_bad_commands_get_err_and_session_continues(self):
        r = Raw(POP)
        try:
            self.assertTrue(r.line().startswith("+OK"))
            for bad in ("RETR 1", "FOO", "STAT", "X" * 2000, "LIST abc"):
                r.send(bad + "\r\n")
                self.assertTrue(r.line().startswith("-ERR"), bad[:20])
            r.send("NOOP\r\n")
            self.assertTrue(r.line().startswith(("+OK", "-ERR")))
            r.send("QUIT\r\n")
            self.assertTrue(r.line().startswith("+OK"))
        finally:
            r.close()

    def test_stls_then_login(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        p = poplib.POP3(HOST, POP, timeout=10)
        p.stls(context=ctx)
        p.user("alice@example.test")
        p.pass_("alice-pw")
        self.assertGreaterEqual(p.stat()[0], 0)
        p.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2)
