#!/usr/bin/python3
"""golf_record_model.py: a PyTorch model written the way the parameter-golf records'
train_gpt.py writes theirs (module names GPT, Block, CausalSelfAttention, MLP,
Rotary, SmearGate, BigramHashEmbedding, ValueEmbedding, plus a GatedDeltaNet
mixer for record 1.0785), on CPU with plain attention instead of flash-attn, and
the records' two ways of saving it: torch.save of the state dict (.pt; 1.1531
with banked matrices) and the final artifact (int6/int8 per-row quantization of
the unbanked state dict, torch.save({"w", "m"}), LZMA or Brotli).

Our own code, from reading the records' scripts; it is separate from golf_ref.py
(SPEC section 8's reference) on purpose: tools/golf/import_golf.py maps these
names and conventions onto SPEC's, and tests/e2e/golf_import.sh checks that the
mapped model gives the same logits as this one.

CLI (the e2e test):
    golf_record_model.py make RECORD DIR     RECORD 1.1531 | 1.0785 (scaled down):
        DIR/env.json (the record's settings), DIR/model.pt (float state dict),
        DIR/final_model.ptz (quantized artifact), DIR/ids, DIR/logits.f64
        (the float model's logits on ids, float64) and DIR/logits_q.f64
        (the dequantized artifact's)
"""
import io
import json
import lzma
import math
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

F = torch.nn.functional

# The scaled-down record shapes (the records' environment variables); the
# structure (11 blocks, loops, skips, XSA/VE/GDN positions) is the records'.
RECORDS = {
    "1.1531": {
        "VOCAB_SIZE": 1024, "NUM_LAYERS": 11, "MODEL_DIM": 32, "NUM_HEADS": 4,
        "NUM_KV_HEADS": 2, "MLP_MULT": 3, "ROPE_DIMS": 4, "ROPE_BASE": 10000.0,
        "LOGIT_SOFTCAP": 30.0, "TRAIN_SEQ_LEN": 1024, "QK_GAIN_INIT": 1.5,
        "XSA_LAST_N": 4, "BIGRAM_VOCAB_SIZE": 64, "BIGRAM_DIM": 16, "VE_ENABLED": 1,
        "VE_DIM": 12, "VE_LAYERS": "9,10", "LN_SCALE": 1, "NUM_LOOPS": 2, "LOOP_START": 3,
        "LOOP_END": 5, "ENABLE_LOOPING_AT": 0.35, "PARALLEL_RESIDUAL_START": 7,
        "COMPRESSOR": "lzma",
    },
    "1.0785": {
        "VOCAB_SIZE": 512, "NUM_LAYERS": 11, "MODEL_DIM": 32, "NUM_HEADS": 4,
        "NUM_KV_HEADS": 2, "MLP_MULT": 3, "ROPE_DIMS": 4, "ROPE_BASE": 10000.0,
        "LOGIT_SOFTCAP": 20.0, "TRAIN_SEQ_LEN": 4096, "QK_GAIN_INIT": 5.0,
        "XSA_LAST_N": 11, "LN_SCALE": 1, "NUM_LOOPS": 2, "LOOP_START": 3, "LOOP_END": 5,
        "ENABLE_LOOPING_AT": 0.4, "PARALLEL_RESIDUAL_START": 8, "GDN_LAYERS": "0,1,10",
        "GDN_NUM_HEADS": 2, "GDN_NUM_V_HEADS": 4, "GDN_HEAD_DIM": 8, "GDN_V_HEAD_DIM": 8,
        "GDN_CONV_SIZE": 2, "ATTN_SINK": 1, "SKIP_GATES": 1, "COMPRESSOR": "brotli",
    },
}
INT6_MIN_NUMEL = 256  # the records use 65536; smaller here so the small model has int6 tensors


def rms_norm(x):
    """F.rms_norm(x, (x.size(-1),)) with eps=None: float32's machine epsilon."""
    eps = torch.finfo(torch.float32).eps
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class RMSNorm(nn.Module):
    def forward(self, x):
        return rms_norm(x)


