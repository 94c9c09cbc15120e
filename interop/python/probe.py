#!/usr/bin/env python3
"""Sends the edge cases docs/wire-format.md leaves open (or states) to a server, one
connection each, and prints one JSON object: case name -> what the server did.

  probe.py --target HOST:PORT [--cluster NAME] [--only CASE,...]

Outcomes: "reply:<status>[:<detail hex>]" for preamble cases; for frame cases
"ok", "<error code>", "closed" (closed without a response) or "silent" (nothing
within the wait). See interop/FINDINGS.md for what each case asks.
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import sys

import rftm

WAIT_S = 1.5


def m(**kv):  # a request map with the keys in the given order
    return kv


def raw(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def enc(value) -> bytes:
    return raw(rftm.packb(value))


_port = iter(range(7101, 8000))


def join(rid=1, **extra):
    """A join from its own id and address, so no case collides with another."""
    port = next(_port)
    base = {"type": "join", "rid": rid, "id": f"p{port}", "address": f"127.0.0.1:{port}"}
    base.update(extra)
    return base


def kv_payload(pairs: list[bytes]) -> bytes:
    """A map from already-encoded key/value byte strings (for non-standard encodings)."""
    return bytes((0x80 | len(pairs) // 2,)) + b"".join(pairs)


S = rftm.packb  # shorthand: encode one value


def nested(depth: int) -> bytes:
    """`depth` levels of fixarray around a 0 (the array levels only)."""
    return b"\x91" * depth + b"\x00"


FRAME_CASES: dict[str, bytes] = {
    "members": enc({"type": "members", "rid": 1}),
    "rid-int8-positive": raw(kv_payload([S("type"), S("members"), S("rid"), b"\xd0\x05"])),
    "rid-int64": raw(kv_payload([S("type"), S("members"), S("rid"), b"\xd3" + (5).to_bytes(8, "big")])),
    "rid-uint64-max-uint32": raw(kv_payload([S("type"), S("members"), S("rid"), b"\xcf" + (2**32 - 1).to_bytes(8, "big")])),
    "rid-2^32": enc({"type": "members", "rid": 2**32}),
    "rid-negative": enc({"type": "members", "rid": -1}),
    "rid-float": raw(kv_payload([S("type"), S("members"), S("rid"), b"\xcb" + struct.pack(">d", 1.0)])),
    "rid-float-1.5": raw(kv_payload([S("type"), S("members"), S("rid"), b"\xcb" + struct.pack(">d", 1.5)])),
    "rid-missing": enc({"type": "members"}),
    "rid-string": enc({"type": "members", "rid": "1"}),
    "not-a-map": enc([1, 2]),
    "trailing-byte": raw(rftm.packb({"type": "members", "rid": 1}) + b"\xc0"),
    "type-unknown": enc({"type": "ping", "rid": 1}),
    "type-missing": enc({"rid": 1}),
    "join-ok": enc(join()),
    "join-role-nil": enc(join(role=None)),
    "join-role-Voter": enc(join(role="Voter")),
    "join-id-empty": enc(join(id="")),
    "join-id-256-bytes": enc(join(id="é" * 128)),
    "join-id-257-bytes": enc(join(id="é" * 128 + "x")),
    "join-id-newline-nul": enc(join(id="a\nb\x00")),
    "join-id-invalid-utf8": raw(kv_payload([S("type"), S("leave"), S("rid"), S(1), S("id"), b"\xa2p\xff"])),
    "join-id-as-bin": enc(join(id=b"p1")),
    "join-addr-ipv4-octet-256": enc(join(address="10.0.0.256:7000")),
    "join-addr-ipv4-leading-zero": enc(join(address="010.0.0.1:7000")),
    "join-addr-port-leading-zero": enc(join(address="10.0.0.1:07000")),
    "join-addr-port-0": enc(join(address="10.0.0.1:0")),
    "join-addr-port-65536": enc(join(address="10.0.0.1:65536")),
    "join-addr-ipv6-zone": enc(join(address="[fe80::1%eth0]:7000")),
    "join-addr-ipv6-v4mapped": enc(join(address="[::ffff:10.0.0.1]:7000")),
    "join-addr-ipv6-unbracketed": enc(join(address="fd00::3:7000")),
    "join-addr-dns-underscore-final-dot": enc(join(address="a_b.example.:7000")),
    "join-addr-dns-leading-hyphen": enc(join(address="-a.example:7000")),
    "join-addr-dns-trailing-hyphen": enc(join(address="a-.example:7000")),
    "join-addr-dns-label-63": enc(join(address="a" * 63 + ".x:7000")),
    "join-addr-dns-label-64": enc(join(address="a" * 64 + ".x:7000")),
    "join-addr-dns-253": enc(join(address=".".join(["a" * 49] * 5) + ".abc:7000")),
    "join-addr-dns-254": enc(join(address=".".join(["a" * 49] * 5) + ".abcd:7000")),
    "join-addr-dns-253-plus-dot": enc(join(address=".".join(["a" * 49] * 5) + ".abc.:7000")),
    "join-addr-all-numeric-dns": enc(join(address="123:7000")),
    "join-addr-empty-host": enc(join(address=":7000")),
    "unknown-key-float": enc(join(zone=1.5)),
    "unknown-key-float32": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xca" + struct.pack(">f", 1.5)])),
    "unknown-key-ext": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xd4\x01\x00"])),
    # extension types a MessagePack library may know (msgpackr: undefined, BigInt, typed array)
    "unknown-key-ext-0": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xd4\x00\x00"])),
    "unknown-key-ext-0x42": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xd4\x42\x01"])),
    "unknown-key-ext-0x74": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xd5\x74\x01\x01"])),
    "ext-as-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), b"\xd4\x01\x00", S("x")])),
    "unknown-key-bin-with-c1": enc({"type": "members", "rid": 1, "x": b"\xc1"}),
    "unknown-key-uint8-193": enc({"type": "members", "rid": 1, "x": 193}),
    "unknown-key-invalid-utf8": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xa1\xff"])),
    "c1-as-value": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), b"\xc1"])),
    "int-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S(7), S("x")])),
    "bin-key-rid": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), b"\xc4\x03rid", S(2)])),
    "map-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S({"x": 1}), S("x")])),
    "nil-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), b"\xc0", S("x")])),
    "duplicate-rid-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("rid"), S(2)])),
    "duplicate-type-key": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("type"), S("ping")])),
    # the top-level map is one level; the value under "x" adds `n` array levels
    "depth-31-below-map": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), nested(31)])),
    "depth-32-below-map": raw(kv_payload([S("type"), S("members"), S("rid"), S(1), S("x"), nested(32)])),
    "members-with-extra-id": enc({"type": "members", "rid": 1, "id": 5}),
    "frame-65536": enc({"type": "members", "rid": 1, "pad": "x" * (65536 - 26)}),
    "frame-65537-header-only": struct.pack(">I", 65537),
    "frame-empty": struct.pack(">I", 0),
    "map16-small": raw(b"\xde\x00\x02" + S("type") + S("members") + S("rid") + S(1)),
    "str8-short-key": raw(b"\x82" + b"\xd9\x04type" + S("members") + b"\xd9\x03rid" + S(1)),
}

PREAMBLE_CASES: dict[str, bytes] = {
    "hello-ok": rftm.build_hello(1),
    "hello-version-2": rftm.build_hello(1, version=2),
    "hello-version-0": rftm.build_hello(1, version=0),
    "hello-flags-1": rftm.build_hello(1, flags=1),
    "hello-version-2-flags-1": rftm.build_hello(1, version=2, flags=1),
    "hello-channel-3": rftm.build_hello(3),
    "hello-channel-0": rftm.build_hello(0),
    "hello-channel-3-named": rftm.build_hello(3, b"other"),
    "hello-bad-utf8-name": rftm.build_hello(1, b"\xff"),
    "hello-bad-magic-first-byte": b"X",
    "hello-named": rftm.build_hello(1, b"prod"),
}


def run_preamble(target: str, hello: bytes) -> str:
    host, port = rftm.split_address(target)
    with socket.create_connection((host, port), timeout=WAIT_S) as s:
        s.sendall(hello)
        try:
            status, detail = rftm.read_reply(s, rftm.Deadline(WAIT_S))
        except (socket.timeout, TimeoutError):
            return "silent"
        except (EOFError, ConnectionError):
            return "closed"
        name = rftm.STATUS_NAMES.get(status, hex(status))
        if status in (rftm.UNSUPPORTED_VERSION, rftm.CHALLENGE):
            return f"reply:{name}:{detail.hex()}"
        return f"reply:{name}"


def run_frame(target: str, cluster: bytes, data: bytes) -> str:
    s = rftm.dial(target, rftm.CHANNEL_MEMBERSHIP, rftm.Deadline(WAIT_S), cluster)
    with s:
        s.sendall(data)
        try:
            payload = rftm.read_frame(s, 1 << 20, rftm.Deadline(WAIT_S))
        except (socket.timeout, TimeoutError):
            return "silent"
        except (EOFError, ConnectionError):
            return "closed"
        v = rftm.unpackb(payload)
        rid = "" if v.get("rid") == 1 else f":rid={v.get('rid')}"
        if v.get("ok") is True:
            return "ok" + rid
        return str(v.get("code")) + rid


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="probe.py")
    p.add_argument("--target", required=True)
    p.add_argument("--cluster", default="")
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    out: dict[str, str] = {}
    for name, hello in PREAMBLE_CASES.items():
        if not only or name in only:
            out[name] = run_preamble(args.target, hello)
    for name, data in FRAME_CASES.items():
        if not only or name in only:
            out[name] = run_frame(args.target, args.cluster.encode(), data)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
