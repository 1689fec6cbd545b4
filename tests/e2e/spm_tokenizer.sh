#!/usr/bin/env bash
# spm_tokenizer.sh: a SentencePiece .model as the artifact's tokenizer. Titan's
# encoder and decoder give libsentencepiece's ids and text (python3-
# sentencepiece) on 600 random texts each (ASCII, digits, whitespace runs,
# NFKC, other Unicode, controls and NUL, malformed UTF-8, empty, long runs)
# for models trained here with spm_train: the golf settings, the defaults,
# and identity normalization with user-defined pieces and whitespace kept. A
# record-shaped golf model imported and packed with its .model: inspect names
# the tokenizer, tokenize/detokenize agree with SentencePiece, run generates,
# and eval --text gives the val_bpb of the PyTorch model + sentencepiece.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
command -v spm_train >/dev/null || skip "spm_train missing (tools/install-deps.sh --test)"
$PY -c 'import sentencepiece, torch' 2>/dev/null || skip "python3-sentencepiece or torch missing"

# spm_batch against this build's library (sanitized like it, when it is).
san=
if nm "$BUILD/libtitan.a" 2>/dev/null | grep __asan_ >/dev/null; then # all read: no SIGPIPE
    san="-fsanitize=address,undefined"
fi
cc -std=c11 -D_DEFAULT_SOURCE -O1 -g $san -Iinclude tests/e2e/lib/spm_batch.c \
    "$BUILD/libtitan.a" -llzma -lbrotlienc -lbrotlidec -lpthread -lm -o "$T/spm_batch"

cat README.md core/*.c >"$T/train.txt"
printf 'Ｆｕｌｌ ｗｉｄｔｈ ﬁ ① ㎏ ½ café naïve 東京 Ω\n' >>"$T/train.txt"
train() { # NAME FLAGS...: a BPE model trained on train.txt
    local name=$1
    shift
    (cd "$T" && spm_train --input=train.txt --model_prefix="$name" --model_type=bpe \
        --minloglevel=1 "$@" >/dev/null 2>&1) || fail "spm_train $name"
}
train golf --vocab_size=1024 --character_coverage=0.999 --byte_fallback=true \
    --split_digits=true --normalization_rule_name=nmt_nfkc --add_dummy_prefix=false \
    --pad_id=0 --bos_id=1 --eos_id=2 --unk_id=3 --hard_vocab_limit=false
train dflt --vocab_size=400
train user --vocab_size=450 --user_defined_symbols='foo,the model,ＡＩ' \
    --normalization_rule_name=identity --remove_extra_whitespaces=false --byte_fallback=true
for m in golf dflt user; do
    $PY tests/ref/spm_encode_check.py "$T/spm_batch" "$T/$m.model" --n 600 ||
        fail "$m.model: Titan's SentencePiece encoding differs from libsentencepiece"
done

# A golf model with its tokenizer packed in.
d=$T/rec
$PY tests/ref/golf_record_model.py make 1.1531 "$d" || fail "record model"
$PY tools/golf/import_golf.py "$d/model.pt" --env "$d/env.json" -o "$d/f.st" \
    --config-out "$d/f.json" --spm "$T/golf.model" --tokenizer-out "$d/tok.model" \
    >/dev/null 2>&1 || fail "import"
cmp -s "$T/golf.model" "$d/tok.model" || fail "--spm --tokenizer-out did not copy the model"
"$TITAN" pack --safetensors "$d/f.st" --config "$d/f.json" --tokenizer "$d/tok.model" \
    --quant f32 -o "$d/f.tart" >/dev/null || fail "pack with a .model"
has 'SentencePiece' "$TITAN" inspect "$d/f.tart" || fail "inspect does not name the tokenizer"
has '"tokenizer_kind": *"sentencepiece"' "$TITAN" inspect "$d/f.tart" --json ||
    fail "inspect --json tokenizer_kind"
{ head -c 2500 README.md; printf '\nＦｕｌｌ  ｗｉｄｔｈ\t\tﬁ ½ 12345 café\n'; } >"$T/eval.txt"
"$TITAN" tokenize -m "$d/f.tart" -f "$T/eval.txt" >"$T/ids"
$PY -c 'import sys, sentencepiece as s
sp = s.SentencePieceProcessor(model_file=sys.argv[1])
want = sp.encode(open(sys.argv[2], "rb").read())
got = [int(x) for x in open(sys.argv[3]).read().split()]
sys.exit(got != want)' "$T/golf.model" "$T/eval.txt" "$T/ids" || fail "titan tokenize differs"
"$TITAN" detokenize -m "$d/f.tart" -f "$T/ids" >"$T/back"
$PY -c 'import sys, sentencepiece as s
sp = s.SentencePieceProcessor(model_file=sys.argv[1])
want = sp.decode([int(x) for x in open(sys.argv[2]).read().split()]).encode()
sys.exit(open(sys.argv[3], "rb").read() != want)' "$T/golf.model" "$T/ids" "$T/back" ||
    fail "titan detokenize differs from SentencePiece's decode"
"$TITAN" run -m "$d/f.tart" -p 'The model' -n 8 --greedy >"$T/run.txt" || fail "titan run"
[ -s "$T/run.txt" ] || fail "titan run wrote nothing"
"$TITAN" eval -m "$d/f.tart" --text "$T/eval.txt" --ctx 64 --stride 32 --json >"$T/eval.json" ||
    fail "titan eval --text"
$PY tests/ref/golf_spm_eval.py "$d" 1.1531 "$T/golf.model" "$T/eval.txt" 64 32 >"$T/ref.json"
$PY -c 'import json, sys
t, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("spm_tokenizer: val_bpb titan %.6f, PyTorch + sentencepiece %.6f; tokens %d/%d, "
      "bytes %d/%d, decoded bytes %d/%d" % (t["val_bpb"], r["val_bpb"], t["tokens"],
      r["tokens"], t["bytes"], r["bytes"], t["decoded_bytes"], r["decoded_bytes"]))
ok = (abs(t["val_bpb"] - r["val_bpb"]) <= 1e-4 * abs(r["val_bpb"]) and
      t["tokens"] == r["tokens"] and t["bytes"] == r["bytes"])
sys.exit(not ok)' "$T/eval.json" "$T/ref.json" || fail "val_bpb differs from the reference"
echo "spm_tokenizer: SentencePiece models encode and decode as libsentencepiece; a golf model runs with its .model"
