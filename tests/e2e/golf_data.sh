#!/usr/bin/env bash
# golf_data.sh: tools/data/golf/build_data.sh makes parameter-golf data from
# local text: the same bytes on a second run; shards that hold, per paragraph,
# BOS and the ids Python's sentencepiece gives that paragraph with the same
# model (tests/ref, an independent encoder and shard reader); `titan-train
# shards` cuts at --shard-tokens exactly and refuses bad ids by line and
# column; the shards train a model and `titan eval --shards --spm` scores them.
. "$(dirname "$0")/lib/common.sh"
command -v spm_train >/dev/null || skip "spm_train (sentencepiece) not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat core/*.c README.md >"$T/train.txt"
cp tools/data/golf/README.md "$T/val.txt"
build() { BUILD=$BUILD tools/data/golf/build_data.sh -o "$1" --vocab "400 700" \
    --train "$T/train.txt" --val "$T/val.txt"; }
build "$T/a" >"$T/a.log" || fail "build_data: $(tail -n 5 "$T/a.log")"
build "$T/b" >"$T/b.log" || fail "build_data, second run"
grep -c '  \./' "$T/a.log" | grep -qx 6 || fail "expected 6 hashes: $(cat "$T/a.log")"
diff <(grep '  \./' "$T/a.log") <(grep '  \./' "$T/b.log") >/dev/null ||
    fail "a second run wrote different bytes"

/usr/bin/python3 - "$T" <<'PY' || fail "shards differ from sentencepiece's encoding"
import re, sys
import numpy as np
import sentencepiece as spm
T = sys.argv[1]
def shard(path):
    h = np.fromfile(path, "<i4", 256)
    assert (h[0], h[1]) == (20240520, 1), h[:3]
    t = np.fromfile(path, "<u2", offset=1024)
    assert len(t) == h[2], (len(t), h[2])
    return t.tolist()
for v in (400, 700):
    sp = spm.SentencePieceProcessor(model_file="%s/a/sp%d.model" % (T, v))
    assert sp.vocab_size() == v and (sp.pad_id(), sp.bos_id(), sp.eos_id(), sp.unk_id()) == (0, 1, 2, 3)
    assert sp.piece_to_id("<0x00>") != sp.unk_id()      # byte fallback
    for split in ("train", "val"):
        text = open("%s/%s.txt" % (T, split), encoding="utf-8").read()
        want = []
        for doc in re.split(r"\n\n+", text.strip("\n")):
            want += [1] + sp.encode(doc.replace("\n", " "))
        got = shard("%s/a/sp%d/golf_%s_000000.bin" % (T, v, split))
        assert got == want, (v, split, len(got), len(want))
        print("sp%d %s: %d tokens, %d documents, equal" % (v, split, len(got), want.count(1)))
PY

# Cut at --shard-tokens: the pieces concatenate to the whole.
spm_encode --model="$T/a/sp400.model" --output_format=id <"$T/val.txt" >"$T/ids"
"$TITAN_TRAIN" shards --ids "$T/ids" --vocab 400 -o "$T/cut" --shard-tokens 1000 >"$T/cut.log" ||
    fail "shards --shard-tokens 1000"
n=$(ls "$T"/cut_*.bin | wc -l)
[ "$n" -ge 2 ] || fail "expected several shards, got $n"
for f in "$T"/cut_*.bin; do tail -c +1025 "$f"; done >"$T/cut.tokens"
for f in "$T"/cut_00000[0-$((n - 2))].bin; do
    [ "$(stat -c %s "$f")" = $((1024 + 2000)) ] || fail "$f is not 1000 tokens"
done
"$TITAN_TRAIN" shards --ids "$T/ids" --vocab 400 -o "$T/whole" >/dev/null
tail -c +1025 "$T/whole_000000.bin" | cmp -s - "$T/cut.tokens" || fail "cut shards != whole"
grep -q "^wrote $T/cut_000000.bin: 1000 tokens$" "$T/cut.log" || fail "says: $(head -1 "$T/cut.log")"

# Refusals, each naming the problem.
printf '5 6\n7 x 8\n' >"$T/bad"
exits 1 "$TITAN_TRAIN" shards --ids "$T/bad" --vocab 400 -o "$T/bad" || fail "bad id"
grep -q "line 2, column 3: not a token id below 400" <<<"$stderr" || fail "says '$stderr'"
printf '5 400\n' >"$T/big"
exits 1 "$TITAN_TRAIN" shards --ids "$T/big" --vocab 400 -o "$T/big" || fail "id >= vocab"
grep -q "line 1, column 3" <<<"$stderr" || fail "says '$stderr'"
printf '\n \n' >"$T/empty"
exits 1 "$TITAN_TRAIN" shards --ids "$T/empty" --vocab 400 -o "$T/empty" || fail "no docs"
grep -q "no document" <<<"$stderr" || fail "says '$stderr'"
exits 2 "$TITAN_TRAIN" shards --ids "$T/ids" --vocab 400 --bos 400 -o "$T/x" || fail "--bos"
exits 1 "$TITAN_TRAIN" shards --ids "$T/ids" --vocab 400 -o "$T/no/such/dir/x" || fail "dir"

# The golf workflow: train on the shards, score the validation shards.
cat >"$T/cfg.json" <<'EOF'
{"vocab_size": 400, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 32,
 "conv_kernel": 0, "n_unique_blocks": 2, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 64, "yarn_beta_fast": 32.0,
 "yarn_beta_slow": 1.0, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5,
 "logit_softcap": 30.0, "attention": "gqa", "mlp_act": "leaky_relu2"}
EOF
"$TITAN" init --config "$T/cfg.json" -o "$T/r.tart" >/dev/null
"$TITAN" export "$T/r.tart" --safetensors "$T/r.st" >/dev/null
"$TITAN_TRAIN" train --config "$T/cfg.json" --tokenizer "$T/r.tok" \
    --train-shards "$T/a/sp400/golf_train_*.bin" --val-shards "$T/a/sp400/golf_val_*.bin" \
    -o "$T/m.ckpt" --steps 3 --batch 2 --seq 32 --threads 1 --val-every 3 --log "$T/log" \
    >"$T/train.log" 2>&1 || fail "training on shards: $(tail -n 5 "$T/train.log")"
"$TITAN_TRAIN" export "$T/m.ckpt" -o "$T/m.st" --config-out "$T/m.json" >/dev/null
"$TITAN" pack --safetensors "$T/m.st" --config "$T/m.json" --tokenizer "$T/r.tok" \
    --quant f32 -o "$T/m.tart" >/dev/null
"$TITAN" eval -m "$T/m.tart" --shards "$T/a/sp400/golf_val_*.bin" --spm "$T/a/sp400.model" \
    --ctx 64 --stride 32 --json >"$T/eval.json" || fail "eval on the val shards"
/usr/bin/python3 - "$T/eval.json" <<'PY' || fail "eval: $(cat "$T/eval.json")"
import json, math, sys
e = json.load(open(sys.argv[1]))
assert e["tokens"] > 1000 and e["bytes"] > e["tokens"] and 0 < e["val_bpb"] < 20, e
assert math.isfinite(e["val_bpb"]), e
print("val shards: %d tokens, %d bytes, val_bpb %.4f" % (e["tokens"], e["bytes"], e["val_bpb"]))
PY
echo "golf data ok"
