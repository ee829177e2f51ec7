#!/usr/bin/env python3
"""Checks a PNG file without third-party modules (lib/bottest.py's
png_check: signature, chunk CRCs, IHDR, IDAT inflating to exactly
height*(1+3*width) bytes of 8-bit RGB rows with valid filter types).
Prints "WxH" on success, exits 1 with the reason otherwise.
usage: chart_png_check.py FILE.png"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bottest import png_check  # noqa: E402


def main():
    with open(sys.argv[1], "rb") as f:
        r = png_check(f.read())
    if isinstance(r, str):
        sys.exit(r)
    print("%dx%d" % r)


main()
