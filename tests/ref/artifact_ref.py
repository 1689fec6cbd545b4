#!/usr/bin/python3
"""artifact_ref.py: an independent writer of the Titan artifact container,
written from the byte layout in formats/artifact_format.h (struct + zlib +
lzma; Brotli through the `brotli` tool). Used by tests/e2e/artifact_ref.sh
(titan must read what this writes, value for value) and by the fuzz seeds.

  artifact_ref.py tiny OUT CODEC [int8]   write the tiny model below (CODEC
                                          "grouped": the data section per tensor
                                          group, GROUP_CODECS below; others none)
  artifact_ref.py seeds DIR               a few artifacts for the fuzzer (one int6b)

Tiny model: V=257 (the byte tokenizer), D=4, one block, 2 heads; tensor i
element j holds (i * 31 + j * 7) % 97 / 16 - 3 (f32), or with `int8`
tok_emb is int8 q = (j * 5) % 255 - 127 with row r scale 0.25 + r / 64."""
import lzma
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

CODECS = {"none": 0, "lzma": 1, "xz": 2, "brotli": 3}
TINY = dict(vocab_size=257, d_model=4, n_heads=2, n_kv_heads=1, head_dim=2,
            v_head_dim=2, rope_dim=2, q_latent=0, kv_latent=2, mlp_hidden=4,
            conv_kernel=2, n_unique_blocks=1, n_recurrences=2, max_seq_len=16,
            rope_base=10000.0, yarn_factor=1.0, yarn_orig_ctx=16, yarn_beta_fast=32.0,
            yarn_beta_slow=1.0, mtp_heads=2, mtp_weights=[1.0, 0.5], norm_eps=1e-5,
            logit_softcap=0.0, bos_id=256)
INTS = ["vocab_size", "d_model", "n_heads", "n_kv_heads", "head_dim", "v_head_dim",
        "rope_dim", "q_latent", "kv_latent", "mlp_hidden", "conv_kernel",
        "n_unique_blocks", "n_recurrences", "max_seq_len"]


def config_record(c):
    rec = b"".join(struct.pack("<i", c[k]) for k in INTS)
    rec += struct.pack("<ddiddi", c["rope_base"], c["yarn_factor"], c["yarn_orig_ctx"],
                       c["yarn_beta_fast"], c["yarn_beta_slow"], c["mtp_heads"])
    w = list(c["mtp_weights"]) + [0.0] * (8 - len(c["mtp_weights"]))
    rec += struct.pack("<8d", *w) + struct.pack("<ddi", c["norm_eps"], c["logit_softcap"],
                                                  c["bos_id"])
    assert len(rec) == 180
    return rec


def tensor_shapes(c):
    """SPEC section 1, canonical order: (name, ndim, rows, cols)."""
    D, H, G = c["d_model"], c["n_heads"], c["n_kv_heads"]
    qk, F = c["head_dim"] + c["rope_dim"], c["mlp_hidden"]
    out = [("tok_emb", 2, c["vocab_size"], D)]
    for b in range(c["n_unique_blocks"]):
        p = f"blocks.{b}."
        out.append((p + "attn_norm", 1, D, 1))
        if c["q_latent"]:
            out += [(p + "wq_a", 2, c["q_latent"], D), (p + "q_norm", 1, c["q_latent"], 1),
                    (p + "wq_b", 2, H * qk, c["q_latent"])]
        else:
            out.append((p + "wq", 2, H * qk, D))
        out += [(p + "wkv_a", 2, c["kv_latent"] + c["rope_dim"], D),
                (p + "kv_norm", 1, c["kv_latent"], 1),
                (p + "wkv_b", 2, G * (c["head_dim"] + c["v_head_dim"]), c["kv_latent"]),
                (p + "wo", 2, D, H * c["v_head_dim"]), (p + "ffn_norm", 1, D, 1),
                (p + "w_gate", 2, F, D), (p + "w_up", 2, F, D), (p + "w_down", 2, D, F)]
        if c["conv_kernel"]:
            out.append((p + "conv", 2, F, c["conv_kernel"]))
    out.append(("final_norm", 1, D, 1))
    out += [(f"mtp.{k}.head", 2, c["vocab_size"], D) for k in range(2, c["mtp_heads"] + 1)]
    return out


