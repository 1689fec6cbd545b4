#!/usr/bin/python3
"""import_golf.py: a parameter-golf record's saved model -> safetensors + config
JSON for `titan pack` (SPEC section 8 names and conventions).

    import_golf.py MODEL --env ENV.json [--set KEY=VALUE ...] [--record 1.1531|1.0785]
                   -o OUT.safetensors --config-out OUT.json [--tokenizer-out BYTE.tok]

MODEL is what the record's train_gpt.py saved: the float state dict
(torch.save(model.state_dict()), e.g. final_model.pt) or the final quantized
artifact (torch.save({"w": ..., "m": ...}) compressed with LZMA or Brotli, e.g.
final_model.int6.ptz). Quantized tensors are written as NAME.q (I8) and
NAME.scale (F32, one per row), which `titan pack` stores as they are when the
tensor's type is int8/int6 (same integers, same scales) and dequantizes
otherwise; passed-through tensors are written in F32.

The hyper-parameters the tensors do not tell come from the record's
environment variables: ENV.json is an object {"NAME": value} (the record's
defaults for anything missing, see RECORD_DEFAULTS), --set overrides one.
Table (record env var -> SPEC section 8 field):

  NUM_HEADS, NUM_KV_HEADS                        -> n_heads, n_kv_heads
  MODEL_DIM / NUM_HEADS                          -> head_dim, v_head_dim
  (tok_emb's and mlp.fc's shapes)               -> vocab_size, d_model, mlp_hidden
  NUM_LAYERS                                     -> n_unique_blocks (n_recurrences 1)
  ROPE_DIMS (0 = the whole head), ROPE_BASE      -> rope_dim, rope_base
  TRAIN_SEQ_LEN (EVAL_SEQ_LEN if set)            -> max_seq_len, yarn_orig_ctx
  LOGIT_SOFTCAP                                  -> logit_softcap
  LOOP_START, LOOP_END, NUM_LOOPS                -> layer_schedule (blocks LOOP_START..LOOP_END
                                                    run NUM_LOOPS+1 times)
  ENABLE_LOOPING_AT                              -> recurrence_start_frac
  PARALLEL_RESIDUAL_START                        -> parallel_residual_from (negative: every
                                                    block in 1.1531, none in 1.0785)
  LN_SCALE                                       -> ln_scale
  XSA_LAST_N                                     -> xsa_layers (the last N blocks that are
                                                    attention blocks)
  BIGRAM_VOCAB_SIZE, BIGRAM_DIM                  -> bigram_hash {buckets, dim} (0: none)
  VE_ENABLED, VE_DIM, VE_LAYERS                  -> value_embed {dim, layers}
  GDN_LAYERS, GDN_NUM_HEADS, GDN_NUM_V_HEADS,    -> gdn_layers, gdn_heads, gdn_v_heads,
  GDN_HEAD_DIM, GDN_V_HEAD_DIM, GDN_CONV_SIZE       gdn_head_dim, gdn_v_head_dim, gdn_conv_kernel
  LEAKY_SLOPE (default 0.5)                      -> leaky_slope
  (fixed by the records' code)                   -> attention gqa, qk_norm, q_gain, mlp_act
                                                    leaky_relu2, emb_norm, resid_mix, branch_scale,
                                                    norm_eps 2^-23 (torch's float32 default),
                                                    unet_skips mirror_blocks (1.1531) / mirror
                                                    (1.0785), gdn_qk_act elu1
  (from the tensors)                             -> smear_gate, attn_sink "key", skip_gates,
                                                    gdn_out_norm (a GDN attn.norm.weight)

Conventions applied (SPEC section 8, "Importing the records' checkpoints"):
norm gains set to 1 (the records' norms have none); RoPE rotates by -theta in
the records, so dims Dr/2..Dr-1 of every query head's and key group's rows of
wq/wk and the same columns of k_sink are negated; banked matrices split per
block; 0-dim scales become [1]; ve_layer_scales.k goes to block VE_LAYERS[k];
the GDN conv [C, 1, Kc] becomes [C, Kc] and in_proj_b/in_proj_a stack into
gdn_ba. Record 1.1531 builds its RoPE table for 1,024 tokens and rescales the
base beyond, so the imported model matches it up to 1,024 tokens only (a
warning says so).
"""
import argparse
import io
import json
import lzma
import pickle
import struct
import subprocess
import sys

import numpy as np
import torch

