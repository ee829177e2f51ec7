#!/usr/bin/env bash
# The tree's shape (tools/layout-check.py): file and function sizes, no
# include loop across folders, no call loop between the objects of the
# programs just built; each rule first proves it sees a planted fault.
set -u
O=${O:-build/native}
exec "${PYTHON:-python3}" tools/layout-check.py --tap "$O/obj"
