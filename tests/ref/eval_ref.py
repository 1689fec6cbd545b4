#!/usr/bin/python3
"""Independent val_bpb for shard mode: tests/ref/titan_ref.py (PyTorch, float64)
over the SPEC section 3 sliding windows, bytes by tests/ref/spm_shards.py.

  eval_ref.py model PREFIX VOCAB SEED [zero]
      writes PREFIX.json (config) and PREFIX.safetensors (float32 weights,
      random, or all zero with `zero`) of a small Nano-Titan
  eval_ref.py ref W CFG SPM GLOB CTX,STRIDE,MAX_TOKENS...
      prints one JSON line per run: val_bpb, nll, tokens, bytes
  eval_ref.py text W CFG IDS TEXT CTX,STRIDE...
      the same for text mode, IDS being the file's token ids
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def config(vocab):
    return {"vocab_size": vocab, "d_model": 24, "n_heads": 4, "n_kv_heads": 2,
            "head_dim": 8, "v_head_dim": 6, "rope_dim": 8, "q_latent": 12,
            "kv_latent": 10, "mlp_hidden": 20, "conv_kernel": 3,
            "n_unique_blocks": 2, "n_recurrences": 2, "max_seq_len": 64,
            "rope_base": 10000, "yarn_factor": 2, "yarn_orig_ctx": 16,
            "yarn_beta_fast": 32, "yarn_beta_slow": 1, "mtp_heads": 2,
            "mtp_weights": [1.0, 0.3], "norm_eps": 1e-5}


def shapes(c):
    D, H, G = c["d_model"], c["n_heads"], c["n_kv_heads"]
    Dh, Dv, Dr = c["head_dim"], c["v_head_dim"], c["rope_dim"]
    Lq, Lkv, F, K = c["q_latent"], c["kv_latent"], c["mlp_hidden"], c["conv_kernel"]
    out = {"tok_emb": [c["vocab_size"], D]}
    for b in range(c["n_unique_blocks"]):
        p = "blocks.%d." % b
        out.update({p + "attn_norm": [D], p + "wq_a": [Lq, D], p + "q_norm": [Lq],
                    p + "wq_b": [H * (Dh + Dr), Lq], p + "wkv_a": [Lkv + Dr, D],
                    p + "kv_norm": [Lkv], p + "wkv_b": [G * (Dh + Dv), Lkv],
                    p + "wo": [D, H * Dv], p + "ffn_norm": [D], p + "w_gate": [F, D],
                    p + "w_up": [F, D], p + "w_down": [D, F], p + "conv": [F, K]})
    out["final_norm"] = [D]
    for k in range(2, c["mtp_heads"] + 1):
        out["mtp.%d.head" % k] = [c["vocab_size"], D]
    return out


def write_model(prefix, vocab, seed, zero):
    c = config(vocab)
    rng = np.random.default_rng(seed)
    header, blobs, off = {}, [], 0
    for name, shape in shapes(c).items():
        if zero:
            w = np.zeros(shape, dtype="<f4")
        elif name.endswith("norm"):
            w = (1 + 0.2 * rng.uniform(-1, 1, shape)).astype("<f4")
        else:
            w = (rng.uniform(-1, 1, shape) * (1.5 / math.sqrt(shape[-1]))).astype("<f4")
        raw = w.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(prefix + ".safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    with open(prefix + ".json", "w") as f:
        json.dump(c, f)


def ref(wpath, cpath, model, pattern, runs):
    import sentencepiece as spm
    import spm_shards
    import titan_ref
    W = titan_ref.read_safetensors(wpath)
    cfg = json.load(open(cpath))
    sp = spm.SentencePieceProcessor(model_file=model)
    table = [spm_shards.piece_bytes(sp, i) for i in range(sp.get_piece_size())]
    seq = spm_shards.read_stream(pattern)
    for run in runs:
        ctx, stride, max_tokens = (int(v) for v in run.split(","))
        n = min(len(seq) - 1, max_tokens)
        nbytes = sum(len(table[seq[t]][0]) + (table[seq[t]][1] and not table[seq[t - 1]][2])
                     for t in range(1, n + 1))
        report(sliding_nll(W, cfg, seq, ctx, stride, n), n, nbytes)


def ref_text(wpath, cpath, ids_path, text_path, runs):
    """Text mode: seq = BOS (256) + the ids of the whole file; every byte counts."""
    import titan_ref
    W = titan_ref.read_safetensors(wpath)
    cfg = json.load(open(cpath))
    seq = np.array([256] + [int(t) for t in open(ids_path).read().split()])
    nbytes = os.path.getsize(text_path)
    for run in runs:
        ctx, stride = (int(v) for v in run.split(","))
        report(sliding_nll(W, cfg, seq, ctx, stride, len(seq) - 1), len(seq) - 1, nbytes)


def report(nll, n, nbytes):
    print(json.dumps({"val_bpb": nll / (math.log(2) * nbytes), "nll": nll,
                      "tokens": n, "bytes": nbytes}))


def sliding_nll(W, cfg, seq, ctx, stride, n):
    """SPEC section 3 windows over seq[0..n], written from the text."""
    import torch
    import titan_ref
    nll, scored_to, w = 0.0, 0, 0
    while True:
        window = seq[w:min(w + ctx, n)]
        logp = torch.log_softmax(titan_ref.forward(W, cfg, window.tolist())[0], dim=-1)
        for j in range(len(window)):
            t = w + 1 + j  # target index
            if t > scored_to:
                nll -= logp[j, seq[t]].item()
        scored_to = w + len(window)
        if scored_to >= n:
            return nll
        w += stride


if __name__ == "__main__":
    a = sys.argv[2:]
    if sys.argv[1] == "model":
        write_model(a[0], int(a[1]), int(a[2]), len(a) > 3 and a[3] == "zero")
    elif sys.argv[1] == "text":
        ref_text(a[0], a[1], a[2], a[3], a[4:])
    else:
        ref(a[0], a[1], a[2], a[3], a[4:])
