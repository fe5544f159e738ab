"""CPython imaplib against postkit's IMAP server.

Usage: imaplib_client.py HOST PORT USER PASS CAFILE

Runs one session through the commands imaplib offers and prints a JSON
object of what the server answered; the Go test checks it. Any exception
ends the script with a traceback and a non-zero status.
"""

import imaplib
import json
import socket
import ssl
import sys
import time

host, port, user, password, cafile = sys.argv[1:6]
port = int(port)
out = {}


def s(v):
    """Makes an imaplib answer JSON-able: bytes as text, tuples as lists."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [s(x) for x in v]
    return v


def ok(res, what):
    typ, data = res
    if typ != "OK":
        raise SystemExit("%s: %s %r" % (what, typ, data))
    return data


MSG_PLAIN = (b"From: Bob <bob@example.org>\r\n"
             b"To: alice@example.test\r\n"
             b"Subject: hello from imaplib\r\n"
             b"Date: Fri, 2 Jan 2026 03:04:05 +0000\r\n"
             b"Message-ID: <plain@example.org>\r\n"
             b"\r\n"
             b"Hello, Alice.\r\n")
MSG_UTF8 = ("From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\n"
            "To: alice@example.test\r\n"
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
            "Date: Sat, 3 Jan 2026 10:00:00 +0100\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "Schöne Grüße aus Köln.\r\n").encode("utf-8")
MSG_MULTI = (b"From: Carol <carol@example.org>\r\n"
             b"To: alice@example.test\r\n"
             b"Subject: report attached\r\n"
             b"Date: Sun, 4 Jan 2026 12:00:00 +0000\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
             b"\r\n"
             b"--b1\r\n"
             b"Content-Type: text/plain; charset=us-ascii\r\n"
             b"\r\n"
             b"See the report.\r\n"
             b"--b1\r\n"
             b"Content-Type: application/pdf; name=\"r.pdf\"\r\n"
             b"Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n"
             b"\r\n"
             b"JVBERi0xLjQK\r\n"
             b"--b1--\r\n")
MSG_IDLE = (b"From: Dave <dave@example.org>\r\n"
            b"Subject: wake up\r\n"
            b"\r\n"
            b"IDLE test.\r\n")

out["sent"] = [m.hex() for m in (MSG_PLAIN, MSG_UTF8, MSG_MULTI, MSG_IDLE)]

# --- Session 1: plain TCP (LOGIN is allowed from loopback).
M = imaplib.IMAP4(host, port)
out["greeting"] = s(M.welcome)
out["caps_before"] = sorted(M.capabilities)
ok(M.login(user, password), "LOGIN")
out["caps_after"] = s(ok(M.capability(), "CAPABILITY"))
out["list_before"] = s(ok(M.list(), "LIST"))
ok(M.create("Archive"), "CREATE Archive")
ok(M.create("Trash"), "CREATE Trash")
ok(M.create("Projects/2026"), "CREATE Projects/2026")
out["list_after"] = s(ok(M.list(), "LIST"))
# imaplib sends arguments as they are: the empty reference must be quoted.
out["list_pattern"] = s(ok(M.list('""', "Projects/%"), "LIST Projects/%"))

date = imaplib.Time2Internaldate(time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1)))
typ, data = M.append("INBOX", r"(\Flagged $Important)", date, MSG_PLAIN)
out["append1"] = [typ, s(data)]
typ, data = M.append("INBOX", None, None, MSG_UTF8)
out["append2"] = [typ, s(data)]
typ, data = M.append("INBOX", r"(\Seen)", None, MSG_MULTI)
out["append3"] = [typ, s(data)]

out["select"] = s(ok(M.select("INBOX"), "SELECT"))
out["select_untagged"] = {k: s(v) for k, v in M.untagged_responses.items()}

out["fetch_flags"] = s(ok(M.fetch("1:*", "(FLAGS)"), "FETCH FLAGS"))
out["fetch_internaldate"] = s(ok(M.fetch("1", "(INTERNALDATE RFC822.SIZE)"), "FETCH INTERNALDATE"))
out["fetch_envelope"] = s(ok(M.fetch("1", "(ENVELOPE)"), "FETCH ENVELOPE"))
out["fetch_bodystructure"] = s(ok(M.fetch("3", "(BODYSTRUCTURE)"), "FETCH BODYSTRUCTURE"))
data = ok(M.fetch("1:3", "(BODY.PEEK[])"), "FETCH BODY.PEEK[]")
out["fetch_bodies"] = [d[1].hex() for d in data if isinstance(d, tuple)]
out["fetch_flags_after_peek"] = s(ok(M.fetch("2", "(FLAGS)"), "FETCH FLAGS"))
out["fetch_header_fields"] = s(ok(M.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])"), "FETCH HEADER.FIELDS"))
out["fetch_flags_after_body"] = s(ok(M.fetch("1", "(FLAGS)"), "FETCH FLAGS"))
out["fetch_partial"] = s(ok(M.fetch("1", "(BODY.PEEK[]<0.10>)"), "FETCH partial"))
out["fetch_part"] = s(ok(M.fetch("3", "(BODY.PEEK[2.MIME] BODY.PEEK[1])"), "FETCH parts"))
out["uid_fetch"] = s(ok(M.uid("FETCH", "1:*", "(UID FLAGS)"), "UID FETCH"))

out["search"] = {
    "all": s(ok(M.search(None, "ALL"), "SEARCH ALL")),
    "from": s(ok(M.search(None, "FROM", '"bob"'), "SEARCH FROM")),
    "subject": s(ok(M.search(None, "SUBJECT", "report"), "SEARCH SUBJECT")),
    "flagged": s(ok(M.search(None, "FLAGGED"), "SEARCH FLAGGED")),
    "keyword": s(ok(M.search(None, "KEYWORD", "$Important"), "SEARCH KEYWORD")),
    "unseen": s(ok(M.search(None, "UNSEEN"), "SEARCH UNSEEN")),
    "or": s(ok(M.search(None, "OR", "FROM", "carol", "SUBJECT", "hello"), "SEARCH OR")),
    "not": s(ok(M.search(None, "NOT", "FROM", "bob"), "SEARCH NOT")),
    "larger": s(ok(M.search(None, "LARGER", "400"), "SEARCH LARGER")),
    "since": s(ok(M.search(None, "SENTSINCE", "3-Jan-2026"), "SEARCH SENTSINCE")),
    "body": s(ok(M.search(None, "BODY", "report"), "SEARCH BODY")),
    "header": s(ok(M.search(None, "HEADER", "Message-ID", "plain@"), "SEARCH HEADER")),
    "uid": s(ok(M.uid("SEARCH", None, "ALL"), "UID SEARCH")),
}
# CHARSET UTF-8 with the string as a synchronising literal: imaplib
# sends "{n}", waits for "+" and then the bytes.
M.literal = "Grüße".encode("utf-8")
out["search"]["utf8_subject"] = s(ok(M.search("UTF-8", "SUBJECT"), "SEARCH CHARSET UTF-8 SUBJECT"))
M.literal = "Köln".encode("utf-8")
out["search"]["utf8_body"] = s(ok(M.search("UTF-8", "BODY"), "SEARCH CHARSET UTF-8 BODY"))

out["store_add"] = s(ok(M.store("2", "+FLAGS", r"(\Answered $Label1)"), "STORE +FLAGS"))
out["store_remove"] = s(ok(M.store("1", "-FLAGS", r"(\Flagged)"), "STORE -FLAGS"))
out["store_silent"] = s(ok(M.store("3", "+FLAGS.SILENT", r"(\Draft)"), "STORE +FLAGS.SILENT"))
out["flags_after_store"] = s(ok(M.fetch("1:*", "(FLAGS)"), "FETCH FLAGS"))

typ, data = M.copy("1:2", "Archive")
out["copy"] = [typ, s(data)]
out["status_archive"] = s(ok(M.status("Archive", "(MESSAGES UIDNEXT UNSEEN)"), "STATUS"))

uids = ok(M.uid("SEARCH", None, "SUBJECT", "report"), "UID SEARCH")[0].split()
typ, data = M.uid("MOVE", uids[0].decode(), "Trash")
out["uid_move"] = [typ, s(data)]
out["after_move_search"] = s(ok(M.search(None, "ALL"), "SEARCH ALL"))

ok(M.store("1", "+FLAGS", r"(\Deleted)"), "STORE \\Deleted")
out["expunge"] = s(ok(M.expunge(), "EXPUNGE"))
out["after_expunge_search"] = s(ok(M.search(None, "ALL"), "SEARCH ALL"))

# --- IDLE over a raw socket: a second connection IDLEs on INBOX, this
# one appends, and the IDLE connection must see the new EXISTS.
raw = socket.create_connection((host, port), timeout=10)
rf = raw.makefile("rb")


def rline():
    line = rf.readline()
    if not line:
        raise SystemExit("IDLE connection closed")
    return line.decode("utf-8", "replace").rstrip("\r\n")


def rcmd(tag, line):
    raw.sendall((tag + " " + line + "\r\n").encode())
    lines = []
    while True:
        l = rline()
        lines.append(l)
        if l.startswith(tag + " "):
            if not l.startswith(tag + " OK"):
                raise SystemExit("%s: %s" % (line, l))
            return lines


idle = {"greeting": rline()}
rcmd("i1", 'LOGIN "%s" "%s"' % (user, password))
sel = rcmd("i2", "SELECT INBOX")
idle["select"] = sel
raw.sendall(b"i3 IDLE\r\n")
idle["continuation"] = rline()
t0 = time.monotonic()
typ, data = M.append("INBOX", None, None, MSG_IDLE)
idle["append"] = [typ, s(data)]
raw.settimeout(10)
seen = []
while True:
    l = rline()
    seen.append(l)
    if l.endswith(" EXISTS"):
        break
idle["seconds"] = time.monotonic() - t0
idle["during"] = seen
raw.sendall(b"DONE\r\n")
done = []
while True:
    l = rline()
    done.append(l)
    if l.startswith("i3 "):
        break
idle["done"] = done
rcmd("i4", "LOGOUT")
raw.close()
out["idle"] = idle

out["noop"] = s(M.noop())
out["logout"] = s(M.logout())

# --- Session 2: STARTTLS, then AUTHENTICATE PLAIN.
ctx = ssl.create_default_context(cafile=cafile)
M = imaplib.IMAP4("localhost", port)
out["tls_caps_before"] = sorted(M.capabilities)
out["starttls"] = s(ok(M.starttls(ssl_context=ctx), "STARTTLS"))
out["tls_caps_after"] = sorted(M.capabilities)
out["tls_version"] = M.sock.version()
ok(M.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, password)).encode()), "AUTHENTICATE PLAIN")
out["tls_select"] = s(ok(M.select("Archive", readonly=True), "EXAMINE Archive"))
out["tls_fetch"] = s(ok(M.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "FETCH over TLS"))
ok(M.close(), "CLOSE")
out["tls_logout"] = s(M.logout())

# --- A wrong password is refused and the connection goes on.
M = imaplib.IMAP4(host, port)
try:
    M.login(user, "wrong")
    out["bad_login"] = "accepted"
except imaplib.IMAP4.error as e:
    out["bad_login"] = str(e)
M.logout()

json.dump(out, sys.stdout)
