#!/usr/bin/env python3
"""A raft-membership acceptor, written from docs/wire-format.md alone.

Listens on 127.0.0.1, port 0, prints the port as its first stdout line. Holds an
in-memory configuration (itself as the first voter) and answers join / leave /
members; a raft-channel connection gets its bytes echoed back.

  server.py [--cluster NAME] [--secret S] [--follower-of HOST:PORT]
            [--unknown-leader N] [--no-members] [--max-frame BYTES]
            [--preamble-ms MS] [--idle-ms MS] [--max-conns N] [--id ID]
            [--index-base N] [--fill N]
"""

from __future__ import annotations

import argparse
import hmac
import os
import signal
import socket
import sys
import threading

import rftm


MAX_RESPONSE = 65536  # §7: no response payload is larger


class Config:
    """The raft configuration this server pretends to lead."""

    def __init__(self, self_id: str, self_address: str, index: int = 1) -> None:
        self.lock = threading.Lock()
        self.index = index
        self.members: dict[str, tuple[str, str]] = {self_id: (self_address, "voter")}

    def join(self, rid: int, ident: str, address: str, role: str) -> rftm.Response:
        with self.lock:
            for other, (addr, _) in self.members.items():
                if addr == address and other != ident:
                    return rftm.error(rid, rftm.REJECTED, f"address {address} in use by {other}")
            if self.members.get(ident) != (address, role):  # §8 leaves this to the raft: here it updates
                self.members[ident] = (address, role)
                self.index += 1
            return rftm.ok(rid, self.index)

    def leave(self, rid: int, ident: str) -> rftm.Response:
        with self.lock:
            if self.members.pop(ident, None) is not None:
                self.index += 1
            return rftm.ok(rid, self.index)  # leaving twice is a success (idempotent, §8)

    def list(self, rid: int, offset: int) -> rftm.Response:
        """One page from `offset` (§7): as many servers as fit 65536 bytes, then `next`."""
        with self.lock:
            ms = [{"id": i, "address": a, "role": r} for i, (a, r) in self.members.items()]
            index = self.index
        # the answer without servers, with room for the largest array header and next
        room = MAX_RESPONSE - len(rftm.packb(rftm.ok(rid, index, [], next=rftm.MAX_RID).to_map())) - 4
        page: list[dict] = []
        for m in ms[offset:]:
            size = len(rftm.packb(m))
            if page and size > room:
                break
            page.append(m)
            room -= size
        after = offset + len(page)
        return rftm.ok(rid, index, page, next=after if after < len(ms) else None)


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.cluster = args.cluster.encode("utf-8")
        self.secret = None if args.secret is None else args.secret.encode("utf-8")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.config = Config(args.id, f"127.0.0.1:{self.port}", args.index_base)
        self.conns = 0
        self.conns_lock = threading.Lock()
        self.unknown_leader_left = args.unknown_leader

    def serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.connection, args=(sock,), daemon=True).start()

    # ------------------------------------------------------------ preamble

    def connection(self, sock: socket.socket) -> None:
        with self.conns_lock:
            busy = self.conns >= self.args.max_conns
            if not busy:
                self.conns += 1
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if busy:  # §2: Busy may be sent before the hello is read
                return self.refuse(sock, rftm.BUSY, b"too many connections")
            channel = self.preamble(sock)
            if channel == rftm.CHANNEL_RAFT:
                self.echo(sock)
            elif channel == rftm.CHANNEL_MEMBERSHIP:
                self.membership(sock)
        except (OSError, EOFError):
            pass  # includes the preamble deadline: dropped without a reply (§5)
        finally:
            sock.close()
            if not busy:
                with self.conns_lock:
                    self.conns -= 1

    def preamble(self, sock: socket.socket) -> int | None:
        deadline = rftm.Deadline(self.args.preamble_ms / 1000)
        hello, status, reason = rftm.read_hello(sock, deadline)
        if status is not None:
            return self.refuse(sock, status, reason)
        if hello.cluster != self.cluster:
            return self.refuse(sock, rftm.WRONG_CLUSTER, b"wrong cluster")
        if self.secret is None:
            sock.sendall(rftm.build_reply(rftm.ACCEPTED))
            return hello.channel
        ns = os.urandom(rftm.NONCE_LEN)
        sock.sendall(rftm.build_reply(rftm.CHALLENGE, ns))
        answer = rftm.recv_exact(sock, rftm.AUTH_ANSWER_LEN, deadline)
        nc, proof = answer[:rftm.NONCE_LEN], answer[rftm.NONCE_LEN:]
        if not hmac.compare_digest(proof, rftm.proof_client(self.secret, hello.raw, ns, nc)):
            return self.refuse(sock, rftm.AUTH_FAILED, b"authentication failed")
        sock.sendall(rftm.build_reply(rftm.ACCEPTED, rftm.proof_server(self.secret, hello.raw, ns, nc)))
        return hello.channel

    def refuse(self, sock: socket.socket, status: int, reason: bytes) -> None:
        """Send a refusal, then half-close and discard what arrives (§3)."""
        sock.sendall(rftm.build_reply(status, reason))
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(1.0)
            while sock.recv(4096):
                pass
        except OSError:
            pass
        return None

    # ------------------------------------------------------------ channels

    def echo(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        while data := sock.recv(65536):
            sock.sendall(data)

    def membership(self, sock: socket.socket) -> None:
        idle = rftm.Deadline(0)
        while True:
            # requests are answered before the next is read: nothing stays in flight,
            # so the idle limit applies between frames
            idle.at = rftm.Deadline(self.args.idle_ms / 1000).at
            try:
                payload = rftm.read_frame(sock, self.args.max_frame, idle)
                req = rftm.parse_request(payload)
            except rftm.BadRequest as e:
                sock.sendall(rftm.frame(rftm.error(e.rid, rftm.BAD_REQUEST, str(e)).to_map()))
                continue
            except (rftm.ProtocolError, rftm.FrameClosed):
                return  # close without a response (§6, §9)
            sock.sendall(rftm.frame(self.answer(req).to_map()))

    def answer(self, req: rftm.Request) -> rftm.Response:
        if self.args.follower_of:
            return rftm.error(req.rid, rftm.DIFFERENT_LEADER, "not the leader", self.args.follower_of)
        with self.conns_lock:
            if self.unknown_leader_left > 0:
                self.unknown_leader_left -= 1
                return rftm.error(req.rid, rftm.UNKNOWN_LEADER, "leader unknown")
        if req.type == "join":
            return self.config.join(req.rid, req.id, req.address, req.role)
        if req.type == "leave":
            return self.config.leave(req.rid, req.id)
        if self.args.no_members:
            return rftm.error(req.rid, rftm.UNSUPPORTED, "no configuration")
        return self.config.list(req.rid, req.offset)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="server.py")
    p.add_argument("--cluster", default="")
    p.add_argument("--secret")
    p.add_argument("--follower-of")
    p.add_argument("--unknown-leader", type=int, default=0,
                   help="answer the first N requests unknown_leader")
    p.add_argument("--no-members", action="store_true")
    p.add_argument("--max-frame", type=int, default=rftm.DEFAULT_MAX_FRAME)
    p.add_argument("--preamble-ms", type=int, default=5000)
    p.add_argument("--idle-ms", type=int, default=60000)
    p.add_argument("--max-conns", type=int, default=1024)
    p.add_argument("--id", default="py-1")
    p.add_argument("--index-base", type=int, default=1,
                   help="the first configuration index (above 2^53-1 it breaks §7 on purpose, "
                        "to test a dialer against such a server)")
    p.add_argument("--fill", type=int, default=0,
                   help="start with N more servers (256-byte ids), so that members answers come in pages")
    args = p.parse_args(argv)
    if args.follower_of and not rftm.valid_address(args.follower_of):
        p.error("--follower-of must be host:port")
    server = Server(args)
    for n in range(args.fill):
        ident = f"fill-{n:05d}-" + "f" * 245
        server.config.members[ident] = (f"192.0.2.{n % 250 + 1}:{10000 + n}", "nonvoter")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(server.port, flush=True)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
