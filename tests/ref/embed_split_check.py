#!/usr/bin/python3
"""embed_split_check.py TITAN DIR (run by tests/e2e/pack_embed_split.sh):
`titan pack --embed-split N --embed-counts SHARD` on the shipped model's
weights. The hot ids are computed here from the shard (most counts, ties to
the lower id); in the split artifact every hot row of tok_emb and of the MTP
head equals, bit for bit, the row of a plain `--quant mixed` pack (int8 RTN)
and every other row the row of a pack with those tensors int6b (int6 RTN).
N = vocab is the plain mixed file byte for byte. With GPTQ each cold row
stays on a 64-level grid: max |v| / min nonzero |v| <= 32 (as
90% of the hot rows do not)."""
import json
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_ref  # noqa: E402

TITAN, DIR = sys.argv[1], sys.argv[2]
MODEL = "tools/data/model/nano.tart"
SPLIT = ["tok_emb", "mtp.2.head"]


def titan(*args):
    return subprocess.run([TITAN, *map(str, args)], check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout


def exported(art):
    st = art + ".export.st"
    titan("export", art, "--safetensors", st)
    return {n: x for n, _, _, x in safetensors_ref.read(st)[0]}


def pack(name, *flags):
    art = os.path.join(DIR, name + ".tart")
    titan("pack", "--safetensors", SRC, "--config", CFG, "--tokenizer", TOK, "-o", art,
          "--json", *flags)
    return art


def skewed_shard(vocab):
    """Ids with counts falling with the id's hash, and many ties."""
    rng = np.random.default_rng(7)
    ids = np.minimum(rng.zipf(1.3, 60000), vocab) - 1
    perm = rng.permutation(vocab)
    ids = perm[ids].astype("<u2")
    path = os.path.join(DIR, "counts.bin")
    head = struct.pack("<3i", 20240520, 1, len(ids)) + bytes(1012)
    open(path, "wb").write(head + ids.tobytes())
    counts = np.bincount(ids, minlength=vocab)
    order = sorted(range(vocab), key=lambda i: (-counts[i], i))
    return path, order, counts


def main():
    global SRC, CFG, TOK
    SRC, CFG, TOK = (os.path.join(DIR, f) for f in ("w.st", "w.json", "w.tok"))
    titan("export", MODEL, "--safetensors", SRC, "--config-out", CFG, "--tokenizer-out",
          TOK)
    vocab = json.load(open(CFG))["vocab_size"]
    shard, order, counts = skewed_shard(vocab)
    # N with a tie across the boundary: the lower id of the pair must be hot
    n = next(k for k in range(48, vocab) if counts[order[k - 1]] == counts[order[k]])
    hot = np.zeros(vocab, bool)
    hot[order[:n]] = True
    int8 = exported(pack("int8", "--quant", "mixed"))
    int6 = exported(pack("int6", "--quant", "mixed", "--tensor-quant",
                         "tok_emb=int6b,mtp.*=int6b"))
    split = exported(pack("split", "--quant", "mixed", "--embed-split", n,
                          "--embed-counts", shard))
    for name in SPLIT:
        assert np.array_equal(split[name][hot], int8[name][hot]), name + " hot rows"
        assert np.array_equal(split[name][~hot], int6[name][~hot]), name + " cold rows"
        assert not np.array_equal(split[name], int8[name]), name + " all int8"
    for name in int8:
        if name not in SPLIT:
            assert np.array_equal(split[name], int8[name]), name + " changed"
    full = pack("full", "--quant", "mixed", "--embed-split", vocab, "--embed-counts", shard)
    plain = os.path.join(DIR, "int8.tart")
    assert open(full, "rb").read() == open(plain, "rb").read(), "N = vocab differs"
    calib = os.path.join(DIR, "calib.txt")
    open(calib, "wb").write(open("tools/data/model/val_excerpt.txt", "rb").read()[:6000])
    gptq = exported(pack("gptq", "--quant", "mixed", "--embed-split", n, "--embed-counts",
                         shard, "--method", "gptq", "--calib", calib, "--clip-steps", 21,
                         "--calib-tokens", 512))
    for name in SPLIT:
        w, wide = np.abs(gptq[name].astype(np.float64)), 0
        for r in range(vocab):
            nz = w[r][w[r] > 0]
            ratio = nz.max() / nz.min() if len(nz) else 0
            assert hot[r] or ratio <= 32 * (1 + 1e-6), (name, r, ratio)
            wide += bool(hot[r] and ratio > 32)
        assert wide >= 0.9 * n, (name, wide)  # int8 rows do span more
    print("embed split check ok: %d hot rows of %d" % (n, vocab))


main()
