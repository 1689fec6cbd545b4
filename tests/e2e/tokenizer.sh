#!/usr/bin/env bash
# tokenizer.sh: titan-train tokenizer -> titan tokenize -> titan detokenize
# gives back the input byte for byte; ids and merges match the independent
# Python reference (tests/ref/bpe_ref.py); bad flags exit 2, bad data exit 1.
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
ref=tests/ref/bpe_ref.py
py=/usr/bin/python3

# Texts built here: English-like prose, code-like text, and hostile bytes
# (invalid UTF-8, NUL, runs longer than a chunk).
$py - "$dir" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(7)
words = "the of and a to in is you that it he was for on are as with his they at be this from have or by one had not".split()
prose = ' '.join(r.choice(words) + r.choice(['', '', ',', '.', '!\n']) for _ in range(6000))
open(d + '/prose.txt', 'w').write(prose + ' caf\u00e9 na\u00efve \u65e5\u672c\u8a9e\n')
code = ''.join('    if (x%d == %d) { return y[%d]; }\n\tz += 0x%x;\n' % (i, i * 7, i, i * 31) for i in range(800))
open(d + '/code.txt', 'w').write(code)
junk = bytearray()
for i in range(2000):
    k = r.randrange(5)
    if k == 0: junk += bytes(r.randrange(256) for _ in range(r.randrange(1, 30)))
    elif k == 1: junk += b' ' * r.randrange(1, 600) + b'w'
    elif k == 2: junk += b'ab' * r.randrange(1, 300)
    elif k == 3: junk += b'\x00\xff\xc3' * r.randrange(1, 4)
    else: junk += b'9' * r.randrange(1, 400)
open(d + '/junk.bin', 'wb').write(bytes(junk))
PY
: > "$dir/empty.txt"
cat "$dir/prose.txt" "$dir/code.txt" "$dir/junk.bin" > "$dir/all.bin"

"$TITAN_TRAIN" tokenizer --vocab 600 -i "$dir/all.bin" -o "$dir/a.tok" || fail "train"
"$TITAN_TRAIN" tokenizer --vocab 600 -i "$dir/all.bin" -o "$dir/b.tok" || fail "train again"
cmp -s "$dir/a.tok" "$dir/b.tok" || fail "training is not deterministic"
$py $ref train 600 "$dir/all.bin" "$dir/ref.tok" || fail "reference training"
cmp -s "$dir/a.tok" "$dir/ref.tok" || fail "merges differ from the reference"
"$TITAN_TRAIN" tokenizer --vocab 300 -i "$dir/code.txt" -o "$dir/code.tok" || fail "train code"

for tok in a code; do
    for f in prose.txt code.txt junk.bin empty.txt; do
        "$TITAN" tokenize --tokenizer "$dir/$tok.tok" -f "$dir/$f" > "$dir/ids" ||
            fail "tokenize $f"
        $py $ref encode "$dir/$tok.tok" "$dir/$f" > "$dir/ref.ids" || fail "ref $f"
        cmp -s "$dir/ids" "$dir/ref.ids" || fail "ids of $f ($tok) differ from the reference"
        "$TITAN" detokenize --tokenizer "$dir/$tok.tok" -f "$dir/ids" > "$dir/back" ||
            fail "detokenize $f"
        cmp -s "$dir/back" "$dir/$f" || fail "round trip of $f ($tok)"
    done
done
# stdin works both ways; the vocabulary really compresses prose.
"$TITAN" tokenize --tokenizer "$dir/a.tok" < "$dir/prose.txt" |
    "$TITAN" detokenize --tokenizer "$dir/a.tok" | cmp -s - "$dir/prose.txt" ||
    fail "stdin round trip"
n=$("$TITAN" tokenize --tokenizer "$dir/a.tok" -f "$dir/prose.txt" | wc -w)
[ "$n" -lt $(($(wc -c < "$dir/prose.txt") / 2)) ] || fail "only $n ids for prose"