RECORD_DEFAULTS = {  # the records' settings (SPEC section 8 presets)
    "1.1531": {"VOCAB_SIZE": 1024, "NUM_LAYERS": 11, "MODEL_DIM": 512, "NUM_HEADS": 8,
               "NUM_KV_HEADS": 4, "MLP_MULT": 3, "ROPE_DIMS": 16, "ROPE_BASE": 10000.0,
               "LOGIT_SOFTCAP": 30.0, "TRAIN_SEQ_LEN": 2048, "XSA_LAST_N": 4,
               "BIGRAM_VOCAB_SIZE": 2048, "BIGRAM_DIM": 128, "VE_ENABLED": 1, "VE_DIM": 128,
               "VE_LAYERS": "9,10", "LN_SCALE": 1, "NUM_LOOPS": 2, "LOOP_START": 3,
               "LOOP_END": 5, "ENABLE_LOOPING_AT": 0.35, "PARALLEL_RESIDUAL_START": 7},
    "1.0785": {"VOCAB_SIZE": 8192, "NUM_LAYERS": 11, "MODEL_DIM": 512, "NUM_HEADS": 8,
               "NUM_KV_HEADS": 4, "MLP_HIDDEN": 2112, "ROPE_DIMS": 16, "ROPE_BASE": 10000.0,
               "LOGIT_SOFTCAP": 20.0, "TRAIN_SEQ_LEN": 4096, "XSA_LAST_N": 11,
               "BIGRAM_VOCAB_SIZE": 0, "VE_ENABLED": 0, "LN_SCALE": 1, "NUM_LOOPS": 2,
               "LOOP_START": 3, "LOOP_END": 5, "ENABLE_LOOPING_AT": 0.4,
               "PARALLEL_RESIDUAL_START": 8, "GDN_LAYERS": "0,1,10", "GDN_NUM_HEADS": 2,
               "GDN_NUM_V_HEADS": 4, "GDN_HEAD_DIM": 64, "GDN_V_HEAD_DIM": 64,
               "GDN_CONV_SIZE": 2},
}


