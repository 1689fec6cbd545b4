#!/usr/bin/env bash
# cli_conventions.sh: the two front ends behave alike.
#  - --version on both; every command's --help exits 0, shows defaults one way
#    ("(default X)") and ends with an example; -m names the model wherever one
#    is read, -o|--output|--out the file wherever one is written.
#  - The same flag takes the same values everywhere (--threads, --seed).
#  - Output paths are checked before any work: a missing directory fails at
#    once with "cannot write PATH: ..." naming the user's path.
#  - What is printed must be written: stdout on a full disk fails (exit 1),
#    for every command; files are still written.
#  - Every command that writes a file says "wrote PATH: what".
#  - Messages name the real problem: a file of another kind, an empty input,
#    weights a checkpoint does not hold.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=tools/data/model/nano.tart

for prog in "$TITAN" "$TITAN_TRAIN"; do
    has "^${prog##*/} [0-9]" "$prog" --version || fail "$prog --version"
    cmds=$("$prog" --help | awk 'NR > 2 && NF { print $1 }')
    [ -n "$cmds" ] || fail "$prog --help lists no commands"
    for c in $cmds; do
        help=$("$prog" "$c" --help) || fail "$prog $c --help exits non-zero"
        grep -q '^example: ' <<<"$help" || fail "$prog $c --help has no example"
        ! grep -qi '(default:' <<<"$help" || fail "$prog $c: '(default: X)', not '(default X)'"
        ! grep -qE '^  -.* \([0-9][0-9.x]*\)$' <<<"$help" || fail "$prog $c: a bare '(N)' default"
    done
done
for c in run eval logits tokenize detokenize inspect plan export tpu; do
    has '^  -m|--model' "$TITAN" $c --help || fail "titan $c takes no -m"
done
for c in init pack export logits; do
    has '-o|--output|--out' "$TITAN" $c --help || fail "titan $c: no -o|--output|--out"
done
for c in tokenizer train grad plot export; do
    has '-o|--output|--out' "$TITAN_TRAIN" $c --help || fail "titan-train $c: no -o|--output|--out"
done

# Same limits: 256 threads and 2^53 - 1 as a seed pass parsing (then the
# missing model fails with 1), one more is a usage error (2).
for c in "$TITAN run" "$TITAN eval --text $M" "$TITAN plan" "$TITAN logits --ids x -o $T/l"; do
    exits 1 $c -m "$T/none.tart" --threads 256 || fail "$c --threads 256"
    exits 2 $c -m "$T/none.tart" --threads 257 || fail "$c --threads 257"
done
exits 1 "$TITAN_TRAIN" train --config "$T/none.json" -o "$T/c" --train x --val x \
    --tokenizer x --threads 256 || fail "train --threads 256"
exits 2 "$TITAN_TRAIN" train --config "$T/none.json" -o "$T/c" --threads 257 ||
    fail "train --threads 257"
for c in "$TITAN run -m $T/none.tart" "$TITAN init --preset nano -o $T/nodir/x"; do
    exits 1 $c --seed 9007199254740991 || fail "$c --seed 2^53-1"
    exits 2 $c --seed 9007199254740992 || fail "$c --seed 2^53"
done

# Output paths first: each fails before reading its (missing) input.
"$TITAN" init --preset nano --seed 1 -o "$T/nano.tart" >/dev/null
echo "256 100 101" >"$T/ids"
out=$T/nodir/out
for c in "$TITAN init --preset nano -o $out" \
         "$TITAN pack --safetensors $T/none.st --config $T/none.json --tokenizer $T/none -o $out" \
         "$TITAN pack --ckpt $T/none.ckpt -o $out" \
         "$TITAN export $T/nano.tart --safetensors $out" \
         "$TITAN export $T/nano.tart --safetensors $T/w.st --config-out $out" \
         "$TITAN logits -m $T/nano.tart --ids $T/ids -o $out" \
         "$TITAN plan --preset nano --config-out $out" \
         "$TITAN run -m $T/nano.tart -n 1 --backend tpu --tpu-report $out" \
         "$TITAN_TRAIN tokenizer --vocab 300 -i $T/none.txt -o $out" \
         "$TITAN_TRAIN grad --safetensors $T/none --config $T/none --ids $T/ids -o $out" \
         "$TITAN_TRAIN plot $T/none.jsonl -o $out" \
         "$TITAN_TRAIN export $T/none.ckpt -o $out"; do
    exits 1 $c || fail "$c"
    grep -q "cannot write $out: directory $T/nodir: No such file or directory" <<<"$stderr" ||
        fail "$c says '$stderr'"
