#!/usr/bin/env python3
"""Makes the seed corpora of the fuzz targets (fuzz/corpus/<corpus>/: `cairn` for the parse,
eval and fmt targets, `yaml`, `abi`, `state`, `lsp`), named by the SHA-1 of
their content as libFuzzer names what it adds. Run from the repository root:

    python3 fuzz/seed.py

Idempotent: running it again adds nothing new unless the sources changed. Seeds are small on
purpose (libFuzzer mutates small inputs best); bigger files are left out.
"""
import hashlib
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_SEED = 16 * 1024


def add(target, data):
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_SEED:
        return
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def files(*patterns):
    for pattern in patterns:
        yield from sorted(ROOT.glob(pattern))


# Cairn source: the corpus folders and the examples.
for f in files("tests/corpus/**/*.cairn", "examples/**/*.cairn", "stdlib/*.cairn"):
    add("cairn", f.read_bytes())

# YAML: the import corpus and the examples' expected output.
for f in files("tests/corpus/import/*.yaml", "examples/**/*.yaml", "tests/corpus/crd/*.yaml"):
    add("yaml", f.read_bytes())
add("yaml", "a: 1\nb: [x, y]\nc: {d: null, e: 1.5}\n")
add("yaml", "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {k: v}\n")


# Plugin ABI results, encoded by hand from the table in src/plugin/abi.rs.
def enc(v):
    if v is None:
        return b"\x00"
    if v is False:
        return b"\x01"
    if v is True:
        return b"\x02"
    if isinstance(v, int):
        return b"\x03" + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x04" + struct.pack("<d", v)
    if isinstance(v, str):
        b = v.encode()
        return b"\x05" + struct.pack("<I", len(b)) + b
    if isinstance(v, list):
        return b"\x06" + struct.pack("<I", len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        out = b"\x07" + struct.pack("<I", len(v))
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack("<I", len(kb)) + kb + enc(x)
        return out
    raise TypeError(v)


for v in [None, True, False, 0, -1, 2**63 - 1, 1.5, "", "héllo", [], [1, "a", None],
          {"name": "web", "ports": [80, 443], "meta": {"ok": True}}, [[[[]]]]]:
    add("abi", enc(v))
msg = "plugin failed".encode()
add("abi", b"\x08" + struct.pack("<I", len(msg)) + msg)

# State files.
add("state", json.dumps({"version": 1, "serial": 0, "lineage": "", "resources": {}}))
# A state written by `cairn apply`: one resource applied, one pending (its create failed).
STATE = {
    "version": 1,
    "serial": 4,
    "lineage": "d8ef5e0661585b8fdf5aabc1075da6b4",
    "revision": None,
    "signed_by": None,
    "resources": {
        "a": {
            "type_path": "file.File",
            "provider": "file",
            "inputs": {
                "path": "a.txt",
                "content": "1"
            },
            "outputs": {
                "path": "/tmp/st/a.txt",
                "sha256": "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
            },
            "status": "applied",
            "protect": False,
            "dependencies": [],
            "sensitive": [],
            "applied_revision": None
        },
        "b": {
            "type_path": "exec.Command",
            "provider": "exec",
            "inputs": {
                "create": [
                    "sh",
                    "-c",
                    "echo {\"id\": \"x1\"}"
                ],
                "outputs": [
                    "id"
                ],
                "sensitive": True
            },
            "outputs": None,
            "status": "pending",
            "operation": "create",
            "started": "2026-12-08T02:03:32Z",
            "protect": False,
            "dependencies": [],
            "sensitive": [],
            "applied_revision": None
        }
    }
}
add("state", json.dumps(STATE, indent=2))


# Language server traffic: whole sessions and single malformed frames.
def frame(body):
    if isinstance(body, (dict, list, int)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


uri = "file:///project/main.cairn"
text = (ROOT / "examples" / "app-config" / "main.cairn")
text = text.read_text() if text.exists() else "name: \"web\"\nreplicas: 3\n"
session = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
    {"jsonrpc": "2.0", "method": "initialized", "params": {}},
    {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "cairn", "version": 1, "text": text}}},
    {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}},
    {"jsonrpc": "2.0", "id": "c", "method": "textDocument/completion", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 1, "character": 0}}},
    {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
    {"jsonrpc": "2.0", "method": "exit"},
]
add("lsp", b"".join(frame(m) for m in session))
for bad in ['{"jsonrpc": "2.0", "id": 1.5, "method": "shutdown"}', "[]", "5", b"\xff\xfe{}",
            "not json", '{"jsonrpc": "1.0", "id": "x", "method": "shutdown"}',
            {"jsonrpc": "2.0", "id": 7, "result": None}]:
    add("lsp", frame(bad))
add("lsp", b"Content-Length: twelve\r\n\r\n{}" + frame(session[5]))
add("lsp", b"X-Other: 1\r\nContent-Length: 2\r\n\r\n{}")
