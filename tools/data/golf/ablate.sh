#!/usr/bin/env bash
# ablate.sh: what each parameter-golf technique buys on the local golf data
# (`make golf-ablate`; not part of the test suite). The golf-cpu preset is
# trained for one fixed step budget (a step count, so results do not depend on
# the host's load) on the SP-1024 shards (build_data.sh), packed (mixed
# int6/int8/f16, GPTQ, Brotli) and scored on the validation shards (shard
# mode, stride 64); then each technique is added alone to that baseline, and
# all of them together:
#   tokenizer  BESE-288 (titan-train tokenizer --kind bese) shards, own run
#   tilt       n-gram table (titan-train ngram) packed, titan eval --tilt BETA,
#              BETA chosen on a held-apart piece of the training text
#   ttt        titan eval --ttt (score-first test-time training, defaults)
#   hadamard   titan pack --hadamard (attention v/o rotation)
#   fsplit     titan pack --embed-split N --embed-counts SHARD (skipped when
#              the binary does not know the flag)
#   late QAT   --qat int6 --qat-start QAT_START --qat-tensors 'blocks.*.w*', own run
#   all        BESE + late QAT run, packed with every pack switch, tilt + ttt
# Runs that only change pack or eval reuse the baseline checkpoint. Writes
# OUT/ablation.md (the table, settings, data sha256) and OUT/ablation.tsv; on
# the corpus (no DATA) also tools/data/golf/ABLATION.md.
#   STEPS [1200]  BATCH [8]  SEQ [255]  THREADS [2]  OUT [build/golf-ablate]
#   EVAL_TOKENS: score only the first N validation targets (unset: all)
#   TUNE_DOCS [1000]: last training paragraphs held apart (tilt's beta, GPTQ
#   calibration) and left out of the n-gram tables
#   BETAS ["0.5 1 1.5 2 3"]  EMBED_SPLIT [256]  QAT_START [0.85]
#   TTT_FLAGS: extra titan eval --ttt flags (default none: eval_ttt.h's)
#   DATA: text for a quick smoke run instead of the corpus (train = all but
#   its last 200 paragraphs, val = those)
set -euo pipefail
cd "$(dirname "$0")/../../.."
STEPS=${STEPS:-1200} BATCH=${BATCH:-8} SEQ=${SEQ:-255} THREADS=${THREADS:-2}
OUT=${OUT:-build/golf-ablate} BUILD=${BUILD:-build} TUNE_DOCS=${TUNE_DOCS:-1000}
BETAS=${BETAS:-"0.5 1 1.5 2 3"} EMBED_SPLIT=${EMBED_SPLIT:-256}
QAT_START=${QAT_START:-0.85} TTT_FLAGS=${TTT_FLAGS:-}
titan=$BUILD/titan train=$BUILD/titan-train
[ -x "$titan" ] && [ -x "$train" ] || { echo "ablate: build $BUILD first (make)" >&2; exit 1; }
mkdir -p "$OUT"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
t_start=$(date +%s)

# ---------------------------------------------------------------- data
documents() { LC_ALL=C awk 'BEGIN { RS = "" } { gsub(/\n/, " "); print }' "$1"; }
if [ -n "${DATA:-}" ]; then
    documents "$DATA" >"$OUT/all.docs"
    head -n -200 "$OUT/all.docs" >"$OUT/train.docs"
    tail -n 200 "$OUT/all.docs" >"$OUT/val.docs"
    for split in train val; do # paragraphs again, as build_data.sh reads them
        awk '{ print; print "" }' "$OUT/$split.docs" >"$OUT/$split.txt"
    done
    BUILD=$BUILD tools/data/golf/build_data.sh -o "$OUT/golf" --vocab 1024 \
        --train "$OUT/train.txt" --val "$OUT/val.txt" >"$OUT/data.log"
    golf=$OUT/golf
else
    golf=build/golf
    if [ ! -s "$golf/sp1024/golf_val_000000.bin" ]; then
        log "golf data (build_data.sh --vocab 1024)"
        BUILD=$BUILD tools/data/golf/build_data.sh --vocab 1024 >"$OUT/data.log"
    fi
    documents build/corpus/train.txt >"$OUT/train.docs"
    documents build/corpus/val.txt >"$OUT/val.docs"
fi
spm=$golf/sp1024.model
head -n -"$TUNE_DOCS" "$OUT/train.docs" >"$OUT/fit.docs" # n-gram tables
tail -n "$TUNE_DOCS" "$OUT/train.docs" >"$OUT/tune.docs" # beta, GPTQ calibration