done
[ ! -e "$T/w.st" ] || fail "export wrote its tensors before finding the config path bad"

# stdout on a full disk
full_fails() { # full_fails CMD: CMD (a string) with stdout on /dev/full exits 1, says why
    local rc=0
    $1 >/dev/full 2>"$T/err" || rc=$?
    [ $rc = 1 ] || fail "$1 >/dev/full exits $rc, want 1"
    grep -q "cannot write standard output: No space left on device" "$T/err" ||
        fail "$1 >/dev/full says '$(cat "$T/err")'"
}
for c in "$TITAN eval -m $M --text $T/ids --ctx 8 --stride 8" "$TITAN inspect $M" \
         "$TITAN run -m $M -p hello -n 8 --seed 1" "$TITAN tokenize -m $M -f $T/ids" "$TITAN detokenize -m $M -f $T/ids" \
         "$TITAN plan --preset nano --json" "$TITAN --help" "$TITAN_TRAIN --version"; do
    full_fails "$c"
done

# Messages that name the real problem
printf 'just some text\n' >"$T/text.txt"
: >"$T/empty.txt"
"$TITAN" export "$T/nano.tart" --safetensors "$T/w.st" >/dev/null
expect_msg() { # expect_msg CODE PATTERN CMD...
    local code=$1 pattern=$2
    shift 2
    exits "$code" "$@" || fail "$*"
    grep -q -- "$pattern" <<<"$stderr" || fail "$*: '$stderr' does not say '$pattern'"
}
expect_msg 1 "$T/nano.tart is a Titan artifact, not a Titan tokenizer (TOK) file" \
    "$TITAN" init --preset nano --tokenizer "$T/nano.tart" -o "$T/x.tart"
expect_msg 1 "$T/nano.tart is a Titan artifact, not a Titan tokenizer (TOK) file" \
    "$TITAN_TRAIN" train --config "$T/w.config.json" --tokenizer "$T/nano.tart" \
    --train "$T/text.txt" --val "$T/text.txt" -o "$T/c.ckpt"
expect_msg 1 "$T/text.txt is a text file, not a safetensors file" \
    "$TITAN" pack --safetensors "$T/text.txt" --config "$T/w.config.json" --tokenizer "$T/w.tok" -o "$T/x.tart"
expect_msg 1 "$T/text.txt is a text file, not a titan-train checkpoint" \
    "$TITAN" pack --ckpt "$T/text.txt" -o "$T/x.tart"
expect_msg 1 "$T/text.txt is a text file, not a titan-train checkpoint" \
    "$TITAN_TRAIN" export "$T/text.txt" -o "$T/x.st"
expect_msg 1 "$T/w.tok is a Titan tokenizer (TOK) file, not a Titan artifact" \
    "$TITAN" run -m "$T/w.tok" -p hi
expect_msg 1 "$T/w.st is a safetensors file, not a Titan artifact" "$TITAN" inspect "$T/w.st"
expect_msg 1 "$T/text.txt is a text file, not a SentencePiece model" \
    "$TITAN" eval -m "$T/nano.tart" --shards "$T/ids" --spm "$T/text.txt"
expect_msg 1 "$T/text.txt is a text file, not a JSON file" \
    "$TITAN" init --config "$T/text.txt" -o "$T/x.tart"
expect_msg 1 "nothing to evaluate: $T/empty.txt is empty" \
    "$TITAN" eval -m "$T/nano.tart" --text "$T/empty.txt"
for i in $(seq 1 80); do echo "line $i of some training text"; done >"$T/train.txt"
"$TITAN_TRAIN" tokenizer --vocab 260 -i "$T/train.txt" -o "$T/tok" >/dev/null
expect_msg 1 "validation data $T/empty.txt holds no tokens (an empty file?)" \
    "$TITAN_TRAIN" train --config "$T/w.config.json" --tokenizer "$T/tok" \
    --train "$T/train.txt" --val "$T/empty.txt" -o "$T/c.ckpt" --seq 16
