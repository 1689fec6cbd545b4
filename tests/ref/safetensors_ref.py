#!/usr/bin/python3
"""safetensors_ref.py: an independent safetensors reader/writer written from the
format description (json + struct + numpy; not the safetensors package), used
by test_safetensors_ref.c to round-trip files with the C code both ways.

  safetensors_ref.py write OUT   write the fixture (below) to OUT
  safetensors_ref.py check IN    read IN strictly; exit 0 iff it holds the fixture
  safetensors_ref.py copy IN OUT read IN, write the same tensors to OUT in
                                 reverse name order (different offsets)

Fixture: tensor values v[i] = ((i * 37) % 101 - 50) / 7, then rounded to the
tensor's dtype (numpy float16; bfloat16 round-to-nearest-even by integer ops)."""
import json
import struct
import sys

import numpy as np

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1}
FIXTURE = [("emb", "F32", [3, 5]), ("norm", "F16", [7]), ("w.0", "BF16", [2, 3, 2]),
           ("scalar", "F32", []), ("empty", "F16", [0, 4])]
METADATA = {"format": "pt", "note": "caf\u00e9 \"quoted\" \\ line\nbreak"}


def fixture_values(shape):
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n, dtype=np.int64)
    return (((i * 37) % 101 - 50) / 7.0).astype(np.float32).reshape(shape)


def bf16_bits(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def encode(dtype, x):
    if dtype == "F32":
        return x.astype("<f4").tobytes()
    if dtype == "F16":
        return x.astype("<f2").tobytes()
    if dtype == "I8":
        return x.astype(np.int8).tobytes()
    return bf16_bits(x).astype("<u2").tobytes()


def decode(dtype, raw, shape):
    if dtype == "F32":
        x = np.frombuffer(raw, "<f4")
    elif dtype == "F16":
        x = np.frombuffer(raw, "<f2").astype(np.float32)
    elif dtype == "I8":
        x = np.frombuffer(raw, np.int8)
    else:
        x = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    return x.reshape(shape)


def write(path, tensors, metadata):
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, x in tensors:
        raw = encode(dtype, x)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n <= len(data) - 8 and data[8:9] == b"{", "bad header length"
    assert (8 + n) % 8 == 0, "data not 8-byte aligned"
    pairs = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=list)
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate names"
    buf, metadata, tensors, spans = data[8 + n:], {}, [], []
    for name, info in pairs:
        if name == "__metadata__":
            metadata = dict(info)
            assert all(isinstance(v, str) for v in metadata.values())
            continue
        info = dict(info)
        assert set(info) == {"dtype", "shape", "data_offsets"}, info
        dtype, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        assert e - b == count * SIZES[dtype] and 0 <= b <= e <= len(buf)
        spans.append((b, e))
        tensors.append((name, dtype, shape, decode(dtype, buf[b:e], shape)))
    at = 0
    for b, e in sorted(spans):
        assert b == at, "hole or overlap"
        at = e
    assert at == len(buf), "trailing bytes"
    return tensors, metadata


def expected():
    return [(n, d, s, decode(d, encode(d, fixture_values(s)), s)) for n, d, s in FIXTURE]


def check(path):
    tensors, metadata = read(path)
    assert metadata == METADATA, metadata
    got = {t[0]: t for t in tensors}
    assert sorted(got) == sorted(n for n, _, _ in FIXTURE)
    for name, dtype, shape, x in expected():
        _, d, s, y = got[name]
        assert d == dtype and s == shape, (name, d, s)
        assert x.tobytes() == y.tobytes(), name


def main():
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2], expected(), METADATA)
    elif cmd == "check":
        check(sys.argv[2])
    elif cmd == "copy":
        tensors, metadata = read(sys.argv[2])
        write(sys.argv[3], sorted(tensors, reverse=True), metadata)


if __name__ == "__main__":
    main()
