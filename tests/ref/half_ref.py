#!/usr/bin/python3
"""half_ref.py: reference half-precision conversions for test_half.c.

  half_ref.py f16   -> 65536 little-endian float32: f16 pattern i as float32 (numpy)
  half_ref.py f32   -> u32 n, then n u32 float32 inputs, n u16 float16 (numpy)
                       and n u16 bfloat16 (torch) results, round to nearest even
Inputs: every exact tie between neighbouring halves and bfloat16s, one f32 ulp
either side of each, the extremes, and 2^20 random bit patterns."""
import sys

import numpy as np


def f16_table():
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


def f32_inputs():
    h = np.arange(0, 0x7c00, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float64)
    mids = ((h[:-1] + h[1:]) / 2).astype(np.float32)  # exact in f32
    top = np.float32(65504.0 + 16.0)  # tie between max half and 2^16: rounds to inf
    b = np.arange(0, 0x7f80, 64, dtype=np.uint32) << 16  # bf16 grid, sampled
    bmid = (b | 0x8000).view(np.float32)  # exact bf16 ties
    base = np.concatenate([mids, [top], bmid]).view(np.uint32)
    near = np.concatenate([base, base + 1, base - 1])
    rng = np.random.RandomState(20261123)
    rand = rng.randint(0, 2**32, size=1 << 20, dtype=np.uint64).astype(np.uint32)
    special = np.array([0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001,
                        0xffc00001, 0x00000001, 0x007fffff, 0x33000000, 0x33000001,
                        0x387fe000, 0x38800000, 0x477fe000, 0x477ff000, 0x477fefff,
                        0x7f7fffff, 0xff7fffff], dtype=np.uint32)
    x = np.concatenate([near, near | 0x80000000, rand, special]).astype(np.uint32)
    return x


def main():
    out = sys.stdout.buffer
    if sys.argv[1] == "f16":
        out.write(f16_table().astype("<f4").tobytes())
    else:
        import torch
        x = f32_inputs()
        f = x.view(np.float32)
        with np.errstate(over="ignore"):
            h = f.astype(np.float16).view(np.uint16)
        bf = torch.from_numpy(f.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
        out.write(np.array([len(x)], dtype="<u4").tobytes())
        out.write(x.astype("<u4").tobytes())
        out.write(h.astype("<u2").tobytes())
        out.write(bf.astype("<u2").tobytes())


if __name__ == "__main__":
    main()
