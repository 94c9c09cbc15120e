#!/usr/bin/env python3
"""A raft-membership dialer, written from docs/wire-format.md alone.

  client.py join|leave|members --target HOST:PORT --id ID [--address A] [--role R]
            [--cluster NAME] [--secret S | --secret-file F] [--timeout SECONDS]
  client.py pipeline --target HOST:PORT --count N [--cluster NAME] [--secret S]

Prints one JSON line. Exit 0 success, 1 refusal, 2 timeout (the deadline passed).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import time

import rftm

MAX_HOPS = 8  # §8: "follow at most a bounded number of such hops per call"
MAX_RESTARTS = 8  # §7: members pages start again when the index changes; bounded too
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 1.0


class Refused(Exception):
    def __init__(self, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.code, self.extra = code, extra


class Retry(Exception):
    """A transient failure: back off and try again within the deadline."""


def exchange(sock: socket.socket, req: rftm.Request, deadline: rftm.Deadline) -> rftm.Response:
    sock.sendall(rftm.frame(req.to_map()))
    while True:
        payload = rftm.read_frame(sock, rftm.DEFAULT_MAX_FRAME, deadline)
        if rftm.peek_rid(payload) != req.rid:
            continue  # §9: ignore a response whose rid is not in flight
        return rftm.parse_response(payload, for_members=req.type == "members")


def new_rid() -> int:
    return random.randrange(rftm.MAX_RID + 1)


def members_pages(sock: socket.socket, deadline: rftm.Deadline) -> rftm.Response:
    """§7: follow every `next`; start again from 0 when the index changes."""
    for _ in range(MAX_RESTARTS):
        first = exchange(sock, rftm.Request("members", new_rid()), deadline)
        if not first.ok or first.next is None:
            return first
        members, resp = list(first.members or []), first
        while resp.next is not None:
            resp = exchange(sock, rftm.Request("members", new_rid(), offset=resp.next), deadline)
            if not resp.ok or resp.index != first.index:
                break
            members += resp.members or []
        if not resp.ok:
            return resp
        if resp.index == first.index:
            return rftm.ok(first.rid, first.index, members)
    raise rftm.ProtocolError("the configuration kept changing between pages")


def read_secret(args: argparse.Namespace) -> bytes | None:
    """§4: a text secret is its UTF-8 bytes; a secret file, its bytes less one trailing newline."""
    if args.secret is not None:
        return args.secret.encode("utf-8")
    if args.secret_file is None:
        return None
    with open(args.secret_file, "rb") as f:
        data = f.read()
    return data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data


def call(args: argparse.Namespace) -> dict:
    deadline = rftm.Deadline(args.timeout)
    cluster = args.cluster.encode("utf-8")
    secret = read_secret(args)
    target, hops, attempts, backoff = args.target, 0, 0, BACKOFF_FIRST_S
    last: str = "no attempt made"
    while not deadline.expired():
        attempts += 1
        try:
            sock = rftm.dial(target, rftm.CHANNEL_MEMBERSHIP, deadline, cluster, secret)
            try:
                if args.op == "members":
                    resp = members_pages(sock, deadline)
                else:
                    req = rftm.Request(args.op, new_rid(), args.id or "", args.address or "", args.role)
                    resp = exchange(sock, req, deadline)
            finally:
                sock.close()
            if resp.ok:
                out = {"ok": True, "op": args.op, "index": resp.index, "target": target,
                       "hops": hops, "attempts": attempts}
                if resp.members is not None:
                    out["members"] = resp.members
                return out
            last = f"{resp.code}: {resp.message}"
            if resp.code == rftm.DIFFERENT_LEADER:
                hops += 1
                if hops > MAX_HOPS:
                    raise Refused("too_many_redirects", last, target=target, hops=hops)
                target = resp.leader
                continue  # follow at once: no backoff for a known leader
            if resp.code not in rftm.RETRYABLE_CODES:
                raise Refused(resp.code, resp.message, target=target, hops=hops)
        except rftm.HandshakeRefused as e:
            last = f"handshake refused: {e.reason}"
            if not e.retryable:
                raise Refused("handshake_refused", last, reason=e.reason, target=target) from e
        except rftm.AuthenticationError as e:
            raise Refused("authentication", str(e), target=target) from e
        except rftm.PreambleError as e:  # §3: a broken reply: fail, don't retry
            raise Refused("bad_reply", str(e), target=target) from e
        except (rftm.ProtocolError, rftm.FrameClosed) as e:
            last = f"protocol error: {e}"  # §9: outcome unknown, as with timeout: retry
        except (OSError, EOFError) as e:  # includes socket.timeout
            last = f"{type(e).__name__}: {e}"
        time.sleep(max(0.0, min(backoff * (0.5 + random.random()), deadline.left())))
        backoff = min(backoff * 2, BACKOFF_MAX_S)
    raise TimeoutError(last)


def pipeline(args: argparse.Namespace) -> dict:
    """Send N leave requests in one write; check every response is matched by rid."""
    deadline = rftm.Deadline(args.timeout)
    cluster = args.cluster.encode("utf-8")
    secret = read_secret(args)
    n = args.count
    base = random.randrange(rftm.MAX_RID + 1 - n)
    rids = [base + i for i in range(n)]
    random.shuffle(rids)
    sock = rftm.dial(args.target, rftm.CHANNEL_MEMBERSHIP, deadline, cluster, secret)
    try:
        blob = b"".join(rftm.frame(rftm.Request("leave", r, f"pipe-{i}").to_map())
                        for i, r in enumerate(rids))
        sock.sendall(blob)
        pending, codes, order = set(rids), {}, []
        fb = rftm.FrameBuffer()
        while pending:
            left = deadline.left()
            if left <= 0:
                raise TimeoutError(f"{len(pending)} of {n} responses missing")
            sock.settimeout(left)
            data = sock.recv(65536)
            if not data:
                raise EOFError(f"closed with {len(pending)} of {n} responses missing")
            for payload in fb.feed(data):
                r = rftm.parse_response(payload)
                if r.rid not in pending:
                    raise rftm.ProtocolError(f"response for rid {r.rid} not in flight")
                pending.discard(r.rid)
                order.append(r.rid)
                key = "ok" if r.ok else r.code
                codes[key] = codes.get(key, 0) + 1
    finally:
        sock.close()
    return {"ok": True, "op": "pipeline", "count": n, "matched": len(order), "codes": codes,
            "in_order": order == rids}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="client.py")
    p.add_argument("op", choices=["join", "leave", "members", "pipeline"])
    p.add_argument("--target", required=True)
    p.add_argument("--id")
    p.add_argument("--address")
    p.add_argument("--role", default="voter", choices=["voter", "nonvoter"])
    p.add_argument("--cluster", default="")
    p.add_argument("--secret")
    p.add_argument("--secret-file")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds")
    p.add_argument("--count", type=int, default=100)
    args = p.parse_args(argv)
    if args.op in ("join", "leave") and not args.id:
        p.error("--id is required")
    if args.op == "join" and not args.address:
        p.error("--address is required for join")
    if not rftm.valid_address(args.target):
        p.error("--target must be host:port (docs/wire-format.md §7)")
    try:
        out = pipeline(args) if args.op == "pipeline" else call(args)
        code = 0
    except Refused as e:
        out = {"ok": False, "op": args.op, "code": e.code, "message": str(e), **e.extra}
        code = 1
    except TimeoutError as e:
        out = {"ok": False, "op": args.op, "code": "deadline", "message": str(e)}
        code = 2
    except (rftm.ProtocolError, rftm.FrameClosed, rftm.HandshakeRefused,
            rftm.AuthenticationError, OSError, EOFError) as e:  # pipeline mode only
        out = {"ok": False, "op": args.op, "code": type(e).__name__, "message": str(e)}
        code = 1
    print(json.dumps(out), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
