#!/usr/bin/python3
"""xenith_grad_check.py: `titan-train grad` on Xenith configs (SPEC section 9)
against PyTorch autograd through the independent reference (xenith_ref.py's
loss; dense and MoE layers, L_bal and L_z, the segment memory: summarizer,
FIFO LTM, a subset of reading layers): the loss to 1e-5 and every tensor's gradient, adapters included, to
1e-4 relative (train_grad_check.compare). Also xenith_ref.py's own --grad CLI
against the C trainer's file. Exits 1 on any mismatch.

usage: xenith_grad_check.py TITAN_TRAIN WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_grad_check  # noqa: E402
import xenith_ref  # noqa: E402

BASE = {"family": "xenith", "vocab_size": 37, "d_model": 16, "n_heads": 4,
        "n_kv_heads": 2, "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 64,
        "n_layers": 2, "bos_id": 0}
DENSE = dict(BASE, attn_windows=[3, 0], n_global_tokens=2, tie_embeddings=False,
             logit_softcap=5.0, lora_rank=2, lora_alpha=3.0, lora_targets=xenith_ref.KINDS)
TIED = dict(BASE, n_layers=3, attn_windows=[4, 1], rope_base=500.0)
MOE = dict(DENSE, moe_experts=4, moe_top_k=2, moe_hidden=8, moe_dense_layers=1,
           moe_aux_weight=0.1, moe_zloss_weight=0.05)
MOE1 = dict(TIED, moe_experts=3, moe_top_k=1, moe_hidden=6, moe_renormalize=False,
            moe_zloss_weight=0.01, lora_rank=3, lora_targets=["router", "w_down"])
MEMORY = dict(stm_tokens=4, mem_slots=2, ltm_size=3, sum_layers=2, sum_heads=2,
              sum_hidden=12)
MEM = dict(DENSE, mem_read_layers=[1], **MEMORY)  # T 15: 3 summaries, the FIFO evicts
MEM_MOE = dict(MOE, **MEMORY)
MEM_TIED = dict(TIED, stm_tokens=5, mem_slots=3, ltm_size=4, sum_layers=1, sum_heads=4,
                mem_read_layers=[0, 2])
CASES = [("dense", DENSE, 20), ("tied", TIED, 12), ("short", DENSE, 2),
         ("moe", MOE, 24), ("moe-k1", MOE1, 16), ("mem", MEM, 15),
         ("mem-moe", MEM_MOE, 13), ("mem-tied", MEM_TIED, 16)]


def weights(c, seed):
    W = xenith_ref.init_weights(xenith_ref.resolve_config(c), seed=seed)
    return {n: t.numpy().astype(np.float32) for n, t in W.items()}


def check(train, work, name, cfg, T):
    rng = np.random.default_rng(len(name) * 1000 + T)
    ids = rng.integers(0, cfg["vocab_size"], T).tolist()
    return train_grad_check.compare(train, work, name, weights(cfg, T), cfg, ids,
                                    xenith_ref.loss)


def cli_agrees(work):
    """xenith_ref.py --grad writes what titan-train grad wrote (case dense)."""
    p = os.path.join(work, "dense.")
    out = os.path.join(work, "dense.refgrad")
    subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "xenith_ref.py"),
                    "--safetensors", p + "st", "--config", p + "json", "--ids", p + "ids",
                    "--grad", out], check=True)
    a, b = xenith_ref.read_safetensors(out), xenith_ref.read_safetensors(p + "grad")
    bad = set(a) != set(b)
    for n in a:
        ref, got = a[n].numpy(), b[n].numpy()
        scale = np.abs(ref).max()
        err = np.abs(got - ref).max() / scale if scale > 0 else np.abs(got).max()
        bad |= not err <= 1e-4
    print("xenith_ref.py --grad %s titan-train grad" % ("DISAGREES with" if bad else "agrees with"))
    return int(bad)


if __name__ == "__main__":
    rc = train_grad_check.main(sys.argv[1:], CASES, check)
    sys.exit(rc or cli_agrees(sys.argv[2]))
