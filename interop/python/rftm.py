"""raft-membership wire format, version 1, written from docs/wire-format.md alone.

Dependency-free (Python 3.11 standard library). Section numbers (§n) refer to
that document. The first version had to guess at 20 edges the document left
open (interop/FINDINGS.md); the document now settles them, and the code
follows it. Where it leaves a reader a choice (a MAY: floats for integers,
invalid UTF-8), this reader takes the strict one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------- constants

MAGIC = b"RFTM"
VERSION = 1
CHANNEL_MEMBERSHIP = 1
CHANNEL_RAFT = 2

# §3 reply statuses
ACCEPTED = 0x00
CHALLENGE = 0x01
BAD_PREAMBLE = 0x10
UNSUPPORTED_VERSION = 0x11
UNKNOWN_CHANNEL = 0x12
WRONG_CLUSTER = 0x13
AUTH_FAILED = 0x14
BUSY = 0x15
SHUTTING_DOWN = 0x16

STATUS_NAMES = {
    ACCEPTED: "accepted",
    CHALLENGE: "challenge",
    BAD_PREAMBLE: "bad_preamble",
    UNSUPPORTED_VERSION: "unsupported_version",
    UNKNOWN_CHANNEL: "unknown_channel",
    WRONG_CLUSTER: "wrong_cluster",
    AUTH_FAILED: "auth_failed",
    BUSY: "busy",
    SHUTTING_DOWN: "shutting_down",
}

NONCE_LEN = 32
PROOF_LEN = 32
AUTH_ANSWER_LEN = NONCE_LEN + PROOF_LEN
LABEL_CLIENT = b"raft-membership v1 client"
LABEL_SERVER = b"raft-membership v1 server"

DEFAULT_MAX_FRAME = 65536
DEFAULT_PREAMBLE_DEADLINE_S = 5.0
MAX_DEPTH = 32  # §6: maps and arrays inside one another, the outer map is level 1
MAX_RID = 0xFFFFFFFF
MAX_ID_BYTES = 256

# §8 error codes
DIFFERENT_LEADER = "different_leader"
UNKNOWN_LEADER = "unknown_leader"
TIMEOUT = "timeout"
BAD_REQUEST = "bad_request"
UNSUPPORTED_ROLE = "unsupported_role"
REJECTED = "rejected"
UNSUPPORTED = "unsupported"
SHUTTING_DOWN_CODE = "shutting_down"
INTERNAL = "internal"
KNOWN_CODES = {
    DIFFERENT_LEADER, UNKNOWN_LEADER, TIMEOUT, BAD_REQUEST, UNSUPPORTED_ROLE,
    REJECTED, UNSUPPORTED, SHUTTING_DOWN_CODE, INTERNAL,
}
RETRYABLE_CODES = {UNKNOWN_LEADER, TIMEOUT, SHUTTING_DOWN_CODE}


class ProtocolError(Exception):
    """The peer broke the protocol: close the connection (§3, §9)."""


class DecodeError(ProtocolError):
    """A payload that is not exactly one plain MessagePack value (§6)."""


class PreambleError(ProtocolError):
    """A reply the dialer must refuse (§3): it closes and fails, without retrying."""


# ---------------------------------------------------------------- MessagePack subset


class Ext:
    """Placeholder so the encoder can be told to write an extension (tests only)."""

    def __init__(self, type_: int, data: bytes) -> None:
        self.type, self.data = type_, data


def packb(value: Any) -> bytes:
    """Encode in the smallest forms, as §6 says the library's writer does."""
    out = bytearray()
    _pack(value, out)
    return bytes(out)


