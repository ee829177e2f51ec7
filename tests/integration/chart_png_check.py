#!/usr/bin/env python3
"""Checks a PNG file without third-party modules: signature, chunk CRCs,
IHDR, that IDAT inflates to exactly height*(1+3*width) bytes of 8-bit RGB
rows with valid filter types. Prints "WxH" on success, exits 1 otherwise.
usage: chart_png_check.py FILE.png"""
import struct
import sys
import zlib


def main():
    d = open(sys.argv[1], "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("bad signature")
    i, idat, ihdr, end = 8, b"", None, False
    while i < len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        kind, body = d[i + 4:i + 8], d[i + 8:i + 8 + n]
        crc = struct.unpack(">I", d[i + 8 + n:i + 12 + n])[0]
        if zlib.crc32(kind + body) != crc:
            sys.exit("bad CRC in " + kind.decode())
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            end = True
        i += 12 + n
    if not ihdr or not end:
        sys.exit("missing IHDR or IEND")
    w, h, depth, ctype = ihdr[:4]
    if depth != 8 or ctype != 2:
        sys.exit("not 8-bit RGB")
    raw = zlib.decompress(idat)
    if len(raw) != h * (1 + 3 * w):
        sys.exit("IDAT holds %d bytes, want %d" % (len(raw), h * (1 + 3 * w)))
    if any(raw[y * (1 + 3 * w)] > 4 for y in range(h)):
        sys.exit("bad filter type")
    print("%dx%d" % (w, h))


if __name__ == "__main__":
    main()
