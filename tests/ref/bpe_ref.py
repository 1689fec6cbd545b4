#!/usr/bin/python3
"""bpe_ref.py: an independent, deliberately plain reference of Titan's
byte-level BPE, written from the rules in include/titan.h (pre-tokenization,
encoding) and tools/train/bpe_train.h (training), to check the C code.

  bpe_ref.py encode TOK FILE        print FILE's ids as `titan tokenize` does
  bpe_ref.py train VOCAB FILE TOK   write the TOK file `titan-train tokenizer`
                                    should write (slow: small texts only)
"""
import struct
import sys
import zlib

CHUNK_MAX = 256
BOS = 256


def byte_class(c):
    if c >= 0x80 or ord('a') <= c <= ord('z') or ord('A') <= c <= ord('Z'):
        return 'letter'
    if ord('0') <= c <= ord('9'):
        return 'digit'
    if c in b' \t\n\v\f\r':
        return 'space'
    return 'other'


def chunks(text):
    """Split bytes into pre-tokenization chunks."""
    out, i = [], 0
    while i < len(text):
        rest = text[i:]
        if rest[0] == 0x20 and len(rest) > 1 and byte_class(rest[1]) == 'letter':
            n = 1
            while n < len(rest) and byte_class(rest[n]) == 'letter':
                n += 1
        else:
            cls = byte_class(rest[0])
            n = 1
            while n < len(rest) and byte_class(rest[n]) == cls:
                n += 1
            if (cls == 'space' and n >= 2 and n < len(rest) and rest[n - 1] == 0x20
                    and byte_class(rest[n]) == 'letter'):
                n -= 1
        n = min(n, CHUNK_MAX)
        out.append(rest[:n])
        i += n
    return out


def read_tok(path):
    data = open(path, 'rb').read()
    assert data[:4] == b'TTOK'
    version, n, flags = struct.unpack('<III', data[4:16])
    assert version == 1 and flags == 0
    assert zlib.crc32(data[:-4]) == struct.unpack('<I', data[-4:])[0]
    return [struct.unpack('<II', data[16 + 8 * i:24 + 8 * i]) for i in range(n)]


def write_tok(path, merges):
    body = b'TTOK' + struct.pack('<III', 1, len(merges), 0)
    body += b''.join(struct.pack('<II', l, r) for l, r in merges)
    open(path, 'wb').write(body + struct.pack('<I', zlib.crc32(body)))


def encode_chunk(ranks, chunk):
    syms = list(chunk)
    while True:
        best = None
        for i in range(len(syms) - 1):
            r = ranks.get((syms[i], syms[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return syms
        r, i = best
        syms[i:i + 2] = [257 + r]


def encode(merges, text):
    ranks = {}
    for r, pair in enumerate(merges):
        ranks.setdefault(pair, r)
    memo, ids = {}, []
    for c in chunks(text):
        if c not in memo:
            memo[c] = encode_chunk(ranks, c)
        ids += memo[c]
    return ids


def train(text, n_merges):
    words = {}
    for c in chunks(text):
        words[c] = words.get(c, 0) + 1
    seqs = [(list(w), n) for w, n in words.items()]
    merges = []
    while len(merges) < n_merges:
        counts = {}
        for s, n in seqs:
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + n
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        new = 257 + len(merges)
        merges.append(pair)
        for s, _ in seqs:
            i = 0
            while i < len(s) - 1:
                if (s[i], s[i + 1]) == pair:
                    s[i:i + 2] = [new]
                i += 1
    return merges


def main(argv):
    if len(argv) == 4 and argv[1] == 'encode':
        ids = encode(read_tok(argv[2]), open(argv[3], 'rb').read())
        if ids:
            print(' '.join(map(str, ids)))
    elif len(argv) == 5 and argv[1] == 'train':
        write_tok(argv[4], train(open(argv[3], 'rb').read(), int(argv[2]) - 257))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
