#!/usr/bin/env python3
"""png_check.py PNG [#RRGGBB ...]: decode a PNG with zlib alone (no imaging library) and print
    width height distinct_colours non_background_fraction count_of_each_colour
one value per line as KEY VALUE. Colours match within 6 per channel (anti-aliasing aside, bars
are filled with the exact colour). Exit 1 if the file is not a PNG this script can decode."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG signature")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if ihdr is None:
        raise ValueError("no IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth} colour type {ctype} interlace {interlace}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        w, h, bpp, rows = decode(sys.argv[1])
    except (ValueError, zlib.error, struct.error) as e:
        print(f"error {e}")
        return 1
    want = []
    for c in sys.argv[2:]:
        c = c.lstrip("#")
        want.append((int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)))
    counts = {}
    hits = [0] * len(want)
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    background = max(counts.values())
    for px, n in counts.items():
        for k, (r, g, b) in enumerate(want):
            if abs(px[0] - r) <= 6 and abs(px[1] - g) <= 6 and abs(px[2] - b) <= 6:
                hits[k] += n
    print(f"width {w}")
    print(f"height {h}")
    print(f"colours {len(counts)}")
    print(f"foreground {1.0 - background / (w * h):.4f}")
    for k, c in enumerate(sys.argv[2:]):
        print(f"{c} {hits[k]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
