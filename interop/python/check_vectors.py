"""Checks rftm.py against every test vector in docs/wire-format.md §10 (both directions).

Run: python3 interop/python/check_vectors.py  (exit 0 when all pass)
"""

import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import rftm  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "wire-format.md"
NS = bytes(range(32))
NC = bytes(range(32, 64))
KEY = b"correct horse battery staple"


def vectors() -> dict[str, tuple[bytes, bool]]:
    out = {}
    for m in re.finditer(r"```hex vector=(\S+)( decode-only)?\n(.*?)```", DOC.read_text(), re.S):
        hexes = "".join(line.split("#")[0] for line in m.group(3).splitlines())
        out[m.group(1)] = (bytes.fromhex(hexes), bool(m.group(2)))
    return out


V = vectors()
HELLO_PROD = rftm.build_hello(rftm.CHANNEL_RAFT, b"prod")
R = rftm.Request
EXPECTED = {
    "hello-membership": rftm.build_hello(rftm.CHANNEL_MEMBERSHIP),
    "hello-raft-prod": HELLO_PROD,
    "reply-accepted": rftm.build_reply(rftm.ACCEPTED),
    "reply-challenge": rftm.build_reply(rftm.CHALLENGE, NS),
    "reply-unsupported-version": rftm.build_reply(rftm.UNSUPPORTED_VERSION, b"\x01"),
    "reply-wrong-cluster": rftm.build_reply(rftm.WRONG_CLUSTER, b"wrong cluster"),
    "reply-busy": rftm.build_reply(rftm.BUSY),
    "auth-answer": rftm.auth_answer(KEY, HELLO_PROD, NS, NC)[0],
    "reply-accepted-proof": rftm.build_reply(rftm.ACCEPTED, rftm.proof_server(KEY, HELLO_PROD, NS, NC)),
    "request-join": rftm.frame(R("join", 1, "node-2", "10.0.0.2:7000", "voter").to_map()),
    "request-join-nonvoter": rftm.frame(R("join", 2, "node-3", "[fd00::3]:7000", "nonvoter").to_map()),
    "request-leave": rftm.frame(R("leave", 300, "node-2").to_map()),
    "request-members": rftm.frame(R("members", 8).to_map()),
    "request-members-page": rftm.frame(R("members", 9, offset=1000).to_map()),
    "response-ok-index": rftm.frame(rftm.ok(1, 42).to_map()),
    "response-ok": rftm.frame(rftm.ok(300).to_map()),
    "response-members": rftm.frame(rftm.ok(8, 42, [
        {"id": "node-1", "address": "10.0.0.1:7000", "role": "voter"},
        {"id": "node-3", "address": "[fd00::3]:7000", "role": "nonvoter"}]).to_map()),
    "response-members-page": rftm.frame(rftm.ok(9, 42, [
        {"id": "node-5", "address": "10.0.0.5:7000", "role": "voter"}], next=1001).to_map()),
    "response-different-leader": rftm.frame(rftm.error(7, "different_leader", "not the leader", "10.0.0.1:7000").to_map()),
    "response-unknown-leader": rftm.frame(rftm.error(7, "unknown_leader", "leader unknown").to_map()),
    "response-timeout": rftm.frame(rftm.error(7, "timeout", "not committed in time").to_map()),
    "response-bad-request": rftm.frame(rftm.error(7, "bad_request", "role must be voter").to_map()),
    "response-unsupported-role": rftm.frame(rftm.error(7, "unsupported_role", "cannot add as nonvoter").to_map()),
    "response-rejected": rftm.frame(rftm.error(7, "rejected", "address in use").to_map()),
    "response-unsupported": rftm.frame(rftm.error(8, "unsupported", "no configuration").to_map()),
    "response-shutting-down": rftm.frame(rftm.error(7, "shutting_down", "shutting down").to_map()),
    "response-internal": rftm.frame(rftm.error(7, "internal", "internal error").to_map()),
}
DECODE_ONLY = {
    "request-join-lenient": R("join", 5, "node-4", "node-4.example:7000", "voter"),
}


def main() -> int:
    failures = []
    for name, (data, decode_only) in V.items():
        if name.startswith("frame-"):
            fb = rftm.FrameBuffer()
            try:
                fb.feed(data)
                failures.append(f"{name}: header accepted")
            except rftm.FrameClosed:
                pass
            continue
        if decode_only:
            got = rftm.parse_request(data[4:])
            if got != DECODE_ONLY[name] or int.from_bytes(data[:4], "big") != len(data) - 4:
                failures.append(f"{name}: decoded {got}")
            continue
        want = EXPECTED.get(name)
        if want is None:
            failures.append(f"{name}: no expectation written")
        elif want != data:
            failures.append(f"{name}: encoder wrote {want.hex(' ')}\n   doc has {data.hex(' ')}")
        if name.startswith("request-"):
            if rftm.parse_request(data[4:]).to_map() != rftm.unpackb(data[4:]):
                failures.append(f"{name}: decode round trip")
        if name.startswith("response-"):
            r = rftm.parse_response(data[4:], for_members=name.startswith("response-members"))
            if rftm.frame(r.to_map()) != data:
                failures.append(f"{name}: decode round trip")
    for f in failures:
        print("FAIL", f)
    print(f"{len(V) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
