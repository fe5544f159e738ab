"""Send one message with Python's smtplib, as the Go test asks.

argv[1] is a JSON object: host, port, timeout, implicit_tls, starttls,
cafile, auth
("", "PLAIN" or "LOGIN"), no_ir, user, pass, from, to, mail_options,
msgfile. One JSON line goes to stdout: auth_code (the reply code of a
failed AUTH, else 0), refused (recipient to reply code), error (null or
the exception).
"""

import json
import smtplib
import ssl
import sys


def main():
    cfg = json.loads(sys.argv[1])
    res = {"auth_code": 0, "refused": {}, "error": None}
    try:
        if cfg["implicit_tls"]:
            ctx = ssl.create_default_context(cafile=cfg["cafile"])
            conn = smtplib.SMTP_SSL(cfg["host"], int(cfg["port"]),
                                    local_hostname="client.example",
                                    timeout=cfg["timeout"], context=ctx)
        else:
            conn = smtplib.SMTP(cfg["host"], int(cfg["port"]),
                                local_hostname="client.example",
                                timeout=cfg["timeout"])
        with conn as s:
            s.ehlo()
            if cfg["starttls"]:
                ctx = ssl.create_default_context(cafile=cfg["cafile"])
                s.starttls(context=ctx)
                s.ehlo()
            if cfg["auth"]:
                # login() would pick the mechanism itself; auth() forces it.
                s.user, s.password = cfg["user"], cfg["pass"]
                authobj = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login}[cfg["auth"]]
                try:
                    s.auth(cfg["auth"], authobj,
                           initial_response_ok=not cfg["no_ir"])
                except smtplib.SMTPAuthenticationError as e:
                    res["auth_code"] = e.smtp_code
                    print(json.dumps(res))
                    return
            with open(cfg["msgfile"], "rb") as f:
                msg = f.read()
            refused = s.sendmail(cfg["from"], cfg["to"], msg,
                                 mail_options=cfg["mail_options"])
            res["refused"] = {k: v[0] for k, v in refused.items()}
    except Exception as e:  # reported to the Go test
        res["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