class ImportError_(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading the record's file
# ---------------------------------------------------------------------------

def decompress(raw):
    """LZMA/XZ (magic), else Brotli (no magic: try the brotli module, then the
    brotli command)."""
    if raw[:6] == b"\xfd7zXZ\x00" or raw[:1] == b"\x5d":
        return lzma.decompress(raw)
    try:
        import brotli
        return brotli.decompress(raw)
    except ImportError:
        r = subprocess.run(["brotli", "-d", "-c"], input=raw, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode:
            raise ImportError_("not a torch.save file, LZMA or Brotli (brotli -d: %s)"
                               % r.stderr.decode(errors="replace").strip())
        return r.stdout


def load(path):
    raw = open(path, "rb").read()
    if raw[:2] != b"PK":  # torch.save's zip container
        raw = decompress(raw)
    # weights_only: tensors, dicts, strings and numbers, never arbitrary pickled code
    obj = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    if not isinstance(obj, dict):
        raise ImportError_("%s: expected a state dict or {'w', 'm'}" % path)
    return obj


def unpack_quantized(obj):
    """{"w", "m"} -> (float tensors, {name: (q int8 [rows, cols], scale f32 [rows])})."""
    w, m = obj["w"], obj["m"]
    floats, quant = {}, {}
    for name, info in m.items():
        if isinstance(info, str):  # passthrough, passthrough_ctrl, passthrough_fp16
            floats[name] = w[name].float()
            continue
        q, s = w[name + ".q"], w[name + ".scale"].float()
        if name + ".perm" in w:  # GPTQ act-order: columns back in order
            q = q[:, torch.argsort(w[name + ".perm"])]
        if s.dim() == 0:
            floats[name] = q.float() * s
        elif s.dim() == 1 and q.dim() == 2:
            quant[name] = (q.to(torch.int8), s)
        else:
            raise ImportError_("%s: scales %s (grouped scales are not supported)"
                               % (name, list(s.shape)))
    return floats, quant


def unbank(sd, n):
    """qo_bank = c_q rows then proj, kv_bank = c_k then c_v, one slice per block."""
    names = {"qo_bank": ("attn.c_q", "attn.proj"), "kv_bank": ("attn.c_k", "attn.c_v"),
             "mlp_up_bank": ("mlp.fc",), "mlp_down_bank": ("mlp.proj",)}
    out = {}
    for k, t in sd.items():
        if k not in names:
            out[k] = t
            continue
        for part, sub in enumerate(names[k]):
            for i in range(n):
                out["blocks.%d.%s.weight" % (i, sub)] = t[part * n + i]
    return out


# ---------------------------------------------------------------------------
# Hyper-parameters -> config
# ---------------------------------------------------------------------------

def ints(s):
    """A list setting: "0,1,10" as the records read it, or a JSON list."""
    return [int(v) for v in s] if isinstance(s, list) else [
        int(v) for v in str(s).split(",") if v.strip()]


def sizes_from_tensors(a, floats, quant):
    """VOCAB_SIZE, MODEL_DIM and the MLP width as the tensors have them (they win
    over the settings, so MLP_MULT vs MLP_HIDDEN cannot disagree)."""
    shape = lambda k: (quant[k][0] if k in quant else floats[k]).shape
    a["VOCAB_SIZE"], a["MODEL_DIM"] = shape("tok_emb.weight")
    a["MLP_HIDDEN"] = shape("blocks.0.mlp.fc.weight")[0]


def make_config(a, record, names):
    n, D, H, G = a["NUM_LAYERS"], a["MODEL_DIM"], a["NUM_HEADS"], a["NUM_KV_HEADS"]
    Dh = D // H
    ctx = int(a.get("EVAL_SEQ_LEN") or a["TRAIN_SEQ_LEN"])
    gdn = ints(a.get("GDN_LAYERS", ""))
    lo, hi, loops = a.get("LOOP_START", 0), a.get("LOOP_END", -1), a.get("NUM_LOOPS", 0)
    sched = list(range(n)) if loops <= 0 else (
        list(range(lo)) + list(range(lo, hi + 1)) * (loops + 1) + list(range(hi + 1, n)))
    prs = int(a.get("PARALLEL_RESIDUAL_START", -1))
    c = {
        "vocab_size": a["VOCAB_SIZE"], "d_model": D, "n_heads": H, "n_kv_heads": G,
        "head_dim": Dh, "v_head_dim": Dh, "rope_dim": a.get("ROPE_DIMS", 0) or Dh,
        "q_latent": 0, "kv_latent": 0,
        "mlp_hidden": int(a["MLP_HIDDEN"]), "conv_kernel": 0,
        "n_unique_blocks": n, "n_recurrences": 1, "max_seq_len": ctx,
        "rope_base": float(a.get("ROPE_BASE", 10000.0)), "yarn_factor": 1.0,
        "yarn_orig_ctx": ctx, "yarn_beta_fast": 32.0, "yarn_beta_slow": 1.0,
        "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 2.0 ** -23,
        "logit_softcap": float(a["LOGIT_SOFTCAP"]),
        "layer_schedule": sched,
        "recurrence_start_frac": float(a.get("ENABLE_LOOPING_AT", 0)) if loops > 0 else 0.0,
        "attention": "gqa", "qk_norm": True, "q_gain": True, "mlp_act": "leaky_relu2",
        "leaky_slope": float(a.get("LEAKY_SLOPE", 0.5)),
        "parallel_residual_from": prs if prs >= 0 else (0 if record == "1.1531" else -1),
        "ln_scale": bool(int(a.get("LN_SCALE", 0))),
        "xsa_layers": [b for b in range(max(0, n - int(a.get("XSA_LAST_N", 0))), n)
                       if b not in gdn],
        "emb_norm": True, "resid_mix": True, "branch_scale": True,
        "unet_skips": "mirror_blocks" if record == "1.1531" else "mirror",
        "smear_gate": "smear.gate" in names,
        "skip_gates": "skip_gates" in names,
        "attn_sink": "key" if any(k.endswith("attn.sink_k") for k in names) else "none",
    }
    if int(a.get("BIGRAM_VOCAB_SIZE", 0)) > 0:
        c["bigram_hash"] = {"buckets": int(a["BIGRAM_VOCAB_SIZE"]), "dim": int(a["BIGRAM_DIM"])}
    if int(a.get("VE_ENABLED", 0)):
        c["value_embed"] = {"dim": int(a["VE_DIM"]), "layers": ints(a["VE_LAYERS"])}
    if gdn:
        c.update({"gdn_layers": gdn, "gdn_heads": a["GDN_NUM_HEADS"],
                  "gdn_v_heads": a["GDN_NUM_V_HEADS"], "gdn_head_dim": a["GDN_HEAD_DIM"],
                  "gdn_v_head_dim": a["GDN_V_HEAD_DIM"], "gdn_conv_kernel": a["GDN_CONV_SIZE"],
                  "gdn_qk_act": "elu1",
                  "gdn_out_norm": any(k.endswith("attn.norm.weight") for k in names)})
    return c


# ---------------------------------------------------------------------------
# Names and conventions
# ---------------------------------------------------------------------------

def rope_negate_rows(t, heads, Dh, Dr):
    """Rows Dr/2..Dr-1 of each head of a [heads*Dh, cols] matrix negated (float or
    int8 alike): the records rotate by -theta, SPEC by +theta."""
    t = t.clone()
    v = t.view(heads, Dh, -1)
    v[:, Dr // 2:Dr] *= -1
    return t


class Mapper:
    """Record names -> SPEC names, one rule per record tensor (an unknown name
    stops the import; `titan pack` then checks that every SPEC tensor is there)."""
    def __init__(self, c, a):
        self.c, self.a = c, a
        self.out, self.ba = {}, {}

    def put(self, name, t):
        if name in self.out:
            raise ImportError_("%s produced twice" % name)
        self.out[name] = t

    def block(self, b, rest, t):
        c = self.c
        H, G, Dh, Dr = c["n_heads"], c["n_kv_heads"], c["head_dim"], c["rope_dim"]
        p = "blocks.%d." % b
        simple = {"attn.proj.weight": "wo", "mlp.fc.weight": "w_up", "mlp.proj.weight": "w_down",
                  "attn.c_v.weight": "wv", "attn_scale": "attn_scale", "mlp_scale": "mlp_scale",
                  "resid_mix": "resid_mix", "attn.q_gain": "q_gain",
                  "attn.in_proj_qkv.weight": "gdn_qkv", "attn.in_proj_z.weight": "gdn_z",
                  "attn.out_proj.weight": "gdn_o", "attn.A_log": "gdn_A_log",
                  "attn.dt_bias": "gdn_dt_bias", "attn.norm.weight": "gdn_o_norm"}
        if rest in simple:
            return self.put(p + simple[rest], t)
        if rest in ("attn.c_q.weight", "attn.c_k.weight"):
            q = rest == "attn.c_q.weight"
            return self.put(p + ("wq" if q else "wk"), rope_negate_rows(t, H if q else G, Dh, Dr))
        if rest == "attn.sink_k":
            t = t.clone()
            t[:, Dr // 2:Dr] *= -1
            return self.put(p + "k_sink", t)
        if rest == "attn.conv1d.weight":
            return self.put(p + "gdn_conv", t.reshape(t.shape[0], t.shape[-1]))
        if rest in ("attn.in_proj_b.weight", "attn.in_proj_a.weight"):
            self.ba.setdefault(b, {})[rest[13]] = t
            if len(self.ba[b]) == 2:
                self.put(p + "gdn_ba", torch.cat([self.ba[b]["b"], self.ba[b]["a"]]))
            return None
        raise ImportError_("unknown record tensor blocks.%d.%s" % (b, rest))

    def top(self, name, t):
        simple = {"tok_emb.weight": "tok_emb", "bigram.embed.weight": "bigram.table",
                  "bigram.proj.weight": "bigram.proj", "ve_shared.embed.weight":
                  "value_embed.table", "ve_shared.proj.weight": "value_embed.proj",
                  "smear.gate": "smear_gate", "skip_weights": "skip_weights",
                  "skip_gates": "skip_gates"}
        if name in simple:
            return self.put(simple[name], t)
        if name in ("bigram.scale", "ve_shared.scale"):
            return self.put(name.replace("ve_shared", "value_embed"), t.reshape(1))
        if name.startswith("ve_layer_scales."):
            k = int(name.split(".")[1])
            layers = self.c["value_embed"]["layers"]
            return self.put("blocks.%d.ve_scale" % layers[k], t.reshape(1))
        if name.startswith("blocks."):
            _, b, rest = name.split(".", 2)
            return self.block(int(b), rest, t)
        raise ImportError_("unknown record tensor %s" % name)


# Quantized record tensors whose rows stay rows of one SPEC tensor keep their
# integers and scales; the others (stacked or reshaped) are dequantized.
ROW_KEEPING = ("attn.c_q.weight", "attn.c_k.weight", "attn.c_v.weight", "attn.proj.weight",
               "mlp.fc.weight", "mlp.proj.weight", "attn.in_proj_qkv.weight",
               "attn.in_proj_z.weight", "attn.out_proj.weight", "tok_emb.weight",
               "bigram.embed.weight", "bigram.proj.weight", "ve_shared.embed.weight",
               "ve_shared.proj.weight")


def map_tensors(floats, quant, c, a):
    """SPEC name -> float32 tensor, or (q int8, scale) for quantized ones. The
    RoPE sign flip negates whole rows, so it applies to the integers as they are."""
    m = Mapper(c, a)
    for name, (q, s) in quant.items():
        if not name.endswith(ROW_KEEPING):
            floats[name] = q.float() * s[:, None]
    for name, t in floats.items():
        m.top(name, t.float())
    for name, (q, s) in quant.items():
        if name.endswith(ROW_KEEPING):
            before = set(m.out)
            m.top(name, q)
            (k,) = set(m.out) - before
            m.out[k] = (m.out[k], s)
    D = c["d_model"]
    for b in range(c["n_unique_blocks"]):  # the records' norms have no gain
        m.put("blocks.%d.attn_norm" % b, torch.ones(D))
        m.put("blocks.%d.ffn_norm" % b, torch.ones(D))
    m.put("final_norm", torch.ones(D))
    return m.out


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def write_safetensors(path, tensors):
    """F32 (and I8 for quantized integers) safetensors, names sorted."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype == torch.int8:
            data, dt = t.numpy().astype(np.int8).tobytes(), "I8"
        else:
            data, dt = t.detach().numpy().astype("<f4").tobytes(), "F32"
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def byte_tokenizer():
    """The 257-token byte-level TOK file (bytes + BOS, no merges)."""
    import zlib
    t = b"TTOK" + struct.pack("<III", 1, 0, 0)
    return t + struct.pack("<I", zlib.crc32(t))


def spm_tokenizer(path, c):
    """The record's .model as it is (titan pack reads it), after a look that
    it is one and fits the model's vocabulary."""
    data = open(path, "rb").read()
    if not data or data[0] != 0x0A:
        raise ValueError("%s is not a SentencePiece model" % path)
    try:
        import sentencepiece
        n = sentencepiece.SentencePieceProcessor(model_proto=data).get_piece_size()
        if n > c["vocab_size"]:
            raise ValueError("%s has %d pieces, the model's vocabulary %d"
                             % (path, n, c["vocab_size"]))
    except ImportError:
        pass  # titan pack checks the size too
    return data


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("model", help="the record's .pt state dict or quantized .ptz artifact")
    ap.add_argument("--env", help="JSON object of the record's environment variables")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--record", choices=sorted(RECORD_DEFAULTS),
                    help="the record whose code trained the model (default: 1.0785 if "
                         "the model has GDN or gated skips, else 1.1531)")
    ap.add_argument("-o", "--out", required=True, help="safetensors to write")
    ap.add_argument("--config-out", required=True, help="config JSON to write")
    ap.add_argument("--tokenizer-out", help="write the tokenizer for titan pack: the --spm "
                    "model, else a byte-level TOK file")
    ap.add_argument("--spm", help="the record's SentencePiece .model (SP1024/SP8192), "
                    "packed as the artifact's tokenizer")
    args = ap.parse_args(argv)
    try:
        obj = load(args.model)
        is_q = set(obj) == {"w", "m"}
        floats, quant = unpack_quantized(obj) if is_q else (
            {k: v for k, v in obj.items()}, {})
        names = set(floats) | set(quant)
        record = args.record or ("1.0785" if any("in_proj_qkv" in k for k in names)
                                 or "skip_gates" in names else "1.1531")
        a = dict(RECORD_DEFAULTS[record])
        if args.env:
            a.update(json.load(open(args.env)))
        for kv in args.set:
            k, _, v = kv.partition("=")
            a[k] = json.loads(v) if v.replace(".", "", 1).lstrip("-").isdigit() else v
        floats = unbank(floats, a["NUM_LAYERS"])
        sizes_from_tensors(a, floats, quant)
        c = make_config(a, record, names)
        out = map_tensors(floats, quant, c, a)
        tensors = {}
        for k, v in out.items():
            if isinstance(v, tuple):
                tensors[k + ".q"], tensors[k + ".scale"] = v
            else:
                tensors[k] = v
        write_safetensors(args.out, tensors)
        json.dump(c, open(args.config_out, "w"), indent=1)
        if args.tokenizer_out:
            open(args.tokenizer_out, "wb").write(spm_tokenizer(args.spm, c) if args.spm
                                                  else byte_tokenizer())
        nq = len([k for k in out if isinstance(out[k], tuple)])
        print("import_golf: record %s, %d tensors (%d quantized as they are) -> %s, %s"
              % (record, len(out), nq, args.out, args.config_out))
        if record == "1.1531":
            print("import_golf: note: record 1.1531's RoPE table is built for 1,024 "
                  "tokens and rescaled beyond; the import matches it up to 1,024 tokens",
                  file=sys.stderr)
    except (ImportError_, KeyError, OSError, ValueError, RuntimeError, lzma.LZMAError,
            pickle.UnpicklingError) as e:
        print("import_golf.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
