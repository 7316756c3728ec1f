"""Phases of the disk-full integration test (disk.sh), against a running node whose data directory
is on a small tmpfs, with Python's smtplib, imaplib and poplib.

Usage: test_disk.py reserve|engine|verify. Ports come from QUILL_SMTP, QUILL_IMAP and QUILL_POP, the
mount point from QUILL_DISK, and the acknowledged subjects are kept, in order, in the JSON file
QUILL_ACKED across phases (and across the node's SIGKILLs between them). The user is
alice@example.test (alice-pw). Prints one "ok NAME" or "FAIL NAME" line per check; exits 1 on a failure.
"""
import base64
import imaplib
import json
import os
import poplib
import random
import re
import smtplib
import sys
import time
import uuid

HOST = "127.0.0.1"
SMTP = int(os.environ["QUILL_SMTP"])
IMAP = int(os.environ["QUILL_IMAP"])
POP = int(os.environ["QUILL_POP"])
DISK = os.environ["QUILL_DISK"]
ACKED = os.environ["QUILL_ACKED"]
USER, PASSWORD = "alice@example.test", "alice-pw"
FILLER = os.path.join(DISK, "filler")
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + "disk: " + name + ("" if ok or not detail else f"\n     {detail}"))
    if not ok:
        failures += 1
    return ok


def acked():
    return json.load(open(ACKED)) if os.path.exists(ACKED) else []


def remember(subjects):
    json.dump(subjects, open(ACKED, "w"))


def message(subject, body):
    return (f"From: tester@example.org\r\nTo: {USER}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@example.org>\r\n\r\n{body}")


def deliver(smtp, subject, body="Hello.\r\n"):
    """One transaction on an open smtplib session: the reply code after the data, or the refusal before it."""
    code, _ = smtp.mail("tester@example.org")
    if code != 250:
        return code, ""
    code, _ = smtp.rcpt(USER)
    if code != 250:
        smtp.rset()
        return code, ""
    code, text = smtp.data(message(subject, body))
    return code, text.decode("latin-1")


def free():
    st = os.statvfs(DISK)
    return st.f_bavail * st.f_frsize


def fill_to(leave):
    """Writes a filler until at most `leave` bytes are free (until the disk is full when 0)."""
    block = b"\0" * (256 * 1024)
    with open(FILLER, "ab") as f:
        try:
            while True:
                left = free() - leave
                if leave and left <= 0:
                    break
                f.write(block if not leave or left >= len(block) else block[:left])
                f.flush()
        except OSError as e:
            if e.errno != 28:  # ENOSPC
                raise


def release():
    os.remove(FILLER)


