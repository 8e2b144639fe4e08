"""python -m mock_kashflow: run the mock KashFlow for people, with a demo account."""

from __future__ import annotations

import argparse
import logging

from .app import create_app
from .journal import FOLD_BYTES
from .models import Account, Backend
from .seed import seed_account
from .server import make_mock_server

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mock_kashflow",
                                     description="A mock KashFlow SOAP API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--state", metavar="FILE",
                        help="keep accounts and documents in FILE (and FILE.journal.N) across "
                        "restarts; what was answered survives the process being killed")
    parser.add_argument("--fsync", action="store_true",
                        help="with --state: put each write on the disk before answering, so "
                        "that it survives a power cut too (slower)")
    parser.add_argument("--snapshot-every", type=int, default=FOLD_BYTES, metavar="BYTES",
                        help="with --state: fold the journal into FILE when it is this large "
                        f"(default {FOLD_BYTES // 1024 // 1024} MiB)")
    args = parser.parse_args(argv)

    backend = Backend(args.state, fsync=args.fsync, fold_bytes=args.snapshot_every)
    app = create_app(backend)
    account = backend.accounts.get(DEMO_USERNAME)
    if account is None:
        account = backend.add_account(
            seed_account(Account(DEMO_USERNAME, DEMO_PASSWORD), "demo", backend.next_dbid))

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_mock_server(args.host, args.port, app)
    base = f"http://{args.host}:{server.server_port}"
    print(f"Mock KashFlow on {base}", flush=True)
    print(f"  SOAP API      {base}/api/service.asmx  (WSDL: ?WSDL)")
    print(f"  REST API      {base}/v2")
    print(f"  Web pages     {base}/  (log in to see API Settings, Purchases, Sales)")
    print(f"  Username      {account.username}")
    print(f"  Password      {account.password}")
    print(f"  AutoAuth key  {account.settings.autoauth_key}")
    print(f"  Memorable word  {account.settings.memorable_word}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.close()


if __name__ == "__main__":
    main()