def _pack(v: Any, out: bytearray) -> None:
    if v is None:
        out.append(0xC0)
    elif v is True:
        out.append(0xC3)
    elif v is False:
        out.append(0xC2)
    elif isinstance(v, int):
        _pack_int(v, out)
    elif isinstance(v, float):
        out.append(0xCB)
        out += struct.pack(">d", v)
    elif isinstance(v, str):
        b = v.encode("utf-8")
        n = len(b)
        if n < 32:
            out.append(0xA0 | n)
        elif n < 0x100:
            out += bytes((0xD9, n))
        elif n < 0x10000:
            out += b"\xda" + struct.pack(">H", n)
        else:
            out += b"\xdb" + struct.pack(">I", n)
        out += b
    elif isinstance(v, (bytes, bytearray)):
        n = len(v)
        if n < 0x100:
            out += bytes((0xC4, n))
        elif n < 0x10000:
            out += b"\xc5" + struct.pack(">H", n)
        else:
            out += b"\xc6" + struct.pack(">I", n)
        out += v
    elif isinstance(v, (list, tuple)):
        n = len(v)
        if n < 16:
            out.append(0x90 | n)
        elif n < 0x10000:
            out += b"\xdc" + struct.pack(">H", n)
        else:
            out += b"\xdd" + struct.pack(">I", n)
        for x in v:
            _pack(x, out)
    elif isinstance(v, dict):
        n = len(v)
        if n < 16:
            out.append(0x80 | n)
        elif n < 0x10000:
            out += b"\xde" + struct.pack(">H", n)
        else:
            out += b"\xdf" + struct.pack(">I", n)
        for k, x in v.items():
            _pack(k, out)
            _pack(x, out)
    elif isinstance(v, Ext):
        out += bytes((0xC7, len(v.data), v.type & 0xFF)) + v.data
    else:
        raise TypeError(f"cannot encode {type(v).__name__}")


def _pack_int(v: int, out: bytearray) -> None:
    if 0 <= v < 0x80:
        out.append(v)
    elif v >= 0:
        if v < 0x100:
            out += bytes((0xCC, v))
        elif v < 0x10000:
            out += b"\xcd" + struct.pack(">H", v)
        elif v < 0x100000000:
            out += b"\xce" + struct.pack(">I", v)
        elif v < 0x10000000000000000:
            out += b"\xcf" + struct.pack(">Q", v)
        else:
            raise OverflowError("integer too large for MessagePack")
    elif v >= -32:
        out.append(v & 0xFF)
    elif v >= -0x80:
        out += b"\xd0" + struct.pack(">b", v)
    elif v >= -0x8000:
        out += b"\xd1" + struct.pack(">h", v)
    elif v >= -0x80000000:
        out += b"\xd2" + struct.pack(">i", v)
    elif v >= -0x8000000000000000:
        out += b"\xd3" + struct.pack(">q", v)
    else:
        raise OverflowError("integer too small for MessagePack")


_EXT_TYPES = {0xC7, 0xC8, 0xC9, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8}


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.buf):
            raise DecodeError("truncated MessagePack value")
        b = self.buf[self.pos:end]
        self.pos = end
        return b

    def u(self, fmt: str, n: int) -> int:
        return struct.unpack(fmt, self.take(n))[0]


# Fixed-size numbers: type byte -> struct format (big-endian).
_NUMBERS = {
    0xCA: ">f", 0xCB: ">d",
    0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q",
    0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
}

# Values whose length (or element count) follows the type byte: format of
# that length, and what follows it.
_LENGTH_PREFIXED = {
    0xC4: (">B", "bin"), 0xC5: (">H", "bin"), 0xC6: (">I", "bin"),
    0xD9: (">B", "str"), 0xDA: (">H", "str"), 0xDB: (">I", "str"),
    0xDC: (">H", "array"), 0xDD: (">I", "array"),
    0xDE: (">H", "map"), 0xDF: (">I", "map"),
}


