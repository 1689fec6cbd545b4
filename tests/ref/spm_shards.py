#!/usr/bin/python3
"""Independent reference for shard-mode eval (SPEC section 3), built on the
sentencepiece library rather than Titan's own protobuf reader.

  spm_shards.py write MODEL TEXT OUTDIR NSHARDS
      one document per blank-line paragraph, each BOS + ids, split into
      parameter-golf .bin shards OUTDIR/val_NNNNNN.bin
  spm_shards.py ref MODEL GLOB CTX STRIDE [MAX_TOKENS]
      prints JSON: tokens, bytes, windows, xz_bytes (xz -9e of the bytes the
      targets stand for), and writes those bytes to $REF_BYTES if set
"""
import glob
import json
import lzma
import os
import sys

import numpy as np
import sentencepiece as spm

MAGIC, VERSION = 20240520, 1


def write(model, text, outdir, nshards):
    sp = spm.SentencePieceProcessor(model_file=model)
    docs = [d for d in open(text, encoding="utf-8").read().split("\n\n") if d.strip()]
    ids = []
    for d in docs:
        ids += [sp.bos_id()] + sp.encode(d)
    parts = np.array_split(np.array(ids, dtype=np.uint16), nshards)
    for i, part in enumerate(parts):
        header = np.zeros(256, dtype="<i4")
        header[:3] = [MAGIC, VERSION, len(part)]
        with open(os.path.join(outdir, "val_%06d.bin" % i), "wb") as f:
            f.write(header.tobytes())
            f.write(part.astype("<u2").tobytes())


def read_stream(pattern):
    out = []
    for path in sorted(glob.glob(pattern)):
        raw = open(path, "rb").read()
        header = np.frombuffer(raw[:1024], dtype="<i4")
        assert header[0] == MAGIC and header[1] == VERSION
        assert len(raw) == 1024 + 2 * int(header[2])
        out.append(np.frombuffer(raw[1024:], dtype="<u2"))
    return np.concatenate(out).astype(np.int64)


def piece_bytes(sp, i):
    """(bytes as a target, starts with U+2581, is a boundary)."""
    if sp.is_control(i) or sp.is_unknown(i):
        return b"", False, True
    if sp.is_unused(i):
        return b"", False, False
    piece = sp.id_to_piece(i)
    if sp.is_byte(i):
        return bytes([int(piece[3:5], 16)]), False, False
    if piece.startswith("\u2581"):
        return piece[1:].encode("utf-8"), True, False
    return piece.encode("utf-8"), False, False


def ref(model, pattern, ctx, stride, max_tokens=None):
    sp = spm.SentencePieceProcessor(model_file=model)
    table = [piece_bytes(sp, i) for i in range(sp.get_piece_size())]
    seq = read_stream(pattern)
    n = len(seq) - 1
    if max_tokens is not None:
        n = min(n, max_tokens)
    text = bytearray()
    for t in range(1, n + 1):
        y, x = table[seq[t]], table[seq[t - 1]]
        if y[1] and not x[2]:
            text += b" "
        text += y[0]
    windows, w = 0, 0
    while True:
        windows += 1
        if w + ctx >= n:
            break
        w += stride
    if "REF_BYTES" in os.environ:
        open(os.environ["REF_BYTES"], "wb").write(bytes(text))
    xz = lzma.compress(bytes(text), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                       preset=9 | lzma.PRESET_EXTREME)
    print(json.dumps({"tokens": n, "bytes": len(text), "windows": windows,
                      "xz_bytes": len(xz)}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        ref(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
            int(sys.argv[6]) if len(sys.argv) > 6 else None)
