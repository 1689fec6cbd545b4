#!/usr/bin/env python3
"""same_ckpt.py A B: two titan-train checkpoints hold the same training state:
every tensor byte for byte, every metadata entry but "run" (the run record:
paths, seconds spent) equal. Exits 1 naming the first difference."""
import json, struct, sys


def read(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    meta.pop("run", None)
    return header, meta, raw[8 + n:]


(ha, ma, da), (hb, mb, db) = read(sys.argv[1]), read(sys.argv[2])
for what, a, b in (("metadata", ma, mb), ("tensor table", ha, hb), ("tensor data", da, db)):
    if a != b:
        keys = [k for k in a if a.get(k) != b.get(k)] if isinstance(a, dict) else []
        sys.exit("checkpoints differ in their %s %s" % (what, keys[:3]))