def unpackb(payload: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode exactly one value; refuse trailing bytes, extensions, 0xc1, deep nesting."""
    r = _Reader(bytes(payload))
    v = _unpack(r, 1, max_depth)
    if r.pos != len(r.buf):
        raise DecodeError("bytes after the one MessagePack value")
    return v


def _unpack(r: _Reader, depth: int, max_depth: int) -> Any:
    """`depth`: the maps and arrays around this value, plus one (§6: scalars are no level)."""
    b = r.take(1)[0]
    if b <= 0x7F:
        return b
    if b >= 0xE0:
        return b - 0x100
    if 0x80 <= b <= 0x8F:
        return _unpack_map(r, b & 0x0F, depth, max_depth)
    if 0x90 <= b <= 0x9F:
        return _unpack_array(r, b & 0x0F, depth, max_depth)
    if 0xA0 <= b <= 0xBF:
        return _str(r.take(b & 0x1F))
    if b == 0xC0:
        return None
    if b == 0xC2:
        return False
    if b == 0xC3:
        return True
    if b in _NUMBERS:
        fmt = _NUMBERS[b]
        return r.u(fmt, struct.calcsize(fmt))
    if b in _LENGTH_PREFIXED:
        fmt, kind = _LENGTH_PREFIXED[b]
        n = r.u(fmt, struct.calcsize(fmt))
        if kind == "bin":
            return bytes(r.take(n))
        if kind == "str":
            return _str(r.take(n))
        if kind == "array":
            return _unpack_array(r, n, depth, max_depth)
        return _unpack_map(r, n, depth, max_depth)
    if b in _EXT_TYPES:
        raise DecodeError("extension types are not plain MessagePack")
    raise DecodeError(f"byte {b:#04x} is never used by MessagePack")  # 0xc1


def _str(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        # §6 lets a reader choose: this one treats the payload as invalid
        raise DecodeError("string is not valid UTF-8") from e


def _unpack_array(r: _Reader, n: int, depth: int, max_depth: int) -> list:
    if depth > max_depth:
        raise DecodeError("nested too deep")
    if n > len(r.buf) - r.pos:  # each element is at least one byte
        raise DecodeError("truncated array")
    return [_unpack(r, depth + 1, max_depth) for _ in range(n)]


def _unpack_map(r: _Reader, n: int, depth: int, max_depth: int) -> dict:
    if depth > max_depth:
        raise DecodeError("nested too deep")
    if 2 * n > len(r.buf) - r.pos:
        raise DecodeError("truncated map")
    m: dict = {}
    for _ in range(n):
        k = _unpack(r, depth + 1, max_depth)
        v = _unpack(r, depth + 1, max_depth)
        if isinstance(k, (list, dict)):
            k = _Unhashable()  # a key nobody knows: ignored (§7)
        m[k] = v  # §6: a repeated key: the last one wins
    return m


class _Unhashable:
    """Stands in for a map or array used as a key: never equal to a known key."""


# ---------------------------------------------------------------- preamble (§2–§4)


def build_hello(channel: int, cluster: bytes = b"", version: int = VERSION, flags: int = 0) -> bytes:
    if len(cluster) > 255:
        raise ValueError("cluster name longer than 255 bytes")
    return MAGIC + bytes((version, channel, flags, len(cluster))) + cluster


def build_reply(status: int, detail: bytes = b"") -> bytes:
    if len(detail) > 255:
        detail = detail[:255]
    return bytes((status, len(detail))) + detail


def proof_client(key: bytes, hello: bytes, ns: bytes, nc: bytes) -> bytes:
    return hmac.new(key, LABEL_CLIENT + hello + ns + nc, hashlib.sha256).digest()


def proof_server(key: bytes, hello: bytes, ns: bytes, nc: bytes) -> bytes:
    return hmac.new(key, LABEL_SERVER + hello + ns + nc, hashlib.sha256).digest()


def auth_answer(key: bytes, hello: bytes, ns: bytes, nc: bytes | None = None) -> tuple[bytes, bytes]:
    """Returns (answer bytes, nc)."""
    nc = os.urandom(NONCE_LEN) if nc is None else nc
    return nc + proof_client(key, hello, ns, nc), nc


@dataclass
class Hello:
    raw: bytes
    version: int
    channel: int
    flags: int
    cluster: bytes


class HandshakeRefused(Exception):
    """A reply other than Accepted/Challenge (§3): `reason` is the status name."""

    def __init__(self, status: int, detail: bytes) -> None:
        self.status, self.detail = status, detail
        self.reason = STATUS_NAMES.get(status, f"status_{status:#04x}")
        super().__init__(f"handshake refused: {self.reason}")

    @property
    def retryable(self) -> bool:
        return self.status in (BUSY, SHUTTING_DOWN)


class AuthenticationError(Exception):
    pass


# ---------------------------------------------------------------- blocking socket helpers


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.left() <= 0


def recv_exact(sock: socket.socket, n: int, deadline: Deadline | None = None) -> bytes:
    """Read exactly n bytes; socket.timeout when the deadline passes, EOFError on close."""
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline.left()
            if left <= 0:
                raise socket.timeout("deadline passed")
            sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_reply(sock: socket.socket, deadline: Deadline | None) -> tuple[int, bytes]:
    status, d = recv_exact(sock, 2, deadline)
    detail = recv_exact(sock, d, deadline) if d else b""
    return status, detail


def dial(
    target: str,
    channel: int,
    deadline: Deadline,
    cluster: bytes = b"",
    secret: bytes | None = None,
    version: int = VERSION,
) -> socket.socket:
    """Open a connection and run the dialer's side of the preamble (§1–§4).

    Raises HandshakeRefused, AuthenticationError, ProtocolError, OSError / socket.timeout.
    """
    host, port = split_address(target)
    left = deadline.left()
    if left <= 0:
        raise socket.timeout("deadline passed before dialing")
    sock = socket.create_connection((host, port), timeout=left)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        hello = build_hello(channel, cluster, version)
        sock.sendall(hello)
        status, detail = read_reply(sock, deadline)
        if status == ACCEPTED:
            if detail:
                raise PreambleError("Accepted to a hello must have an empty detail")
            if secret is not None:
                raise AuthenticationError("server accepted without proving it knows the secret")
            return sock
        if status == CHALLENGE:
            if len(detail) != NONCE_LEN:
                raise PreambleError("Challenge detail must be 32 bytes")
            if secret is None:
                raise AuthenticationError("server requires a secret")
            ns = detail
            answer, nc = auth_answer(secret, hello, ns)
            sock.sendall(answer)
            status, detail = read_reply(sock, deadline)
            if status == ACCEPTED:
                if len(detail) != PROOF_LEN:
                    raise PreambleError("Accepted after auth must carry a 32-byte proof")
                if not hmac.compare_digest(detail, proof_server(secret, hello, ns, nc)):
                    raise AuthenticationError("server proof does not match")
                return sock
            if status == CHALLENGE:
                raise PreambleError("a second Challenge")
        if status == AUTH_FAILED:
            raise AuthenticationError("server refused the secret")
        _refuse(status, detail)
        raise AssertionError("unreachable")
    except BaseException:
        sock.close()
        raise


def _refuse(status: int, detail: bytes) -> None:
    if status not in STATUS_NAMES or status in (ACCEPTED, CHALLENGE):
        raise PreambleError(f"unknown reply status {status:#04x}")
    if status == UNSUPPORTED_VERSION and len(detail) != 1:
        # §3: 0 or 2 bytes is a broken reply, never read from its first byte
        raise PreambleError("UnsupportedVersion detail must be 1 byte")
    raise HandshakeRefused(status, detail)


def read_hello(sock: socket.socket, deadline: Deadline) -> tuple[Hello | None, int | None, bytes]:
    """Server side: read a hello, judging it in the order of §2's table.

    Returns (hello, None, b"") when checks 1–5 pass, else (hello or None, status, reason).
    The magic is read one byte at a time so a wrong byte is refused at once (§2 row 1).
    """
    got = bytearray()
    for expected in MAGIC:
        b = recv_exact(sock, 1, deadline)
        got += b
        if b[0] != expected:
            return None, BAD_PREAMBLE, b"not a raft-membership hello"
    head = recv_exact(sock, 4, deadline)
    version, channel, flags, n = head
    name = recv_exact(sock, n, deadline) if n else b""
    hello = Hello(bytes(got) + head + name, version, channel, flags, name)
    if version != VERSION:
        return hello, UNSUPPORTED_VERSION, bytes((VERSION,))
    if flags != 0:
        return hello, BAD_PREAMBLE, b"flags must be 0"
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return hello, BAD_PREAMBLE, b"cluster name is not UTF-8"
    if channel not in (CHANNEL_MEMBERSHIP, CHANNEL_RAFT):
        return hello, UNKNOWN_CHANNEL, b"unknown channel"
    return hello, None, b""


# ---------------------------------------------------------------- frames (§6)


def frame(value: Any) -> bytes:
    payload = packb(value)
    return struct.pack(">I", len(payload)) + payload


class FrameClosed(Exception):
    """The reader must close the connection without a response (§6, §9)."""


def read_frame(sock: socket.socket, max_frame: int = DEFAULT_MAX_FRAME,
               deadline: Deadline | None = None) -> bytes:
    """Read one frame's payload. Refuses L = 0 or L > max from the header alone."""
    (n,) = struct.unpack(">I", recv_exact(sock, 4, deadline))
    if n == 0:
        raise FrameClosed("empty frame")
    if n > max_frame:
        raise FrameClosed(f"frame of {n} bytes exceeds {max_frame}")
    return recv_exact(sock, n, deadline)


class FrameBuffer:
    """Incremental frame splitter for non-blocking readers (the pipelining client)."""

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.buf = bytearray()
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">I", self.buf[:4])
            if n == 0 or n > self.max_frame:
                raise FrameClosed(f"bad frame length {n}")
            if len(self.buf) < 4 + n:
                break
            out.append(bytes(self.buf[4:4 + n]))
            del self.buf[:4 + n]
        return out


