#!/usr/bin/env bash
# Replays the chart fuzz corpus (tests/fuzz/corpus/chart: seeds and any crash
# inputs kept as regressions) through the fuzz entry point, built plainly.
set -u
O=${O:-build/native}
exec "$O/tests/fuzz_chart_replay" tests/fuzz/corpus/chart/*
