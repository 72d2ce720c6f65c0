#!/usr/bin/env python3
"""Sends N messages of SIZE bytes at once, one session each, alternately from 127.0.0.1 and
127.0.0.2, to 127.0.0.1:PORT with smtplib, declaring SIZE=. A 4xx at MAIL, DATA or the end of
the data is retried after BACKOFF seconds, as an MTA would (sooner: this is a benchmark).
Prints one line: delivered, retries, refusals by reply code, seconds.

    benches/memory-client.py PORT [N=40] [SIZE=25165824]
"""
import smtplib
import sys
import threading
import time
from collections import Counter

port = int(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
size = int(sys.argv[3]) if len(sys.argv) > 3 else 24 << 20
BACKOFF = 0.05
GIVE_UP = 300.0

line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVW\r\n"
body = line * (size // len(line))
lock = threading.Lock()
delivered, retries, codes = 0, 0, Counter()


def reply_key(code, text):
    """'452 4.3.1': the reply code and its enhanced status code, which tell who refused."""
    words = (text or b"").split()
    return "%d %s" % (code, words[0].decode() if words else "")


def expect(want, reply):
    code, text = reply
    if code != want:
        raise smtplib.SMTPResponseException(code, text)


def transaction(s, msg):
    """MAIL with SIZE=, RCPT, DATA and the message in one write. Not smtplib's sendmail, which
    rewrites line ends and dot-stuffs the whole message in Python on every attempt: the client
    would be the bottleneck, not Moat (the message has CRLF lines and no leading dots)."""
    s.ehlo()
    expect(250, s.mail("a@sender.test", ["SIZE=%d" % len(msg)]))
    expect(250, s.rcpt("alice@example.test"))
    s.putcmd("data")
    expect(354, s.getreply())
    s.send(msg + b".\r\n")
    expect(250, s.getreply())


def send(i):
    global delivered, retries
    msg = (b"From: a@sender.test\r\nTo: alice@example.test\r\nSubject: memory %d\r\n"
           b"Message-ID: <memory-%d@sender.test>\r\n\r\n" % (i, i)) + body
    source = ("127.0.0.%d" % (1 + i % 2), 0)
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        code = None
        try:
            with smtplib.SMTP("127.0.0.1", port, source_address=source, timeout=120) as s:
                transaction(s, msg)
            with lock:
                delivered += 1
            return
        except smtplib.SMTPResponseException as e:
            code = reply_key(e.smtp_code, e.smtp_error)
        except smtplib.SMTPRecipientsRefused as e:
            code = reply_key(*next(iter(e.recipients.values())))
        except (smtplib.SMTPException, OSError) as e:
            code = type(e).__name__
        with lock:
            retries += 1
            codes[code] += 1
        if code[:1] == "5":
            print("message %d refused for good: %s" % (i, code), file=sys.stderr)
            return
        time.sleep(BACKOFF)


started = time.monotonic()
threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("delivered=%d/%d retries=%d refusals=%s seconds=%.1f"
      % (delivered, count, retries, dict(codes), time.monotonic() - started))
