"""``python -m flowcps_reward --dsn DSN --reward align=my_module:score``: serve rewards until SIGTERM."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import socket
import sys

from .worker import RewardWorker


def load_scorer(spec: str):
    """``module:function`` -> the function (a factory called with no arguments when ``module:function()``)."""
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise SystemExit(f"error: scorer {spec!r} must be module:function")
    call = attr.endswith("()")
    target = getattr(importlib.import_module(module), attr[:-2] if call else attr)
    return target() if call else target


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="flowcps-reward", description=__doc__)
    p.add_argument("--dsn", default=os.environ.get("FLOWCPS_REWARD_DSN"),
                   help="libpq connection string for the flowcps_reward_worker role (default: $FLOWCPS_REWARD_DSN)")
    p.add_argument("--reward", action="append", required=True, metavar="NAME=MODULE:FUNCTION",
                   help="a reward to serve and its scoring function (repeatable)")
    p.add_argument("--name", default=f"{socket.gethostname()}-{os.getpid()}", help="worker name in leases (no ':')")
    p.add_argument("--lease-seconds", type=float, default=60)
    p.add_argument("--exit-when-idle", action="store_true", help="stop when no job is claimable")
    a = p.parse_args(argv)
    if not a.dsn:
        p.error("give --dsn or set FLOWCPS_REWARD_DSN")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rewards = {}
    for item in a.reward:
        name, eq, spec = item.partition("=")
        if not eq:
            p.error(f"--reward {item!r} must be NAME=MODULE:FUNCTION")
        rewards[name] = load_scorer(spec)
    worker = RewardWorker(a.dsn, rewards, name=a.name, lease_seconds=a.lease_seconds)
    worker.serve(exit_when_idle=a.exit_when_idle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
