#!/usr/bin/python3
"""scalesim_ref.py: SCALE-Sim v2's compute-side demand matrices, rebuilt the way
scalesim/compute/systolic_compute_{ws,os}.py builds them (null-request padding,
weight-load prefix, drain suffix, skew), to count what its COMPUTE_REPORT says
for a GEMM when the memories never stall: Total Cycles is the 0-based cycle of
the last ofmap demand line, and the ifmap/filter/ofmap request counts.

usage: scalesim_ref.py ws|os R C M K N   -> prints one JSON object
"""
import json
import math
import sys

import numpy as np


def skew(mat):
    """Column c moves down by c lines (its -1 padding above and below)."""
    rows, cols = mat.shape
    out = -np.ones((rows + cols - 1, cols))
    for c in range(cols):
        out[c:c + rows, c] = mat[:, c]
    return out


def ws(R, C, M, K, N):
    T, Sr, Sc = M, K, N  # ifmap [M x K], filter [K x N]
    ifmap = np.arange(M * K).reshape(M, K)
    filt = np.arange(K * N).reshape(K, N)
    row_fold, col_fold = math.ceil(Sr / R), math.ceil(Sc / C)
    lines = {"ifmap": 0, "filter": 0, "ofmap": 0}
    reads = {"ifmap": 0, "filter": 0, "ofmap": 0}
    for fc in range(col_fold):
        for fr in range(row_fold):
            k0, k1 = fr * R, min(fr * R + R, Sr)
            n0, n1 = fc * C, min(fc * C + C, Sc)
            d = ifmap[:, k0:k1].astype(float)
            reads["ifmap"] += d.size
            d = np.hstack([d, -np.ones((T, R - (k1 - k0)))])
            d = np.vstack([-np.ones((R, R)), d, -np.ones((C - 1, R))])
            lines["ifmap"] += skew(d).shape[0]
            f = filt[k0:k1, n0:n1].astype(float)
            reads["filter"] += f.size
            f = np.pad(f, ((0, R - (k1 - k0)), (0, C - (n1 - n0))), constant_values=-1)
            f = np.vstack([np.flip(f, 0), -np.ones((R + C + T - 2, C))])
            lines["filter"] += f.shape[0]
            o = np.zeros((T, n1 - n0))
            reads["ofmap"] += o.size
            o = np.hstack([o, -np.ones((T, C - (n1 - n0)))])
            o = np.vstack([-np.ones((2 * R - 1, C)), o])
            lines["ofmap"] += skew(o).shape[0]
    assert lines["ifmap"] == lines["filter"] == lines["ofmap"], lines
    return lines["ofmap"], reads


def os_(R, C, M, K, N):
    T, Sr, Sc = K, M, N
    row_fold, col_fold = math.ceil(Sr / R), math.ceil(Sc / C)
    lines = {"ifmap": 0, "filter": 0, "ofmap": 0}
    reads = {"ifmap": 0, "filter": 0, "ofmap": 0}
    for fc in range(col_fold):
        for fr in range(row_fold):
            m0, m1 = fr * R, min(fr * R + R, Sr)
            n0, n1 = fc * C, min(fc * C + C, Sc)
            d = np.zeros((T, m1 - m0))
            reads["ifmap"] += d.size
            d = np.hstack([d, -np.ones((T, R - (m1 - m0)))])
            lines["ifmap"] += skew(np.vstack([d, -np.ones((C - 1, R))])).shape[0]
            f = np.zeros((T, n1 - n0))
            reads["filter"] += f.size
            f = np.hstack([f, -np.ones((T, C - (n1 - n0)))])
            lines["filter"] += skew(np.vstack([f, -np.ones((R - 1, C))])).shape[0]
            o = np.zeros((m1 - m0, n1 - n0))
            reads["ofmap"] += o.size
            o = np.pad(o, ((0, R - (m1 - m0)), (0, C - (n1 - n0))), constant_values=-1)
            o = np.flip(o, 0)
            reads["ofmap"] += o.shape[0] + o.shape[1]  # as systolic_compute_os.py counts
            lines["ofmap"] += skew(np.vstack([-np.ones((T - 1, C)), o])).shape[0]
    assert lines["ifmap"] == lines["filter"] == lines["ofmap"], lines
    return lines["ofmap"], reads


def main():
    df, R, C, M, K, N = sys.argv[1], *map(int, sys.argv[2:7])
    lines, reads = (ws if df == "ws" else os_)(R, C, M, K, N)
    print(json.dumps({"cycles": lines - 1, "input_reads": reads["ifmap"],
                      "weight_reads": reads["filter"], "output_writes": reads["ofmap"]}))


if __name__ == "__main__":
    main()
