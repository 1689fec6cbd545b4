#!/usr/bin/python3
"""golf_spm_eval.py DIR RECORD MODEL TEXT CTX STRIDE: val_bpb of TEXT under the
record-structured PyTorch model saved in DIR (tests/ref/golf_record_model.py)
with the SentencePiece model MODEL, as SPEC section 3 defines it for `titan
eval --text`: BOS, then sp.encode(TEXT); windows of CTX tokens moving by
STRIDE, every target scored once; the NLL sum over ln 2 and the file's bytes.
Prints {"val_bpb", "tokens", "bytes", "decoded_bytes"} as JSON."""
import json
import math
import os
import sys

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_record_model as g  # noqa: E402


def main(d, record, model_file, text_file, ctx, stride):
    a = json.load(open(os.path.join(d, "env.json")))
    model = g.GPT(a, record)
    g.load_unbanked(model, g.unbank(torch.load(os.path.join(d, "model.pt")), a["NUM_LAYERS"]))
    model.double().eval()
    sp = spm.SentencePieceProcessor(model_file=model_file)
    data = open(text_file, "rb").read()
    ids = [sp.bos_id()] + sp.encode(data)
    n = len(ids) - 1
    nll, scored, w = 0.0, 0, 0
    with torch.no_grad():
        while True:
            length = min(ctx, n - w)
            logits = model.forward_logits(torch.tensor(ids[w:w + length])[None])[0]
            logp = torch.log_softmax(logits, dim=-1)
            for j in range(scored - w, length):
                nll -= float(logp[j, ids[w + 1 + j]])
            scored = w + length
            if scored >= n:
                break
            w += stride
    decoded = len(sp.decode(ids[1:]).encode())
    print(json.dumps({"val_bpb": nll / (math.log(2) * len(data)), "tokens": n,
                      "bytes": len(data), "decoded_bytes": decoded}))


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
         int(sys.argv[6]))
