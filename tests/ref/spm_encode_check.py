#!/usr/bin/python3
"""spm_encode_check.py: Titan's SentencePiece encoder and decoder against
libsentencepiece (Debian's python3-sentencepiece) on many random texts.

spm_encode_check.py BATCH MODEL [--n N] [--seed S]: BATCH is the
tests/e2e/lib/spm_batch binary. Every text's ids must equal
SentencePieceProcessor.encode's, and decode(ids) must equal its decode.
Prints the counts; exits 1 on any difference (the first few are shown)."""
import argparse
import random
import struct
import subprocess
import sys
import tempfile

import sentencepiece as spm

WORDS = ("the of and to in is that for it with as was on be by this are "
         "model token byte value code data file text run eval pack").split()
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2003", " \t ", "\v", "\f"]
NFKC = ("ＡＢＣｘｙｚ０１２３", "ﬁﬂﬀﬃ", "①②⑳", "㎏㎞㍻", "½¼¾", "ℌℍℕ", "²³¹",
        "ⅫⅣ", "ｶﾞｷﾞ", "ㄱㅏ", "\ufdfa", "Å", "e\u0301", "ǆ", "™", "…", "ｰ",
        "\u2581", "\u2581\u2581", "ｔｅｓｔ", "ＡＩ")
UNICODE = ("東京大学", "русский", "العربية", "ελληνικά", "😀🚀", "\u0300\u0301",
           "한국어", "עברית", "ไทย", "\U0001d400", "\ufffd", "café naïve")
BROKEN = (b"\xff", b"\x80", b"\xc3", b"\xe2\x96", b"\xed\xa0\x80", b"\xc0\xaf",
          b"\xf4\x90\x80\x80", b"\xf0\x9f\x98", b"\xef\xbf\xbd", b"\xfe\xfe")


def word(r):
    w = r.choice(WORDS)
    return w.capitalize() if r.random() < 0.2 else w


def piece(r, kind):
    if kind == "ascii":
        return word(r) + r.choice([" ", " ", ", ", ". ", "; ", "\n"])
    if kind == "digits":
        return "".join(r.choice("0123456789") for _ in range(r.randint(1, 12))) + r.choice(" .,x")
    if kind == "space":
        return r.choice(SPACES) * r.randint(1, 4)
    if kind == "nfkc":
        return r.choice(NFKC)
    if kind == "unicode":
        return r.choice(UNICODE)
    if kind == "repeat":  # equal scores side by side: the leftmost pair merges first
        return r.choice("aelost-=*_./#0") * r.randint(2, 9) + r.choice(["", " "])
    if kind == "control":
        return r.choice(["\x00", "\x01", "\x1f", "\x7f", "\u200b", "\ufeff", "\x85"])
    return chr(r.choice([r.randint(0x20, 0x7e), r.randint(0xa0, 0x2fff),
                         r.randint(0x3000, 0xd7ff), r.randint(0xe000, 0x10ffff)]))


KINDS = ["ascii", "digits", "space", "nfkc", "unicode", "control", "random", "repeat"]


def text(r, i):
    """Text i: one kind alone for the first rounds, then mixtures, some long,
    some with malformed UTF-8 bytes spliced in."""
    if i == 0:
        return b""
    kinds = [KINDS[i % len(KINDS)]] if i < 4 * len(KINDS) else KINDS
    n = r.choice([1, 2, 5, 20, 80]) if i % 50 else r.choice([3000, 9000])
    parts = [piece(r, r.choice(kinds)).encode() for _ in range(n)]
    if i % 3 == 0:
        for _ in range(r.randint(1, 3)):
            parts.insert(r.randrange(len(parts) + 1), r.choice(BROKEN))
    if i % 97 == 0:  # a long run no cut can split (core/spm_encode.c: at most
        parts.append(("ab" * r.randint(4000, 6000)).encode())  # SPM_SEGMENT bytes)
    return b"".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("batch")
    ap.add_argument("model")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    r = random.Random(a.seed)
    sp = spm.SentencePieceProcessor(model_file=a.model)
    texts = [text(r, i) for i in range(a.n)]
    with tempfile.TemporaryDirectory() as d:
        with open(d + "/in", "wb") as f:
            for t in texts:
                f.write(struct.pack("<I", len(t)) + t)
        subprocess.run([a.batch, a.model, d + "/in", d + "/out"], check=True)
        lines = open(d + "/out").read().split("\n")
    bad = 0
    ids_ok = dec_ok = 0
    for i, t in enumerate(texts):
        got = [int(x) for x in lines[2 * i].split()]
        got_dec = bytes.fromhex(lines[2 * i + 1])
        want = sp.encode(t)
        want_dec = sp.decode(want).encode("utf-8", "surrogatepass")
        ids_ok += got == want
        dec_ok += got_dec == want_dec
        if (got != want or got_dec != want_dec) and bad < 5:
            print(f"text {i} {t[:120]!r}:\n  titan {got[:40]}\n  spm   {want[:40]}\n"
                  f"  titan decode {got_dec[:80]!r}\n  spm decode   {want_dec[:80]!r}")
        bad += got != want or got_dec != want_dec
    nbytes = sum(len(t) for t in texts)
    print(f"spm_encode_check: {a.model}: {len(texts)} texts ({nbytes} bytes): ids equal "
          f"{ids_ok}/{len(texts)}, decode equal {dec_ok}/{len(texts)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