def align(n):
    return (n + 63) & ~63


def dict_size(n):
    """2^k or 3 * 2^(k-1), at least 4 KiB, covering n, at most 64 MiB."""
    d = 4096
    while d < n and d < 64 << 20:
        d = d // 3 * 4 if d & (d - 1) else d + d // 2
    return d


def encode(codec, raw):
    if codec == "none":
        return raw
    if codec in ("lzma", "xz"):
        filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME,
                    "dict_size": dict_size(len(raw))}]
        if codec == "lzma":
            return lzma.compress(raw, format=lzma.FORMAT_RAW, filters=filters)
        return lzma.compress(raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                             filters=filters)
    lgwin = max(10, min(24, (len(raw) - 1).bit_length()))
    return subprocess.run(["brotli", "-c", "-q", "11", f"--lgwin={lgwin}"], input=raw,
                          stdout=subprocess.PIPE, check=True).stdout


# Grouped data section (codec 4): each group's codec and shuffle width here.
GROUP_CODECS = [("brotli", 4), ("lzma", 4), ("xz", 1), ("none", 1), ("lzma", 2),
                ("brotli", 4)]  # embeddings attention mlp norms/scalars heads scales


def group_kind(name, nd):
    if name == "tok_emb":
        return 0
    if name.startswith("mtp."):
        return 4
    if nd == 1 or name.endswith(".conv"):
        return 3
    return 2 if name.rsplit(".", 1)[1] in ("w_up", "w_down", "w_gate") else 1


def shuffle(b, w):
    e = len(b) // w
    return b"".join(b[j:e * w:w] for j in range(w)) + b[e * w:]


def grouped(data, pieces):
    """pieces: per tensor (name, ndim, (off, len) of values, (off, len) of scales
    or None). The stored form of the data section."""
    kinds = [group_kind(name, nd) for name, nd, _, _ in pieces]
    used = sorted(set(kinds) | ({5} if any(p[3] for p in pieces) else set()))
    gid = {k: i for i, k in enumerate(used)}
    raw = {k: b"" for k in used}
    pairs = b""
    for k, (name, nd, (vo, vl), sc) in zip(kinds, pieces):
        raw[k] += data[vo:vo + vl]
        if sc:
            raw[5] += data[sc[0]:sc[0] + sc[1]]
        pairs += bytes([gid[k], gid[5] if sc else 255])
    table, streams = struct.pack("<II", len(used), len(pieces)), b""
    for k in used:
        codec, w = GROUP_CODECS[k]
        stored = encode(codec, shuffle(raw[k], w))
        table += struct.pack("<IIIIQQ", k, CODECS[codec], w, zlib.crc32(raw[k]),
                             len(raw[k]), len(stored))
        streams += stored
    return table + pairs + streams


def byte_tokenizer():
    t = b"TTOK" + struct.pack("<III", 1, 0, 0)
    return t + struct.pack("<I", zlib.crc32(t))


def tiny_tensors(c, int8=False):
    """[(name, ndim, rows, cols, dtype, value bytes, scales or None, f32 values)]"""
    out = []
    for i, (name, nd, r, k) in enumerate(tensor_shapes(c)):
        j = np.arange(r * k)
        if int8 and name == "tok_emb":
            q = ((j * 5) % 255 - 127).astype(np.int8)
            s = (0.25 + np.arange(r) / 64).astype(np.float32)
            vals = q.reshape(r, k).astype(np.float32) * s[:, None]
            out.append((name, nd, r, k, 3, q.tobytes(), s, vals))
            continue
        w = ((i * 31 + j * 7) % 97 / 16 - 3).astype(np.float32)
        out.append((name, nd, r, k, 0, w.tobytes(), None, w.reshape(r, k)))
    return out