"$TITAN_TRAIN" train --config "$T/w.config.json" --tokenizer "$T/tok" --train "$T/train.txt" \
    --val "$T/train.txt" -o "$T/c.ckpt" --seq 16 --batch 1 --steps 2 --val-every 0 >/dev/null
expect_msg 1 "$T/c.ckpt has no ema weights (trained without --ema); it holds raw" \
    "$TITAN" pack --ckpt "$T/c.ckpt" --weights ema -o "$T/x.tart"
expect_msg 1 "$T/c.ckpt has no swa weights (trained without --swa-every); it holds raw" \
    "$TITAN_TRAIN" export "$T/c.ckpt" --weights swa -o "$T/x.st"
# stdout on a full disk, the commands that write files: each fails (exit 1),
# and the training run still leaves its checkpoint.
rm -f "$T/c.ckpt"
for c in "$TITAN init --preset nano --seed 1 -o $T/f.tart" \
         "$TITAN export $T/f.tart --safetensors $T/f.st" \
         "$TITAN pack --safetensors $T/f.st --config $T/f.config.json --tokenizer $T/f.tok -o $T/g.tart" \
         "$TITAN logits -m $T/f.tart --ids $T/ids -o $T/l.bin" \
         "$TITAN_TRAIN tokenizer --vocab 260 -i $T/train.txt -o $T/tok2" \
         "$TITAN_TRAIN train --config $T/w.config.json --tokenizer $T/tok --train $T/train.txt \
             --val $T/train.txt -o $T/c.ckpt --log $T/c.jsonl --seq 16 --batch 1 --steps 2" \
         "$TITAN_TRAIN plot $T/c.jsonl -o $T/c.svg" "$TITAN_TRAIN export $T/c.ckpt -o $T/c.st"; do
    full_fails "$c"
done
[ -s "$T/c.ckpt" ] && [ -s "$T/c.st" ] || fail "the files were not written beside a full stdout"
# Every command that writes a file says so: "wrote PATH: what".
said() { # said PATH CMD...: CMD names PATH in a wrote line (stdout or stderr)
    local path=$1 out
    shift
    out=$("$@" 2>&1) || fail "$*: $out"
    grep -q "^wrote $path: ." <<<"$out" || fail "$* does not say it wrote $path: $out"
}
mkdir "$T/w"
said "$T/w/a.tart" "$TITAN" init --preset nano --seed 1 -o "$T/w/a.tart"
for f in a.st a.config.json a.tok; do
    said "$T/w/$f" "$TITAN" export "$T/w/a.tart" --safetensors "$T/w/a.st"
done
said "$T/w/b.tart" "$TITAN" pack --safetensors "$T/w/a.st" --config "$T/w/a.config.json" \
    --tokenizer "$T/w/a.tok" -o "$T/w/b.tart"
said "$T/w/l.bin" "$TITAN" logits -m "$T/w/a.tart" --ids "$T/ids" -o "$T/w/l.bin"
said "$T/w/p.json" "$TITAN" plan --preset nano --config-out "$T/w/p.json"
said "$T/w/r.txt" "$TITAN" run -m "$T/w/a.tart" -p hi -n 1 --backend tpu --tpu-report "$T/w/r.txt"
said "$T/w/t.tok" "$TITAN_TRAIN" tokenizer --vocab 260 -i "$T/train.txt" -o "$T/w/t.tok"
for f in c.ckpt c.jsonl; do
    said "$T/w/$f" "$TITAN_TRAIN" train --config "$T/w.config.json" --tokenizer "$T/tok" \
        --train "$T/train.txt" --val "$T/train.txt" -o "$T/w/c.ckpt" --log "$T/w/c.jsonl" \
        --seq 16 --batch 1 --steps 2
    rm "$T/w/c.jsonl"
done
said "$T/w/c.svg" "$TITAN_TRAIN" plot "$T/c.jsonl" -o "$T/w/c.svg"
for f in e.st e.json e.tok; do
    said "$T/w/$f" "$TITAN_TRAIN" export "$T/c.ckpt" -o "$T/w/e.st" --config-out "$T/w/e.json" \
        --tokenizer-out "$T/w/e.tok"
done
printf '%s\n' 256 100 101 102 >"$T/w/ids"
said "$T/w/g.st" "$TITAN_TRAIN" grad --safetensors "$T/w/e.st" --config "$T/w/e.json" \
    --ids "$T/w/ids" -o "$T/w/g.st"
echo "cli conventions ok"