# shards_of KIND SPLIT: OUT/KIND/SPLIT_*.bin from OUT/SPLIT.docs
shards_of() {
    local kind=$1 split=$2
    mkdir -p "$OUT/$kind"
    rm -f "$OUT/$kind/${split}"_*.bin
    if [ "$kind" = sp ]; then
        spm_encode --model="$spm" --output_format=id <"$OUT/$split.docs" |
            $train shards --ids - --vocab 1024 -o "$OUT/sp/$split" >/dev/null
    else
        $titan tokenize --tokenizer "$OUT/bese.tok" -f "$OUT/$split.docs" --lines |
            $train shards --ids - --vocab 288 --bos 39 -o "$OUT/bese/$split" >/dev/null
    fi
}
log "held-apart and n-gram shards (SP-1024)"
shards_of sp tune
shards_of sp fit
log "BESE-288 tokenizer and shards"
$train tokenizer --kind bese --vocab 288 -i "$OUT/train.docs" -o "$OUT/bese.tok" >/dev/null
for split in train val tune fit; do shards_of bese "$split"; done

# ------------------------------------------------------------ training
python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["vocab_size"] = 288; c["bos_id"] = 39
json.dump(c, open(sys.argv[2], "w"), indent=1)' tools/configs/golf-cpu.json "$OUT/golf-cpu-bese.json"
# run NAME KIND [flags...]: train the golf-cpu preset on KIND's shards
run() {
    local name=$1 kind=$2 cfg=tools/configs/golf-cpu.json tok=$spm train_glob val_glob t0
    shift 2
    if [ "$kind" = bese ]; then
        cfg=$OUT/golf-cpu-bese.json tok=$OUT/bese.tok
        train_glob="$OUT/bese/train_*.bin" val_glob="$OUT/bese/val_*.bin"
    else
        train_glob="$golf/sp1024/golf_train_*.bin" val_glob="$golf/sp1024/golf_val_*.bin"
    fi
    log "train $name: $STEPS steps ($kind$([ $# -gt 0 ] && echo " $*"))"
    t0=$(date +%s)
    $train train --config "$cfg" --tokenizer "$tok" --train-shards "$train_glob" \
        --val-shards "$val_glob" -o "$OUT/$name.ckpt" --steps "$STEPS" --batch "$BATCH" \
        --seq "$SEQ" --threads "$THREADS" --seed 1 --val-every 0 --log-every 100 \
        --log "$OUT/$name.jsonl" "$@" </dev/null >"$OUT/$name.train.log" 2>&1 ||
        { tail -n 20 "$OUT/$name.train.log" >&2; exit 1; }
    echo "$(($(date +%s) - t0))" >"$OUT/$name.train_s"
}
qat=(--qat int6 --qat-start "$QAT_START" --qat-tensors 'blocks.*.w*')
run base sp
run bese bese
run qat sp "${qat[@]}"
run all bese "${qat[@]}"

# ---------------------------------------------------------------- pack
fsplit_known=false
$titan pack --help 2>&1 | grep -q -- '--embed-split' && fsplit_known=true
# pack NAME CKPT KIND [flags...]: mixed int6/int8, GPTQ on the held-apart text, Brotli
pack() {
    local name=$1 ckpt=$2 kind=$3
    shift 3
    log "pack $name"
    $titan pack --ckpt "$OUT/$ckpt.ckpt" --quant mixed --method gptq \
        --calib "$OUT/tune.docs" --codec brotli -o "$OUT/$name.tart" "$@" \
        >"$OUT/$name.pack.log" 2>&1 || { tail -n 20 "$OUT/$name.pack.log" >&2; exit 1; }
}
# the n-gram tables, from the training paragraphs but the held-apart ones
$train ngram --shards "$OUT/sp/fit_*.bin" --vocab 1024 -o "$OUT/sp.ngram" >/dev/null
$train ngram --shards "$OUT/bese/fit_*.bin" --vocab 288 -o "$OUT/bese.ngram" >/dev/null
fsplit_sp=(--embed-split "$EMBED_SPLIT" --embed-counts "$golf/sp1024/golf_train_000000.bin")
fsplit_bese=(--embed-split "$EMBED_SPLIT" --embed-counts "$OUT/bese/train_000000.bin")
pack base base sp
pack tilt base sp --ngram "$OUT/sp.ngram"
pack hadamard base sp --hadamard
$fsplit_known && pack fsplit base sp "${fsplit_sp[@]}"
pack bese bese bese
pack qat qat sp
all_pack=(--ngram "$OUT/bese.ngram" --hadamard)
$fsplit_known && all_pack+=("${fsplit_bese[@]}")
pack all all bese "${all_pack[@]}"