# ---------------------------------------------------------------- addresses and ids (§7)

_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_DIGITS_AND_DOTS = re.compile(r"^[0-9.]*[0-9][0-9.]*$")
_ZONE = re.compile(r"^[0-9A-Za-z.:-]{1,64}$")  # §7: zone = 1*64( letter / digit / "-" / "." / ":" )


def split_address(addr: str) -> tuple[str, int]:
    """Split a valid §7 address into (host, port); ValueError if invalid."""
    if not valid_address(addr):
        raise ValueError(f"invalid address {addr!r}")
    host, _, port = addr.rpartition(":")
    if host.startswith("["):
        host = host[1:-1]
    return host, int(port)


def valid_address(addr: Any) -> bool:
    if not isinstance(addr, str):
        return False
    host, sep, port = addr.rpartition(":")
    if not sep or not _PORT.match(port) or not 1 <= int(port) <= 65535:
        return False
    if host.startswith("[") and host.endswith("]"):
        ip, pct, zone = host[1:-1].partition("%")  # §7: an optional zone id
        if pct and not _ZONE.match(zone):
            return False
        try:
            ipaddress.IPv6Address(ip)
        except ValueError:
            return False
        return True
    if _DIGITS_AND_DOTS.match(host):
        # §7: only digits and dots is an IPv4 address (0–255, no leading zeros)
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253:  # §7: the final dot is not counted
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def valid_id(v: Any) -> bool:
    return isinstance(v, str) and 0 < len(v.encode("utf-8")) <= MAX_ID_BYTES


