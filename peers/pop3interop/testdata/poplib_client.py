"""Drive a POP3 server with CPython's poplib and print what it saw as JSON.

Usage: poplib_client.py CONFIG_JSON

CONFIG_JSON keys: host, port, timeout, cafile, user, pass, mode ("user",
"apop"), stls (bool), dele (message numbers to delete), rset (bool: RSET
after the deletions, before QUIT).
"""
import base64
import json
import poplib
import ssl
import sys


def b64(b):
    return base64.b64encode(b).decode("ascii")


def main():
    cfg = json.loads(sys.argv[1])
    out = {"error": None}
    try:
        p = poplib.POP3(cfg["host"], cfg["port"], timeout=cfg["timeout"])
        out["welcome"] = p.getwelcome().decode("ascii", "replace")
        out["capa"] = sorted(p.capa().keys())
        if cfg.get("stls"):
            ctx = ssl.create_default_context(cafile=cfg["cafile"])
            p.stls(context=ctx)
            out["capa_tls"] = sorted(p.capa().keys())
        if cfg["mode"] == "apop":
            p.apop(cfg["user"], cfg["pass"])
        else:
            p.user(cfg["user"])
            p.pass_(cfg["pass"])
        out["stat"] = list(p.stat())
        _, lines, _ = p.list()
        out["list"] = [l.decode("ascii") for l in lines]
        out["list1"] = p.list(1).decode("ascii")
        _, lines, _ = p.uidl()
        out["uidl"] = [l.decode("ascii") for l in lines]
        out["uidl1"] = p.uidl(1).decode("ascii")
        _, lines, _ = p.top(1, 1)
        out["top"] = b64(b"\r\n".join(lines) + b"\r\n")
        out["retr"] = []
        for i in range(1, out["stat"][0] + 1):
            _, lines, octets = p.retr(i)
            out["retr"].append({"body": b64(b"\r\n".join(lines) + b"\r\n"), "octets": octets})
        for n in cfg.get("dele") or []:
            p.dele(n)
        out["stat_after_dele"] = list(p.stat())
        if cfg.get("rset"):
            p.rset()
            out["stat_after_rset"] = list(p.stat())
        out["noop"] = p.noop().decode("ascii")
        out["quit"] = p.quit().decode("ascii")
    except Exception as e:  # reported to the Go test
        out["error"] = "%s: %s" % (type(e).__name__, e)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
