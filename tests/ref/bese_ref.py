#!/usr/bin/python3
"""bese_ref.py: a plain reference of Titan's BESE tokenizer, written from the
rules in include/titan.h (alphabet, spelling, byte counts, encoding) and
tools/train/bpe_train.h (literal choice, training), to check the C code.
Chunks are bpe_ref.py's rule, cut to 256 symbols (the rest starts a new
chunk, as a chunk cut at 256 bytes does).

  bese_ref.py encode TOK FILE        print FILE's ids as `titan tokenize` does
  bese_ref.py decode TOK IDS OUT     write the bytes of the ids in IDS
  bese_ref.py train VOCAB FILE TOK   write the file `titan-train tokenizer
                                     --kind bese` should write (small texts)
"""
import struct
import sys
import zlib

import bpe_ref

N_LIT, N_PRE, BOS, BASE = 32, 7, 39, 40


def spelling(literals):
    """byte -> list of base symbols."""
    rest = [c for c in range(256) if c not in literals]
    spell = {c: [literals.index(c)] for c in literals}
    for r, c in enumerate(rest):
        spell[c] = [N_LIT + r // N_LIT, r % N_LIT]
    return spell, rest


def chunks(text, spell):
    """bpe_ref's chunk at each place (it depends on 257 bytes at most), cut
    to 256 symbols; the rest starts a new chunk by the same rules."""
    out, i = [], 0
    while i < len(text):
        c = bpe_ref.chunks(text[i:i + 257])[0]
        n, syms = 0, 0
        while n < len(c) and syms + len(spell[c[n]]) <= 256:
            syms += len(spell[c[n]])
            n += 1
        out.append(c[:n])
        i += n
    return out


def read_tok(path):
    data = open(path, 'rb').read()
    assert data[:4] == b'TBSE'
    version, n, flags = struct.unpack('<III', data[4:16])
    assert version == 1 and flags == 0
    assert zlib.crc32(data[:-4]) == struct.unpack('<I', data[-4:])[0]
    lits = list(data[16:48])
    return lits, [struct.unpack('<II', data[48 + 8 * i:56 + 8 * i]) for i in range(n)]


def write_tok(path, lits, merges):
    body = b'TBSE' + struct.pack('<III', 1, len(merges), 0) + bytes(lits)
    body += b''.join(struct.pack('<II', l, r) for l, r in merges)
    open(path, 'wb').write(body + struct.pack('<I', zlib.crc32(body)))


def symbols(merges, t):
    if t < BASE:
        return [t]
    l, r = merges[t - BASE]
    return symbols(merges, l) + symbols(merges, r)


def decode(lits, merges, ids):
    """Concatenate the symbols, then read them: a prefix waits for a literal."""
    _, rest = spelling(lits)
    out, pend = bytearray(), None
    for t in ids:
        if t == BOS:
            pend = None
            continue
        for s in symbols(merges, t):
            if s >= N_LIT:
                pend = s - N_LIT
            elif pend is None:
                out.append(lits[s])
            else:
                out.append(rest[pend * N_LIT + s])
                pend = None
    return bytes(out)


def encode(lits, merges, text):
    spell, _ = spelling(lits)
    ranks = {}
    for r, pair in enumerate(merges):
        ranks.setdefault(pair, r)
    ids = []
    for c in chunks(text, spell):
        syms = [s for b in c for s in spell[b]]
        while True:
            best = None
            for i in range(len(syms) - 1):
                r = ranks.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            r, i = best
            syms[i:i + 2] = [BASE + r]
        ids += syms
    return ids


def train(text, n_merges):
    count = [text.count(bytes([c])) for c in range(256)]
    lits = sorted(range(256), key=lambda c: (-count[c], c))[:N_LIT]
    spell, _ = spelling(lits)
    words = {}
    for c in chunks(text, spell):
        words[c] = words.get(c, 0) + 1
    seqs = [([s for b in w for s in spell[b]], n) for w, n in words.items()]
    merges = []
    while len(merges) < n_merges:
        counts = {}
        for s, n in seqs:
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + n
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        new = BASE + len(merges)
        merges.append(pair)
        for s, _ in seqs:
            i = 0
            while i < len(s) - 1:
                if (s[i], s[i + 1]) == pair:
                    s[i:i + 2] = [new]
                i += 1
    return lits, merges


def main(argv):
    if len(argv) == 4 and argv[1] == 'encode':
        lits, merges = read_tok(argv[2])
        ids = encode(lits, merges, open(argv[3], 'rb').read())
        if ids:
            print(' '.join(map(str, ids)))
    elif len(argv) == 5 and argv[1] == 'decode':
        lits, merges = read_tok(argv[2])
        ids = [int(x) for x in open(argv[3]).read().split()]
        open(argv[4], 'wb').write(decode(lits, merges, ids))
    elif len(argv) == 5 and argv[1] == 'train':
        lits, merges = train(open(argv[3], 'rb').read(), int(argv[2]) - BASE)
        write_tok(argv[4], lits, merges)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