# -m ART: the tokenizer inside an artifact gives the same ids and bytes.
"$TITAN" init --preset nano --tokenizer "$dir/a.tok" -o "$dir/a.art" > /dev/null || fail "init"
"$TITAN" tokenize -m "$dir/a.art" -f "$dir/junk.bin" > "$dir/ids" || fail "tokenize -m"
"$TITAN" tokenize --tokenizer "$dir/a.tok" -f "$dir/junk.bin" | cmp -s - "$dir/ids" ||
    fail "-m and --tokenizer differ"
"$TITAN" detokenize -m "$dir/a.art" -f "$dir/ids" | cmp -s - "$dir/junk.bin" ||
    fail "detokenize -m"

# Too few pairs: stops early, says so, still writes a valid tokenizer.
printf 'abab' > "$dir/tiny.txt"
"$TITAN_TRAIN" tokenizer --vocab 1000 -i "$dir/tiny.txt" -o "$dir/tiny.tok" 2> "$dir/err" ||
    fail "tiny text"
grep -q 'no adjacent pair left after 2 merges' "$dir/err" || fail "early stop not reported"
[ "$(printf abab | "$TITAN" tokenize --tokenizer "$dir/tiny.tok")" = 258 ] || fail "tiny ids"

# Usage errors exit 2.
expect() { exits "$@" || fail "exit status of ${*:2}"; }
expect 2 "$TITAN_TRAIN" tokenizer --vocab 256 -i "$dir/all.bin" -o "$dir/x.tok"
expect 2 "$TITAN_TRAIN" tokenizer --vocab 65537 -i "$dir/all.bin" -o "$dir/x.tok"
expect 2 "$TITAN_TRAIN" tokenizer --vocab 1e3 -i "$dir/all.bin" -o "$dir/x.tok"
expect 2 "$TITAN_TRAIN" tokenizer -i "$dir/all.bin" -o "$dir/x.tok"
expect 2 "$TITAN_TRAIN" tokenizer --vocab 300 -o "$dir/x.tok"
expect 2 "$TITAN_TRAIN" tokenizer --vocab 300 -i "$dir/all.bin" -o "$dir/x.tok" --bogus
expect 2 "$TITAN" tokenize -f "$dir/prose.txt"
expect 2 "$TITAN" tokenize -m "$dir/a.art" --tokenizer "$dir/a.tok" -f "$dir/prose.txt"
expect 2 "$TITAN" tokenize --tokenizer "$dir/a.tok" --nope
expect 2 "$TITAN" detokenize --tokenizer "$dir/a.tok" extra
# Bad data exits 1: missing files, ids out of range or not numbers, hostile TOK.
expect 1 "$TITAN_TRAIN" tokenizer --vocab 300 -i "$dir/missing" -o "$dir/x.tok"
expect 1 "$TITAN" tokenize --tokenizer "$dir/missing.tok" -f "$dir/prose.txt"
expect 1 "$TITAN" tokenize -m "$dir/a.tok" -f "$dir/prose.txt"
expect 1 "$TITAN" tokenize --tokenizer "$dir/a.tok" -f "$dir/missing.txt"
echo "1 2 600" > "$dir/bad.ids"; expect 1 "$TITAN" detokenize --tokenizer "$dir/a.tok" -f "$dir/bad.ids"
echo "1 -1" > "$dir/bad.ids"; expect 1 "$TITAN" detokenize --tokenizer "$dir/a.tok" -f "$dir/bad.ids"
echo "1 x2" > "$dir/bad.ids"; expect 1 "$TITAN" detokenize --tokenizer "$dir/a.tok" -f "$dir/bad.ids"
echo "599 256" > "$dir/ok.ids"; expect 0 "$TITAN" detokenize --tokenizer "$dir/a.tok" -f "$dir/ok.ids"
for cut in 0 10 16 19 20 21 100 $(($(wc -c < "$dir/a.tok") - 1)); do
    head -c $cut "$dir/a.tok" > "$dir/cut.tok"
    expect 1 "$TITAN" tokenize --tokenizer "$dir/cut.tok" -f "$dir/prose.txt"
done
expect 1 "$TITAN" tokenize --tokenizer "$dir/prose.txt" -f "$dir/prose.txt"
echo "tokenizer ok"
