#!/usr/bin/python3
"""train_grad_check.py: `titan-train grad` against PyTorch autograd through the
independent reference model (titan_ref.py). For a few tiny configs (every
optional part on, every one off, a sequence shorter than the MTP heads) it
writes random weights, runs the C trainer, and requires the loss and every
tensor's gradient to agree to 1e-4 relative (max |c - t| / max |t| per
tensor; compare() is shared with golf_grad_check.py). Exits 1 on any mismatch.

usage: train_grad_check.py TITAN_TRAIN WORKDIR
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_ref  # noqa: E402
import titan_ref  # noqa: E402

BASE = {
    "vocab_size": 37, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
    "head_dim": 4, "v_head_dim": 6, "rope_dim": 4, "q_latent": 12,
    "kv_latent": 8, "mlp_hidden": 24, "conv_kernel": 3, "n_unique_blocks": 2,
    "n_recurrences": 2, "max_seq_len": 64, "rope_base": 10000.0,
    "yarn_factor": 4.0, "yarn_orig_ctx": 16, "yarn_beta_fast": 32.0,
    "yarn_beta_slow": 1.0, "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1],
    "norm_eps": 1e-5, "logit_softcap": 5.0, "bos_id": 0,
}
PLAIN = dict(BASE, q_latent=0, conv_kernel=0, n_kv_heads=4, yarn_factor=1.0,
             logit_softcap=0.0, mtp_heads=2, mtp_weights=[1.0, 0.5],
             n_unique_blocks=1, n_recurrences=3)
CASES = [("full", BASE, 20), ("plain", PLAIN, 12), ("short", BASE, 2)]


def tensor_shapes(c):
    D, H, G = c["d_model"], c["n_heads"], c["n_kv_heads"]
    qk, F, V = c["head_dim"] + c["rope_dim"], c["mlp_hidden"], c["vocab_size"]
    out = [("tok_emb", [V, D])]
    for b in range(c["n_unique_blocks"]):
        p = "blocks.%d." % b
        out.append((p + "attn_norm", [D]))
        if c["q_latent"]:
            out += [(p + "wq_a", [c["q_latent"], D]), (p + "q_norm", [c["q_latent"]]),
                    (p + "wq_b", [H * qk, c["q_latent"]])]
        else:
            out.append((p + "wq", [H * qk, D]))
        out += [(p + "wkv_a", [c["kv_latent"] + c["rope_dim"], D]),
                (p + "kv_norm", [c["kv_latent"]]),
                (p + "wkv_b", [G * (c["head_dim"] + c["v_head_dim"]), c["kv_latent"]]),
                (p + "wo", [D, H * c["v_head_dim"]]), (p + "ffn_norm", [D]),
                (p + "w_gate", [F, D]), (p + "w_up", [F, D]), (p + "w_down", [D, F])]
        if c["conv_kernel"]:
            out.append((p + "conv", [F, c["conv_kernel"]]))
    out.append(("final_norm", [D]))
    out += [("mtp.%d.head" % k, [V, D]) for k in range(2, c["mtp_heads"] + 1)]
    return out


def compare(train, work, name, W, cfg, ids, loss_fn):
    """Write W (float32 arrays) and ids, run `titan-train grad`, and compare its loss
    and gradients with autograd of loss_fn(leaves, cfg, ids) in float64 (1e-5
    relative for the loss, 1e-4 per tensor; NaN fails). Returns the mismatches."""
    paths = {k: os.path.join(work, "%s.%s" % (name, k)) for k in ("st", "json", "ids", "grad")}
    safetensors_ref.write(paths["st"], [(k, "F32", list(v.shape), v) for k, v in W.items()], None)
    with open(paths["json"], "w") as f:
        json.dump(cfg, f)
    with open(paths["ids"], "w") as f:
        f.write(" ".join(map(str, ids)) + "\n")
    subprocess.run([train, "grad", "--safetensors", paths["st"], "--config", paths["json"],
                    "--ids", paths["ids"], "-o", paths["grad"]], check=True)
    got = titan_ref.read_safetensors(paths["grad"])
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in W.items()}
    loss = loss_fn(leaves, cfg, list(ids))
    loss.backward()
    bad = 0
    if set(got) != set(W) | {"loss"}:
        print("%s: tensor names differ: %s" % (name, sorted(set(got) ^ (set(W) | {"loss"}))))
        bad += 1
    lerr = abs(got["loss"].item() - loss.item()) / max(abs(loss.item()), 1e-12)
    bad += not lerr <= 1e-5
    worst, worst_name = 0.0, ""
    for tname in W:
        g = leaves[tname].grad  # None: the tensor takes no part (a head without targets)
        ref = g.numpy() if g is not None else np.zeros(W[tname].shape)
        if tname not in got:
            continue
        c = got[tname].numpy().reshape(ref.shape)
        scale = np.abs(ref).max()
        err = np.abs(c - ref).max() / scale if scale > 0 else np.abs(c).max()
        ok = bool(err <= 1e-4)  # NaN fails
        bad += not ok
        if not err <= worst:
            worst, worst_name = err, tname
        if not ok or os.environ.get("VERBOSE"):
            print("  %-4s %-26s max|g| %.3e rel err %.2e" % ("ok" if ok else "BAD", tname,
                                                            scale, err))
    print("%-8s T=%-3d %3d tensors  loss C %.7f torch %.7f rel %.1e  worst grad rel %.2e (%s)"
          % (name, len(ids), len(W), got["loss"].item(), loss.item(), lerr, worst, worst_name))
    return bad


def check(train, work, name, cfg, T):
    rng = np.random.default_rng(len(name) * 1000 + T)
    W = {}
    for tname, shape in tensor_shapes(cfg):
        if len(shape) == 1:
            W[tname] = (1 + 0.2 * rng.standard_normal(shape)).astype(np.float32)
        else:
            W[tname] = (rng.standard_normal(shape) / np.sqrt(shape[1])).astype(np.float32)
    ids = rng.integers(0, cfg["vocab_size"], T)
    return compare(train, work, name, W, cfg, ids.tolist(), titan_ref.loss)


def main(argv, cases=CASES, check_case=check):
    """Run every (name, config, T) case; exit status 1 on any mismatch."""
    train, work = argv
    bad = sum(check_case(train, work, n, c, T) for n, c, T in cases)
    print("FAILED: %d mismatches" % bad if bad else "all gradients agree")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
