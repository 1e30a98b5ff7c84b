#!/usr/bin/python3
"""A real SMTP server for the mail tests: aiosmtpd (Debian's python3-aiosmtpd) on 127.0.0.1 with an
ephemeral port. It keeps every message it accepts and reports what happened on stdout, one JSON
object per line, for the test to read:
  {"listening": PORT}
  {"auth": LOGIN, "tls": BOOL}                 a successful AUTH
  {"mail": FILE, "from": ..., "to": [...], "tls": BOOL, "auth": LOGIN or null}

Options:
  --dir DIR            where messages are written (NNN.eml)
  --cert PEM --key PEM the server certificate (for STARTTLS, or for TLS from the first byte)
  --mode starttls|smtps|plain   plain offers no STARTTLS at all
  --user U --pass P    AUTH PLAIN/LOGIN accepted with these (also without TLS, so a client that
                       sent a password in the clear would be seen doing it)
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Handler:
    def __init__(self, folder, smtps):
        self.folder = folder
        self.smtps = smtps
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.folder, "%03d.eml" % self.count)
        with open(path, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        login = session.auth_data if session.authenticated else None
        say({"mail": path, "from": envelope.mail_from, "to": envelope.rcpt_tos,
             "tls": self.smtps or session.ssl is not None, "auth": login})
        return "250 OK"


def main():
    # AUTH without TLS is accepted on purpose (see above); aiosmtpd warns about it.
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--mode", default="starttls", choices=["starttls", "smtps", "plain"])
    ap.add_argument("--user")
    ap.add_argument("--pass", dest="password")
    a = ap.parse_args()

    ctx = None
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = a.user is not None and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
        if ok:
            say({"auth": auth_data.login.decode(), "tls": a.mode == "smtps" or session.ssl is not None})
        else:
            say({"auth_failed": auth_data.login.decode(), "tls": a.mode == "smtps" or session.ssl is not None})
        return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)

    handler = Handler(a.dir, a.mode == "smtps")

    def factory():
        return SMTP(handler, hostname="sink.test",
                    tls_context=ctx if a.mode == "starttls" else None,
                    authenticator=authenticator if a.user else None,
                    auth_required=a.user is not None,
                    auth_require_tls=False)

    async def run():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=ctx if a.mode == "smtps" else None)
        say({"listening": server.sockets[0].getsockname()[1]})
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