class Rotary(nn.Module):
    """The records' table: base rescaled beyond train_seq_len."""
    def __init__(self, dim, base, train_seq_len, rope_dims):
        super().__init__()
        self.base, self.train_seq_len = base, train_seq_len
        self.rope_dims = rope_dims if rope_dims > 0 else dim

    def forward(self, seq_len, dtype):
        rd, base = self.rope_dims, self.base
        if seq_len > self.train_seq_len:
            base = base * (seq_len / self.train_seq_len) ** (rd / (rd - 2))
        inv = 1.0 / (base ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
        f = torch.outer(torch.arange(seq_len, dtype=torch.float64), inv)
        return f.cos()[None, :, None, :].to(dtype), f.sin()[None, :, None, :].to(dtype)


def apply_rotary_emb(x, cos, sin, rope_dims):
    """The records' sign: (x1 cos + x2 sin, -x1 sin + x2 cos), a rotation by -theta."""
    rd = rope_dims if rope_dims > 0 else x.size(-1)
    xr, xp = x[..., :rd], x[..., rd:]
    x1, x2 = xr[..., :rd // 2], xr[..., rd // 2:]
    return torch.cat((x1 * cos + x2 * sin, x1 * (-sin) + x2 * cos, xp), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, a, banked):
        super().__init__()
        D, H, G = a["MODEL_DIM"], a["NUM_HEADS"], a["NUM_KV_HEADS"]
        self.H, self.G, self.Dh = H, G, D // H
        if not banked:
            self.c_q = nn.Linear(D, D, bias=False)
            self.c_k = nn.Linear(D, G * self.Dh, bias=False)
            self.c_v = nn.Linear(D, G * self.Dh, bias=False)
            self.proj = nn.Linear(D, D, bias=False)
        self.q_gain = nn.Parameter(torch.full((H,), float(a["QK_GAIN_INIT"])))
        self.rope_dims = a["ROPE_DIMS"]
        self.rotary = Rotary(self.Dh, a["ROPE_BASE"], a["TRAIN_SEQ_LEN"], a["ROPE_DIMS"])
        self.sink_k = nn.Parameter(torch.zeros(G, self.Dh)) if a.get("ATTN_SINK") else None
        self.use_xsa = False

    def _xsa(self, y, v):
        B, T, H, D = y.shape
        yg = y.reshape(B, T, self.G, H // self.G, D)
        vn = F.normalize(v, dim=-1).unsqueeze(-2)
        return (yg - (yg * vn).sum(-1, keepdim=True) * vn).reshape(B, T, H, D)

    def forward(self, x, w, v_embed=None):
        q_w, k_w, v_w, o_w = w if w is not None else (
            self.c_q.weight, self.c_k.weight, self.c_v.weight, self.proj.weight)
        B, T, D = x.shape
        q = F.linear(x, q_w).reshape(B, T, self.H, self.Dh)
        k = F.linear(x, k_w).reshape(B, T, self.G, self.Dh)
        v = F.linear(x, v_w)
        if v_embed is not None:
            v = v + v_embed
        v = v.reshape(B, T, self.G, self.Dh)
        q, k = rms_norm(q), rms_norm(k)
        cos, sin = self.rotary(T, x.dtype)
        q = apply_rotary_emb(q, cos, sin, self.rope_dims)
        k = apply_rotary_emb(k, cos, sin, self.rope_dims)
        q = q * self.q_gain.to(x.dtype)[None, None, :, None]
        rep = self.H // self.G
        qh, kh, vh = (t.transpose(1, 2) for t in (q, k.repeat_interleave(rep, 2),
                                                   v.repeat_interleave(rep, 2)))
        s = qh @ kh.transpose(-1, -2) / math.sqrt(self.Dh)
        s = s.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))
        if self.sink_k is not None:  # a sink key per KV head with a zero value
            ks = self.sink_k.to(x.dtype).repeat_interleave(rep, 0)
            sk = (qh * ks[None, :, None, :]).sum(-1, keepdim=True) / math.sqrt(self.Dh)
            y = torch.softmax(torch.cat([sk, s], -1), -1)[..., 1:] @ vh
        else:
            y = torch.softmax(s, -1) @ vh
        y = y.transpose(1, 2)
        if self.use_xsa:
            y = self._xsa(y, v)
        return F.linear(y.reshape(B, T, D), o_w)


class GatedDeltaNet(nn.Module):
    """Record 1.0785's GDN mixer (recurrent form here; the record uses the chunked
    kernel): fused q|k|v projection with a depthwise causal conv, ELU+1 on q and
    k, SiLU on v, L2-normalized q and k, beta and decay per value head, output
    gated by SiLU(z) without a norm."""
    def __init__(self, a):
        super().__init__()
        D = a["MODEL_DIM"]
        self.Hk, self.Hv = a["GDN_NUM_HEADS"], a["GDN_NUM_V_HEADS"]
        self.Dk, self.Dw = a["GDN_HEAD_DIM"], a["GDN_V_HEAD_DIM"]
        C = 2 * self.Hk * self.Dk + self.Hv * self.Dw
        self.in_proj_qkv = nn.Linear(D, C, bias=False)
        self.in_proj_z = nn.Linear(D, self.Hv * self.Dw, bias=False)
        self.in_proj_b = nn.Linear(D, self.Hv, bias=False)
        self.in_proj_a = nn.Linear(D, self.Hv, bias=False)
        self.conv1d = nn.Conv1d(C, C, a["GDN_CONV_SIZE"], groups=C, bias=False)
        self.A_log = nn.Parameter(torch.zeros(self.Hv))
        self.dt_bias = nn.Parameter(torch.zeros(self.Hv))
        self.out_proj = nn.Linear(self.Hv * self.Dw, D, bias=False)

    def forward(self, x, w=None, v_embed=None):
        B, T, _ = x.shape
        K = self.conv1d.weight.shape[-1]
        c = F.conv1d(F.pad(self.in_proj_qkv(x).transpose(1, 2), (K - 1, 0)),
                     self.conv1d.weight, groups=self.conv1d.weight.shape[0]).transpose(1, 2)
        hk = self.Hk * self.Dk
        q = (F.elu(c[..., :hk]) + 1).view(B, T, self.Hk, self.Dk)
        k = (F.elu(c[..., hk:2 * hk]) + 1).view(B, T, self.Hk, self.Dk)
        v = F.silu(c[..., 2 * hk:]).view(B, T, self.Hv, self.Dw)
        q = q / torch.sqrt((q * q).sum(-1, keepdim=True) + 1e-6) / math.sqrt(self.Dk)
        k = k / torch.sqrt((k * k).sum(-1, keepdim=True) + 1e-6)
        rep = self.Hv // self.Hk
        q, k = q.repeat_interleave(rep, 2), k.repeat_interleave(rep, 2)
        beta = torch.sigmoid(self.in_proj_b(x))
        g = -self.A_log.exp() * F.softplus(self.in_proj_a(x) + self.dt_bias)
        S = x.new_zeros(B, self.Hv, self.Dk, self.Dw)
        out = []
        for t in range(T):
            S = g[:, t].exp()[..., None, None] * S
            err = v[:, t] - torch.einsum("nhkw,nhk->nhw", S, k[:, t])
            S = S + beta[:, t, :, None, None] * k[:, t, ..., None] * err[..., None, :]
            out.append(torch.einsum("nhkw,nhk->nhw", S, q[:, t]))
        o = torch.stack(out, 1) * F.silu(self.in_proj_z(x).view(B, T, self.Hv, self.Dw))
        return self.out_proj(o.reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, a, banked):
        super().__init__()
        D = a["MODEL_DIM"]
        if not banked:
            self.fc = nn.Linear(D, a["MLP_MULT"] * D, bias=False)
            self.proj = nn.Linear(a["MLP_MULT"] * D, D, bias=False)

    def forward(self, x, w=None):
        up, down = w if w is not None else (self.fc.weight, self.proj.weight)
        return F.linear(F.leaky_relu(F.linear(x, up), 0.5).square(), down)


class Block(nn.Module):
    def __init__(self, a, i, banked, gdn, parallel):
        super().__init__()
        D = a["MODEL_DIM"]
        self.attn_norm, self.mlp_norm = RMSNorm(), RMSNorm()
        self.attn = GatedDeltaNet(a) if gdn else CausalSelfAttention(a, banked)
        self.mlp = MLP(a, banked)
        self.attn_scale = nn.Parameter(torch.ones(D))
        self.mlp_scale = nn.Parameter(torch.ones(D))
        self.resid_mix = nn.Parameter(torch.stack((torch.ones(D), torch.zeros(D))))
        self.ln_scale_factor = 1 / math.sqrt(i + 1) if a["LN_SCALE"] else 1.0
        self.parallel = parallel

    def forward(self, x, x0, w_attn=None, w_mlp=None, v_embed=None):
        mix = self.resid_mix.to(x.dtype)
        x_in = mix[0] * x + mix[1] * x0
        f = self.ln_scale_factor
        a = self.attn_scale * self.attn(self.attn_norm(x_in) * f, w_attn, v_embed=v_embed)
        if self.parallel:  # GPT-J style: both branches read x_in
            return x_in + a + self.mlp_scale * self.mlp(self.mlp_norm(x_in) * f, w_mlp)
        x_out = x_in + a
        return x_out + self.mlp_scale * self.mlp(self.mlp_norm(x_out) * f, w_mlp)


class SmearGate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gate = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        g = torch.sigmoid(self.gate.to(x.dtype))
        return (1 - g) * x + g * torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)