def ngram_table(vocab):
    """A small n-gram hint table (titan.h layout): bigrams 1->2, 3->4,
    trigram (1, 1)->5."""
    ids = [1, 3, 2, 4, 1, 1, 5]
    return b"NGRM" + struct.pack("<5I", vocab, 2, 2, 2, 1) + struct.pack("<7H", *ids)


def write(path, c, tensors, codec, ngram=None):
    dir_ = struct.pack("<II", len(tensors), 0)
    data, pieces = b"", []
    for name, nd, r, k, dt, vals, scales, _ in tensors:
        data += b"\0" * (align(len(data)) - len(data))
        size = len(vals)
        if scales is not None:
            size = align(len(vals)) + 4 * len(scales)
        dir_ += name.encode().ljust(48, b"\0")
        dir_ += struct.pack("<IIqqiIQQ", dt, nd, r, k, 0, 0, len(data), size)
        sc = None if scales is None else (len(data) + align(len(vals)), 4 * len(scales))
        pieces.append((name, nd, (len(data), len(vals)), sc))
        data += vals
        if scales is not None:
            data += b"\0" * (align(len(vals)) - len(vals)) + scales.astype("<f4").tobytes()
    raws = [config_record(c), byte_tokenizer(), dir_, data] + ([ngram] if ngram else [])
    body, table, at = b"", b"", 32 + 40 * len(raws) + 4
    for kind, raw in enumerate(raws, 1):
        if codec == "grouped":
            stored = grouped(data, pieces) if kind == 4 else raw
            code, raw_crc = (4, 0) if kind == 4 else (0, zlib.crc32(raw))
        else:
            stored, code, raw_crc = encode(codec, raw), CODECS[codec], zlib.crc32(raw)
        start = align(at)
        body += b"\0" * (start - at) + stored
        table += struct.pack("<IIQQQII", kind, code, start, len(stored), len(raw),
                             zlib.crc32(stored), raw_crc)
        at = start + len(stored)
    head = b"TITANART" + struct.pack("<IIQII", 1, len(raws), at, 0, 0) + table
    head += struct.pack("<I", zlib.crc32(head))
    with open(path, "wb") as f:
        f.write(head + body)


def main():
    if sys.argv[1] == "tiny":
        int8 = len(sys.argv) > 4 and sys.argv[4] == "int8"
        write(sys.argv[2], TINY, tiny_tensors(TINY, int8), sys.argv[3])
    elif sys.argv[1] == "seeds":
        os.makedirs(sys.argv[2], exist_ok=True)
        for codec in list(CODECS) + ["grouped"]:
            for int8 in (False, True):
                write(os.path.join(sys.argv[2], f"tiny_{codec}_{int(int8)}"), TINY,
                      tiny_tensors(TINY, int8), codec)
        ts = tiny_tensors(TINY, True)  # tok_emb as int6b (titan dtype 5)
        name, nd, r, k, _, _, sc, _ = ts[0]
        q6 = ((np.arange(r * k) * 5) % 64 - 32).astype(np.int8)
        ts[0] = (name, nd, r, k, 5, q6.tobytes(), sc, q6.reshape(r, k) * sc[:, None])
        write(os.path.join(sys.argv[2], "tiny_none_int6b"), TINY, ts, "none")
        write(os.path.join(sys.argv[2], "tiny_grouped_int6b"), TINY, ts, "grouped")
        for codec in ("none", "brotli"):
            write(os.path.join(sys.argv[2], f"tiny_{codec}_ngram"), TINY,
                  tiny_tensors(TINY), codec, ngram_table(TINY["vocab_size"]))


if __name__ == "__main__":
    main()
