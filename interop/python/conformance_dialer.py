#!/usr/bin/env python3
"""client.py as a dialer under test of `raft-membership conformance client`.

Reads the call from the environment (the dialer contract of docs/conformance.md),
makes it with client.call, prints client.py's JSON line and exits 0 on success,
1 on a refusal, 2 at the deadline:

  raft-membership conformance client -- python3 interop/python/conformance_dialer.py
"""

from __future__ import annotations

import os
import sys

import client


def main() -> int:
    env = os.environ
    timeout_s = int(env["RFTM_CONFORMANCE_TIMEOUT_MS"]) / 1000
    argv = [env["RFTM_CONFORMANCE_OPERATION"], "--target", env["RFTM_CONFORMANCE_TARGET"],
            "--id", env["RFTM_CONFORMANCE_ID"], "--address", env["RFTM_CONFORMANCE_ADDRESS"],
            "--role", env["RFTM_CONFORMANCE_ROLE"], "--cluster", env.get("RFTM_CONFORMANCE_CLUSTER", ""),
            "--timeout", str(timeout_s)]
    if "RFTM_CONFORMANCE_SECRET_FILE" in env:
        argv += ["--secret-file", env["RFTM_CONFORMANCE_SECRET_FILE"]]
    if "RFTM_CONFORMANCE_TLS_CA" in env:
        print("this dialer does not speak TLS", file=sys.stderr)
        return 3
    return client.main(argv)


if __name__ == "__main__":
    sys.exit(main())
