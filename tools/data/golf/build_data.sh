#!/usr/bin/env bash
# build_data.sh [-o OUTDIR] [--vocab "1024 8192"] [--train FILE --val FILE]
# parameter-golf data without downloads: for each vocabulary size a
# SentencePiece BPE model trained with the golf settings (Debian's spm_train:
# byte_fallback, split_digits, nmt_nfkc, no dummy prefix, pad/bos/eos/unk =
# 0/1/2/3, character coverage 0.999) on the training text, and that text and
# the validation text as .bin shards (SPEC section 3): OUTDIR/spV.model,
# OUTDIR/spV/golf_train_NNNNNN.bin and golf_val_NNNNNN.bin. A document is a
# paragraph (text between blank lines), BOS first, its line breaks read as
# spaces (what nmt_nfkc makes of them). The texts default to the default
# model's corpus (tools/data/build_corpus.sh, built into build/corpus when
# missing). Deterministic: prints the sha256 of every file it wrote.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/golf vocabs="1024 8192" train= val=
while [ $# -gt 0 ]; do
    case $1 in
    -o) out=$2 ;;
    --vocab) vocabs=$2 ;;
    --train) train=$2 ;;
    --val) val=$2 ;;
    *) echo "usage: $0 [-o OUTDIR] [--vocab \"1024 8192\"] [--train FILE --val FILE]" >&2
       exit 2 ;;
    esac
    shift 2 || { echo "$0: $1 needs a value" >&2; exit 2; }
done
BUILD=${BUILD:-build}
command -v spm_train >/dev/null && command -v spm_encode >/dev/null || {
    echo "build_data: spm_train/spm_encode missing (apt-get install sentencepiece)" >&2; exit 1; }
[ -x "$BUILD/titan-train" ] || { echo "build_data: build $BUILD/titan-train first (make)" >&2; exit 1; }
if [ -z "$train" ]; then
    [ -s build/corpus/train.txt ] || tools/data/build_corpus.sh build/corpus
    train=build/corpus/train.txt val=build/corpus/val.txt
fi
[ -n "$val" ] || { echo "build_data: --train needs --val" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# documents FILE: one paragraph per line, its line breaks as spaces.
documents() { LC_ALL=C awk 'BEGIN { RS = "" } { gsub(/\n/, " "); print }' "$1"; }
documents "$train" >"$tmp/train.docs"
documents "$val" >"$tmp/val.docs"

for v in $vocabs; do
    echo "== vocabulary $v"
    # relative names: the model stores its trainer's settings, paths included
    (cd "$tmp" && spm_train --input=train.docs --model_prefix="sp$v" --model_type=bpe \
        --vocab_size="$v" --character_coverage=0.999 --byte_fallback=true \
        --split_digits=true --normalization_rule_name=nmt_nfkc --add_dummy_prefix=false \
        --pad_id=0 --bos_id=1 --eos_id=2 --unk_id=3 --hard_vocab_limit=false \
        --num_threads="$(nproc)" --minloglevel=1 >spm_train.log 2>&1) || {
        tail -n 20 "$tmp/spm_train.log" >&2; exit 1; }
    mv "$tmp/sp$v.model" "$out/sp$v.model"
    rm -rf "$out/sp$v" && mkdir -p "$out/sp$v"
    for split in train val; do
        spm_encode --model="$out/sp$v.model" --output_format=id <"$tmp/$split.docs" |
            "$BUILD/titan-train" shards --ids - --vocab "$v" -o "$out/sp$v/golf_$split"
    done
done
(cd "$out" && sha256sum ./*.model ./sp*/*.bin)