def until(what, seconds=30):
    """Calls what() every 250 ms until it returns something true; returns the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def mail_from_reply():
    with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
        s.ehlo("client.example.org")
        return s.mail("tester@example.org")


def imap_login():
    c = imaplib.IMAP4(HOST, IMAP, timeout=30)
    c.login(USER, PASSWORD)
    return c


def subjects():
    c = imap_login()
    try:
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        found = []
        for item in data:
            if isinstance(item, tuple):
                m = re.search(rb"Subject: (.*?)\r\n", item[1])
                found.append(m.group(1).decode() if m else None)
        return found
    finally:
        c.logout()


def append_reply():
    c = imap_login()
    try:
        return c.append("INBOX", None, None, message("appended", "Hi.\r\n").encode())
    finally:
        c.logout()


def pop_count():
    p = poplib.POP3(HOST, POP, timeout=30)
    try:
        p.user(USER)
        p.pass_(PASSWORD)
        return p.stat()[0]
    finally:
        p.quit()


def reserve():
    """The node keeps 32 MiB free: below that, mail is refused at MAIL; small writes and reads go on."""
    subjects_acked = acked()
    with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
        s.ehlo("client.example.org")
        for i in range(5):
            subject = f"before {i} {uuid.uuid4()}"
            code, _ = deliver(s, subject)
            if check(f"delivery {i} before the disk fills is acknowledged", code == 250, code):
                subjects_acked.append(subject)
    remember(subjects_acked)
    fill_to(8 << 20)
    code, text = until(lambda: (lambda r: r if r[0] == 452 else None)(mail_from_reply()), 10) or (0, b"")
    check("below the reserve, MAIL gets 452 4.3.1", code == 452 and text.startswith(b"4.3.1"), (code, text))
    with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
        s.ehlo("client.example.org")
        check("... and the session goes on (NOOP 250)", s.mail("tester@example.org")[0] == 452 and s.noop()[0] == 250)
    typ, data = append_reply()
    check("IMAP APPEND gets NO [UNAVAILABLE]", typ == "NO" and b"[UNAVAILABLE]" in data[0], (typ, data))
    c = imap_login()
    c.select("INBOX")
    typ, _ = c.store("1", "+FLAGS", r"(\Flagged)")
    c.logout()
    check("a flag change still fits in the reserve", typ == "OK")
    check("IMAP reads every acknowledged message", subjects() == subjects_acked)
    check("POP3 lists every acknowledged message", pop_count() == len(subjects_acked))
    release()
    code = until(lambda: mail_from_reply()[0] == 250, 10)
    check("once space is back, MAIL is accepted again without a restart", code)
    with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
        s.ehlo("client.example.org")
        subject = f"after {uuid.uuid4()}"
        code, _ = deliver(s, subject)
        if check("... and a delivery is acknowledged", code == 250, code):
            subjects_acked.append(subject)
    remember(subjects_acked)


def engine():
    """No reserve: the disk fills under RocksDB itself; it refuses writes, then resumes by itself."""
    subjects_acked = acked()
    with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
        s.ehlo("client.example.org")
        subject = f"before the engine fills {uuid.uuid4()}"
        # the first write after the restart makes RocksDB preallocate its log: room it has when the disk reads full
        if check("a delivery before the disk fills is acknowledged", deliver(s, subject)[0] == 250):
            subjects_acked.append(subject)
    remember(subjects_acked)
    fill_to(0)
    rnd = random.Random(7)
    refusal = None
    with smtplib.SMTP(HOST, SMTP, timeout=60) as s:
        s.ehlo("client.example.org")
        for i in range(250):
            subject = f"big {i} {uuid.uuid4()}"
            body = base64.encodebytes(rnd.randbytes(768 * 1024)).decode().replace("\n", "\r\n")
            code, text = deliver(s, subject, body)
            if code == 250:
                subjects_acked.append(subject)
            else:
                refusal = (code, text)
                break
        remember(subjects_acked)
        print(f"     ({len(subjects_acked)} acknowledged so far; the disk read full from the first 1 MiB message on)")
        check("the full disk refuses a message after the data with 452 4.3.1",
              refusal is not None and refusal[0] == 452 and refusal[1].startswith("4.3.1"), refusal)
        check("... and the session goes on (NOOP 250)", s.noop()[0] == 250)
    typ, data = append_reply()
    check("IMAP APPEND gets NO [UNAVAILABLE]", typ == "NO" and b"[UNAVAILABLE]" in data[0], (typ, data))
    check("IMAP reads every acknowledged message", subjects() == subjects_acked)
    p = poplib.POP3(HOST, POP, timeout=30)
    p.user(USER)
    p.pass_(PASSWORD)
    p.dele(1)
    try:
        p.quit()
        quit_reply = b"+OK"
    except poplib.error_proto as e:
        quit_reply = e.args[0]
    check("a POP3 deletion is refused with -ERR [SYS/TEMP]", quit_reply.startswith(b"-ERR [SYS/TEMP]"), quit_reply)
    release()
    subject = f"after {uuid.uuid4()}"

    def attempt():
        with smtplib.SMTP(HOST, SMTP, timeout=30) as s:
            s.ehlo("client.example.org")
            return deliver(s, subject)[0] == 250
    if check("once space is back, delivery works again without a restart", until(attempt, 30)):
        subjects_acked.append(subject)
    remember(subjects_acked)


def verify():
    """After a SIGKILL and a restart: every acknowledged message, whole."""
    expected = acked()
    check(f"after SIGKILL and restart, all {len(expected)} acknowledged messages are there", subjects() == expected)
    c = imap_login()
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(RFC822.SIZE BODY.PEEK[])")
    c.logout()
    bodies = [item for item in data if isinstance(item, tuple)]
    whole = all(int(re.search(rb"RFC822.SIZE (\d+)", b[0]).group(1)) == len(b[1]) for b in bodies)
    check("... and each reads back whole", typ == "OK" and len(bodies) == len(expected) and whole)


{"reserve": reserve, "engine": engine, "verify": verify}[sys.argv[1]]()
sys.exit(1 if failures else 0)