# ---------------------------------------------------------------- eval
# evaluate NAME KIND SPLIT [flags...]: titan eval --json on KIND's SPLIT shards
evaluate() {
    local name=$1 kind=$2 split=$3 glob spm_flag=()
    shift 3
    if [ "$kind" = bese ]; then
        glob="$OUT/bese/${split}_*.bin"
    elif [ "$split" = val ]; then
        glob="$golf/sp1024/golf_val_*.bin" spm_flag=(--spm "$spm")
    else
        glob="$OUT/sp/${split}_*.bin" spm_flag=(--spm "$spm")
    fi
    $titan eval -m "$OUT/$name.tart" --shards "$glob" "${spm_flag[@]}" --ctx $((SEQ + 1)) \
        --stride 64 --threads "$THREADS" --json \
        ${EVAL_TOKENS:+--max-tokens "$EVAL_TOKENS"} "$@" 2>"$OUT/$name.eval.err"
}
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# best_beta NAME KIND: the BETAS value with the lowest tilted val_bpb on the
# held-apart shards
best_beta() {
    local name=$1 kind=$2 best= best_bpb= b v
    for b in $BETAS; do
        v=$(field "$(evaluate "$name" "$kind" tune --tilt "$b")" tilt_val_bpb)
        log "tilt $name: beta $b on the held-apart text: $v" >&2
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $v < $best_bpb)"; then
            best=$b best_bpb=$v
        fi
    done
    echo "$best"
}
beta_sp=$(best_beta tilt sp)
beta_bese=$(best_beta all bese)
tsv=$OUT/ablation.tsv
printf 'technique\tval_bpb\tbytes\tnote\n' >"$tsv"
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$tsv"; }
size() { stat -c %s "$OUT/$1.tart"; }
log "eval base (+ tilt beta $beta_sp, + ttt)"
j=$(evaluate tilt sp val --tilt "$beta_sp" --ttt $TTT_FLAGS)
echo "$j" >"$OUT/tilt.eval.json"
base_bpb=$(field "$j" val_bpb)
row "baseline (SP-1024, mixed int6 GPTQ, brotli)" "$base_bpb" "$(size base)" \
    "$(field "$j" tokens) tokens, $(field "$j" bytes) bytes"
bese_eval=$(evaluate bese bese val)
row "+ BESE-288 tokenizer" "$(field "$bese_eval" val_bpb)" "$(size bese)" \
    "own run; $(field "$bese_eval" tokens) tokens, $(field "$bese_eval" bytes) bytes"
row "+ n-gram tilt" "$(field "$j" tilt_val_bpb)" "$(size tilt)" "beta $beta_sp"
row "+ TTT" "$(field "$j" ttt_val_bpb)" "$(size base)" \
    "$(field "$j" ttt_chunks) chunks, $(field "$j" ttt_epochs) epochs, lr $(field "$j" ttt_lr), $(field "$j" ttt_train_seconds) s training"
log "eval hadamard"
row "+ Hadamard v/o" "$(field "$(evaluate hadamard sp val)" val_bpb)" "$(size hadamard)" ""
if $fsplit_known; then
    log "eval fsplit"
    row "+ frequency-split embedding" "$(field "$(evaluate fsplit sp val)" val_bpb)" \
        "$(size fsplit)" "$EMBED_SPLIT int8 rows"
else
    row "+ frequency-split embedding" "skipped: not built" "" ""
fi
log "eval qat"
row "+ late QAT" "$(field "$(evaluate qat sp val)" val_bpb)" "$(size qat)" \
    "own run; int6 from $QAT_START of the steps"
log "eval all (+ tilt beta $beta_bese, + ttt)"
j=$(evaluate all bese val --tilt "$beta_bese" --ttt $TTT_FLAGS)
echo "$j" >"$OUT/all.eval.json"
row "all together" "$(field "$j" ttt_tilt_val_bpb)" "$(size all)" \
    "BESE + late QAT run; hadamard$($fsplit_known && echo ", fsplit") + tilt beta $beta_bese + TTT (without TTT: $(field "$j" tilt_val_bpb))"

# ---------------------------------------------------------------- report
python3 - "$tsv" "$OUT/ablation.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
base = rows[0]
out = ["| technique | val_bpb | delta | artifact bytes | delta bytes | note |",
       "|---|---|---|---|---|---|"]
for r in rows:
    try:
        v = float(r["val_bpb"]); d = v - float(base["val_bpb"])
        vs, ds = "%.4f" % v, ("%+.4f" % d if r is not base else "")
    except ValueError:
        vs, ds = r["val_bpb"], ""
    if r["bytes"]:
        b = int(r["bytes"]); bd = b - int(base["bytes"])
        bs, bds = "{:,}".format(b), ("{:+,}".format(bd) if r is not base else "")
    else:
        bs = bds = ""
    out.append("| %s | %s | %s | %s | %s | %s |" % (r["technique"], vs, ds, bs, bds, r["note"]))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
{
    echo
    echo "steps $STEPS, batch $BATCH x $SEQ, threads $THREADS, seed 1; eval ctx $((SEQ + 1)) stride 64${EVAL_TOKENS:+, first $EVAL_TOKENS targets}"
    for n in base bese qat all; do
        echo "train $n: $(cat "$OUT/$n.train_s") s"
    done
    echo "total $(($(date +%s) - t_start)) s; host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "data sha256:"
    (cd "$golf" && sha256sum sp1024.model sp1024/*.bin)
    (cd "$OUT" && sha256sum bese.tok tune.docs fit.docs sp.ngram bese.ngram)
} | tee -a "$OUT/ablation.md"
if [ -z "${DATA:-}" ]; then
    { echo "# Golf ablation (tools/data/golf/ablate.sh)"; echo; cat "$OUT/ablation.md"; } \
        >tools/data/golf/ABLATION.md
fi