def valid_rid(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_RID


MAX_INDEX = 2 ** 53 - 1  # §7


def valid_index(v: Any) -> bool:
    """An index a success can carry (§7): an integer 0 … 2^53-1."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INDEX


# ---------------------------------------------------------------- messages (§7)


@dataclass
class Request:
    type: str
    rid: int
    id: str = ""
    address: str = ""
    role: str = "voter"
    offset: int = 0  # members only: the first server wanted (§7, pages)

    def to_map(self) -> dict:
        m: dict = {"type": self.type, "rid": self.rid}
        if self.type == "members" and self.offset:
            m["offset"] = self.offset
        if self.type in ("join", "leave"):
            m["id"] = self.id
        if self.type == "join":
            m["address"] = self.address
            m["role"] = self.role
        return m


class BadRequest(Exception):
    """Answer `bad_request` with this rid; the connection stays open (§9)."""

    def __init__(self, rid: int, message: str) -> None:
        self.rid = rid
        super().__init__(message)


def parse_request(payload: bytes) -> Request:
    """Server side. Raises DecodeError/ProtocolError (close) or BadRequest (answer)."""
    v = unpackb(payload)
    if not isinstance(v, dict):
        raise ProtocolError("payload is not a map")
    rid = v.get("rid")
    if not valid_rid(rid):
        raise ProtocolError("map without a valid rid")
    t = v.get("type")
    if t == "members":
        offset = v.get("offset")
        if offset is None:  # §7: nil is absent, absent is 0
            offset = 0
        if not valid_rid(offset):  # the same range as a rid: uint32
            raise BadRequest(rid, "offset must be an integer from 0 to 4294967295")
        return Request("members", rid, offset=offset)
    if t not in ("join", "leave"):
        raise BadRequest(rid, "type must be join, leave or members")
    ident = v.get("id")
    if not valid_id(ident):
        raise BadRequest(rid, "id must be a non-empty string of at most 256 bytes")
    if t == "leave":
        return Request("leave", rid, ident)
    address = v.get("address")
    if not valid_address(address):
        raise BadRequest(rid, "address must be host:port")
    role = v.get("role")
    if role is None:  # §7: nil is absent, and absent is a voter
        role = "voter"
    if role not in ("voter", "nonvoter"):
        raise BadRequest(rid, "role must be voter or nonvoter")
    return Request("join", rid, ident, address, role)


@dataclass
class Response:
    rid: int
    ok: bool
    index: int | None = None
    members: list[dict] | None = None
    code: str = ""
    message: str = ""
    leader: str | None = None
    next: int | None = None  # members only: more servers follow from here (§7)

    def to_map(self) -> dict:
        m: dict = {"rid": self.rid, "ok": self.ok}
        if self.ok:
            if self.index is not None:
                m["index"] = self.index
            if self.members is not None:
                m["members"] = self.members
                if self.next is not None:
                    m["next"] = self.next
        else:
            m["code"] = self.code
            # §7: at most 512 bytes of UTF-8, cut at a character boundary
            m["message"] = self.message.encode("utf-8")[:512].decode("utf-8", "ignore")
            if self.code == DIFFERENT_LEADER and self.leader is not None:
                m["leader"] = self.leader
        return m


def ok(rid: int, index: int | None = None, members: list[dict] | None = None,
       next: int | None = None) -> Response:
    return Response(rid, True, index, members, next=next)


def error(rid: int, code: str, message: str, leader: str | None = None) -> Response:
    return Response(rid, False, code=code, message=message, leader=leader)


def peek_rid(payload: bytes) -> int:
    """The rid of a response, to match it before full checks. A payload that is not
    a map with a valid rid cannot be decoded: ProtocolError (§9: close the connection)."""
    v = unpackb(payload)
    if isinstance(v, dict) and valid_rid(v.get("rid")):
        return v["rid"]
    raise ProtocolError("response is not a map with a valid rid")


def parse_response(payload: bytes, for_members: bool = False) -> Response:
    """Dialer side. Raises DecodeError/ProtocolError for a response it cannot decode."""
    v = unpackb(payload)
    if not isinstance(v, dict):
        raise ProtocolError("response is not a map")
    rid, okv = v.get("rid"), v.get("ok")
    if not valid_rid(rid) or not isinstance(okv, bool):
        raise ProtocolError("response without a valid rid and ok")
    if okv:
        index = v.get("index")
        if not valid_index(index):
            # §7: a fraction, a string, a negative number or one past 2^53-1 from a
            # server that breaks the rule: a success all the same, without an index
            index = None
        members = None
        if for_members:
            raw = v.get("members")
            if not isinstance(raw, list):
                raise ProtocolError("members response without a members array")
            members = []
            for e in raw:
                if not isinstance(e, dict):
                    raise ProtocolError("members entry is not a map")
                role = e.get("role")
                if role is None:  # §7: optional, nil is absent, default voter
                    role = "voter"
                if not valid_id(e.get("id")) or not valid_address(e.get("address")) \
                        or role not in ("voter", "nonvoter"):
                    raise ProtocolError("invalid members entry")
                members.append({"id": e["id"], "address": e["address"], "role": role})
            nxt = v.get("next")
            if nxt is not None and not valid_rid(nxt):  # uint32, like a rid
                raise ProtocolError("next must be an integer from 0 to 4294967295")
            return Response(rid, True, index, members, next=nxt)
        return Response(rid, True, index, members)
    code = v.get("code")
    if not isinstance(code, str) or not code:
        raise ProtocolError("error response without a code")
    message = v.get("message")
    if message is None:  # §7: optional, empty when absent
        message = ""
    if not isinstance(message, str):
        raise ProtocolError("message must be a string")
    if code not in KNOWN_CODES:
        code = INTERNAL  # §8: an unknown code is treated as internal
    leader = None
    if code == DIFFERENT_LEADER:
        leader = v.get("leader")
        if not valid_address(leader):
            raise ProtocolError("different_leader without a valid leader address")
    return Response(rid, False, code=code, message=message, leader=leader)
