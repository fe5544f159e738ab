#!/usr/bin/env python3
"""Extract the raw From/To/Cc/Date header values of the developer corpus.

Writes corpus_headers.jsonl beside this script: one JSON object per message
listed in ../../testdata/messages/MANIFEST.tsv, sorted by file, with

    {"file", "from_raw", "to_raw", "cc_raw", "date_raw"}

Each *_raw value is the first occurrence of that header field as CPython's
compat32 parser splits the header block (the same splitting that produced
expected.jsonl), unfolded (CRLF / LF before white space removed) and with the
leading white space after the colon trimmed; null when the field is absent.
Raw 8-bit bytes are kept: a value that is valid UTF-8 is written as a JSON
string; otherwise the string holds the UTF-8 reading with U+FFFD
replacements and a companion "*_raw_b64" field holds the exact bytes.

The Go differential test (address_corpus_test.go) reads this fixture and
../../testdata/messages/expected.jsonl; it never runs Python.

Usage: python3 gen_address_fixtures.py   (run from anywhere; Python 3.11)
"""
import base64
import email.policy
import json
import os
import re
import sys
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "testdata", "messages"))
OUT = os.path.join(HERE, "corpus_headers.jsonl")
FIELDS = ("from", "to", "cc", "date")
FOLD = re.compile(rb"\r?\n(?=[ \t])|\r(?=[ \t])")


def files():
    with open(os.path.join(CORPUS, "MANIFEST.tsv"), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return sorted(r[0] for r in rows[1:] if r and r[0])


def raw_value(msg, name):
    # raw_items() gives the stored values unmodified (compat32's get() would
    # turn 8-bit bytes into U+FFFD); the first occurrence is what msg[name]
    # returns under any policy.
    for k, v in msg.raw_items():
        if k.lower() == name:
            break
    else:
        return None
    b = v.encode("ascii", "surrogateescape")
    b = FOLD.sub(b"", b).lstrip(b" \t").rstrip(b"\r\n")
    return b


def main():
    out = []
    for rel in files():
        with open(os.path.join(CORPUS, rel), "rb") as f:
            data = f.read()
        msg = BytesParser(policy=email.policy.compat32).parsebytes(data)
        rec = {"file": rel}
        for name in FIELDS:
            b = raw_value(msg, name)
            key = name + "_raw"
            if b is None:
                rec[key] = None
                continue
            try:
                rec[key] = b.decode("utf-8")
            except UnicodeDecodeError:
                rec[key] = b.decode("utf-8", "replace")
                rec[key + "_b64"] = base64.b64encode(b).decode("ascii")
        out.append(rec)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for rec in out:
            f.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    print("wrote %d records to %s" % (len(out), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