class BigramHashEmbedding(nn.Module):
    def __init__(self, n, d, D):
        super().__init__()
        self.n = n
        self.embed = nn.Embedding(n, d)
        self.proj = nn.Linear(d, D, bias=False) if d != D else None
        self.scale = nn.Parameter(torch.tensor(0.05))

    def forward(self, ids):
        t = ids.to(torch.int32)
        h = torch.empty_like(t)
        h[..., 0] = self.n - 1
        h[..., 1:] = torch.bitwise_xor(36313 * t[..., 1:], 27191 * t[..., :-1]) % (self.n - 1)
        e = self.embed(h.long())
        e = self.proj(e) if self.proj is not None else e
        return e * self.scale.to(e.dtype)


class ValueEmbedding(nn.Module):
    def __init__(self, V, d, kv_dim):
        super().__init__()
        self.embed = nn.Embedding(V, d)
        self.proj = nn.Linear(d, kv_dim, bias=False) if d != kv_dim else None
        self.scale = nn.Parameter(torch.tensor(0.1))

    def forward(self, ids):
        e = self.embed(ids)
        e = self.proj(e) if self.proj is not None else e
        return e * self.scale.to(e.dtype)


def int_list(s):
    return [int(v) for v in str(s).split(",") if v.strip()]


class GPT(nn.Module):
    """1.1531 (banked=True): matrices in qo_bank/kv_bank/mlp_*_bank, bigram, smear,
    value embedding, U-Net skips between first occurrences of blocks. 1.0785: one
    Linear per matrix, GDN blocks, attention sinks, gated skips over the looped
    layer sequence."""
    def __init__(self, a, record):
        super().__init__()
        self.a, self.record = a, record
        n, D, V = a["NUM_LAYERS"], a["MODEL_DIM"], a["VOCAB_SIZE"]
        H, G = a["NUM_HEADS"], a["NUM_KV_HEADS"]
        kv = G * (D // H)
        self.banked = record == "1.1531"
        gdn = set(int_list(a.get("GDN_LAYERS", "")))
        prs = a["PARALLEL_RESIDUAL_START"]
        par = [(prs < 0 and self.banked) or 0 <= prs <= i for i in range(n)]
        self.tok_emb = nn.Embedding(V, D)
        self.bigram = (BigramHashEmbedding(a["BIGRAM_VOCAB_SIZE"], a["BIGRAM_DIM"], D)
                       if a.get("BIGRAM_VOCAB_SIZE", 0) > 0 else None)
        self.smear = SmearGate(D) if self.banked else None
        lo, hi, loops = a["LOOP_START"], a["LOOP_END"], a["NUM_LOOPS"]
        self.layers = (list(range(lo)) + list(range(lo, hi + 1)) * (loops + 1)
                       + list(range(hi + 1, n)))
        m = n if self.banked else len(self.layers)
        self.num_encoder_layers = m // 2
        P = min(m // 2, m - m // 2)
        self.skip_weights = nn.Parameter(torch.ones(P, D))
        self.skip_gates = nn.Parameter(torch.zeros(P, D)) if a.get("SKIP_GATES") else None
        if self.banked:
            F_ = a["MLP_MULT"] * D
            self.qo_bank = nn.Parameter(torch.empty(2 * n, D, D))
            self.kv_bank = nn.Parameter(torch.empty(2 * n, kv, D))
            self.mlp_up_bank = nn.Parameter(torch.empty(n, F_, D))
            self.mlp_down_bank = nn.Parameter(torch.empty(n, D, F_))
        self.blocks = nn.ModuleList(Block(a, i, self.banked, i in gdn, par[i]) for i in range(n))
        for i in range(max(0, n - a.get("XSA_LAST_N", 0)), n):
            if i not in gdn:
                self.blocks[i].attn.use_xsa = True
        self.ve_layer_indices = int_list(a.get("VE_LAYERS", "")) if a.get("VE_ENABLED") else []
        if self.ve_layer_indices:
            self.ve_shared = ValueEmbedding(V, a["VE_DIM"], kv)
            self.ve_layer_scales = nn.ParameterList(
                nn.Parameter(torch.ones(1)) for _ in self.ve_layer_indices)
        self.final_norm = RMSNorm()
        self.logit_softcap = a["LOGIT_SOFTCAP"]

    def _weights(self, i):
        if not self.banked:
            return None, None
        n = self.a["NUM_LAYERS"]
        return ((self.qo_bank[i], self.kv_bank[i], self.kv_bank[n + i], self.qo_bank[n + i]),
                (self.mlp_up_bank[i], self.mlp_down_bank[i]))

    def _skip(self, x, j, s):
        a = self.skip_weights[j].to(x.dtype) * s
        if self.skip_gates is None:
            return x + a
        return torch.lerp(a, x, torch.sigmoid(self.skip_gates[j].to(x.dtype)))

    def forward_logits(self, ids):
        x = self.tok_emb(ids)
        if self.bigram is not None:
            x = x + self.bigram(ids)
        x = rms_norm(x)
        if self.smear is not None:
            x = self.smear(x)
        x0, skips, seen = x, [], set()
        ve = self.ve_shared(ids) if self.ve_layer_indices else None
        ne = self.num_encoder_layers
        for pos, i in enumerate(self.layers):
            # 1.1531 pairs blocks (first occurrences), 1.0785 positions in self.layers
            first = i not in seen
            seen.add(i)
            key, on = (i, first) if self.banked else (pos, True)
            if on and key >= ne and skips:
                x = self._skip(x, key - ne, skips.pop())
            v = None
            if i in self.ve_layer_indices:
                v = ve * self.ve_layer_scales[self.ve_layer_indices.index(i)].to(x.dtype)
            wa, wm = self._weights(i)
            x = self.blocks[i](x, x0, wa, wm, v_embed=v)
            if on and key < ne:
                skips.append(x)
        logits = F.linear(self.final_norm(x), self.tok_emb.weight)
        return self.logit_softcap * torch.tanh(logits / self.logit_softcap)


# ---------------------------------------------------------------------------
# Random weights and the records' two saved forms
# ---------------------------------------------------------------------------

def randomize(model, seed):
    """Every parameter random (the records' zero/one inits would hide mistakes);
    the banks and the embedding rounded through bf16, as the records save them."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            fan = p.shape[-1] if p.dim() >= 2 else 4
            if name.endswith(("A_log", "dt_bias")):
                p.copy_(torch.rand(p.shape, generator=g) - 0.5)
            elif p.dim() >= 2 and not name.endswith(("resid_mix", "skip_weights", "skip_gates")):
                p.copy_(torch.randn(p.shape, generator=g) * (4 / math.sqrt(fan)))
            else:
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
            if "bank" in name or name == "tok_emb.weight":
                p.copy_(p.to(torch.bfloat16).float())


def state_dict_as_saved(model):
    """torch.save form: the banks and tok_emb in bf16 (as the records keep them)."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for k in sd:
        if "bank" in k or k == "tok_emb.weight":
            sd[k] = sd[k].to(torch.bfloat16)
    return sd


def unbank(sd, n):
    out = {}
    for k, t in sd.items():
        if k == "qo_bank":
            for i in range(n):
                out["blocks.%d.attn.c_q.weight" % i], out["blocks.%d.attn.proj.weight" % i] = \
                    t[i], t[n + i]
        elif k == "kv_bank":
            for i in range(n):
                out["blocks.%d.attn.c_k.weight" % i], out["blocks.%d.attn.c_v.weight" % i] = \
                    t[i], t[n + i]
        elif k in ("mlp_up_bank", "mlp_down_bank"):
            for i in range(n):
                out["blocks.%d.mlp.%s.weight" % (i, "fc" if "up" in k else "proj")] = t[i]
        else:
            out[k] = t
    return out


def quantize_int6_per_row(t, clip_range=31):
    """The records' int6: per row the clip (among percentiles) with the least
    squared error, fp16 scales clamped below at 1/31, integers in [-31, 31]."""
    t32 = t.float()
    best = None
    for pct in (0.9990, 0.9995, 0.9999, 0.99999, 1.0):
        clip = torch.quantile(t32.abs(), pct, dim=1) if pct < 1 else t32.abs().amax(1)
        s = (clip / clip_range).clamp_min(1.0 / clip_range).to(torch.float16)
        q = torch.clamp(torch.round(t32 / s.float()[:, None]), -clip_range, clip_range)
        err = (t32 - q * s.float()[:, None]).pow(2).mean().item()
        if best is None or err < best[2]:
            best = (q.to(torch.int8), s, err)
    return best[0], best[1]


def quantize_int8_per_row(t):
    t32 = t.float()
    clip = torch.quantile(t32.abs(), 0.9999984, dim=1)
    s = (clip / 127.0).clamp_min(1.0 / 127.0)
    q = torch.clamp(torch.round(torch.clamp(t32, -clip[:, None], clip[:, None]) / s[:, None]),
                    -127, 127)
    return q.to(torch.int8), s.to(torch.float16)


def quantize_state(sd):
    """{"w": ..., "m": ...} as the records build it: attention/MLP matrices int6,
    other large matrices int8, small tensors passed through in fp16."""
    w, m = {}, {}
    for name, t in sd.items():
        t = t.detach().contiguous()
        if t.numel() <= INT6_MIN_NUMEL or not t.is_floating_point():
            w[name] = t.to(torch.float16) if t.is_floating_point() else t
            m[name] = "passthrough"
            continue
        int6 = ".attn." in name or ".mlp." in name
        q, s = quantize_int6_per_row(t) if int6 else quantize_int8_per_row(t)
        w[name + ".q"], w[name + ".scale"] = q, s
        m[name] = {"type": "int6" if int6 else "int8"}
    return {"w": w, "m": m}


def compress(raw, codec):
    if codec == "lzma":
        return lzma.compress(raw, preset=6)
    return subprocess.run(["brotli", "-c", "-q", "11"], input=raw, stdout=subprocess.PIPE,
                          check=True).stdout


def dequantized(q):
    out = {}
    for name, info in q["m"].items():
        if info == "passthrough":
            out[name] = q["w"][name].float()
        else:
            out[name] = q["w"][name + ".q"].float() * q["w"][name + ".scale"].float()[:, None]
    return out


def load_unbanked(model, sd):
    """Loads an unbanked state dict into a (possibly banked) model."""
    n = model.a["NUM_LAYERS"]
    if model.banked:
        sd = dict(sd)
        g = lambda fmt: [sd.pop(fmt % i) for i in range(n)]
        sd["qo_bank"] = torch.stack(g("blocks.%d.attn.c_q.weight") + g("blocks.%d.attn.proj.weight"))
        sd["kv_bank"] = torch.stack(g("blocks.%d.attn.c_k.weight") + g("blocks.%d.attn.c_v.weight"))
        sd["mlp_up_bank"] = torch.stack(g("blocks.%d.mlp.fc.weight"))
        sd["mlp_down_bank"] = torch.stack(g("blocks.%d.mlp.proj.weight"))
    model.load_state_dict({k: v.float() for k, v in sd.items()})


def make(record, out):
    a = dict(RECORDS[record])
    torch.manual_seed(0)
    model = GPT(a, record)
    randomize(model, seed=11 if record == "1.1531" else 12)
    os.makedirs(out, exist_ok=True)
    json.dump(a, open(os.path.join(out, "env.json"), "w"), indent=1)
    sd = state_dict_as_saved(model)
    torch.save(sd, os.path.join(out, "model.pt"))
    rng = np.random.default_rng(3)
    T = 40
    ids = rng.integers(0, a["VOCAB_SIZE"], T)
    ids[20:23] = ids[5:8]
    open(os.path.join(out, "ids"), "w").write(" ".join(map(str, ids)) + "\n")
    x = torch.tensor(ids)[None]
    with torch.no_grad():
        model.double().forward_logits(x)[0].numpy().tofile(os.path.join(out, "logits.f64"))
    q = quantize_state(unbank(sd, a["NUM_LAYERS"]))
    buf = io.BytesIO()
    torch.save(q, buf)
    open(os.path.join(out, "final_model.ptz"), "wb").write(compress(buf.getvalue(),
                                                                    a["COMPRESSOR"]))
    load_unbanked(model, dequantized(q))
    with torch.no_grad():
        model.double().forward_logits(x)[0].numpy().tofile(os.path.join(out, "logits_q.f64"))
    torch.save(q, os.path.join(out, "quant_plain.pt"))  # for the layout check


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "make" or sys.argv[2] not in RECORDS:
        sys.exit(__doc__)
    make(sys.argv[2], sys.argv[3])
