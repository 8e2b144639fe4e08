"""python -m mock_kashflow: run the mock KashFlow for people, with a demo account."""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import run_simple

from .app import create_app
from .models import Account
from .seed import seed_account

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mock_kashflow",
                                     description="A mock KashFlow SOAP API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--state", metavar="FILE",
                        help="keep accounts and documents in FILE across restarts")
    args = parser.parse_args(argv)

    app = create_app(state_file=args.state)
    backend = app.config["BACKEND"]
    account = backend.accounts.get(DEMO_USERNAME)
    if account is None:
        account = backend.add_account(
            seed_account(Account(DEMO_USERNAME, DEMO_PASSWORD), "demo", backend.next_dbid))

    base = f"http://{args.host}:{args.port}"
    print(f"Mock KashFlow on {base}", flush=True)
    print(f"  SOAP API      {base}/api/service.asmx  (WSDL: ?WSDL)")
    print(f"  Web pages     {base}/  (log in to see API Settings, Purchases, Sales)")
    print(f"  Username      {account.username}")
    print(f"  Password      {account.password}")
    print(f"  AutoAuth key  {account.settings.autoauth_key}")
    print("Press Ctrl-C to stop.", flush=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
