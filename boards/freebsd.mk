# FreeBSD (TrueNAS CORE, pfSense, OPNsense, plain servers): a native build
# on the FreeBSD machine itself, never a cross build (no FreeBSD sysroot can
# be had on Linux, ../shared/TOOLCHAINS.md). On FreeBSD 13 or 14:
#
#   pkg install gmake bash mbedtls cmocka
#   gmake agent BOARD=freebsd          # -> build/freebsd/monbot-agent
#   gmake check BOARD=freebsd NAME=test_bsd_decode
#
# The port is port/bsd/ (sysctl(3), getfsstat(2), getifaddrs(3)); the
# server, if built here, gets the kqueue(2) event back-end (server/ev).
# NOT BUILT YET on FreeBSD: only port/bsd's decoders and their tests have
# been compiled and run, on Linux (README, "FreeBSD").
BOARD_PORT := bsd
# Base system's compiler is clang, installed as cc; there is no gcc.
BOARD_CC := cc
STATIC := 0
# The Makefile's recipes use bash, which pkg installs under /usr/local.
SHELL := /usr/local/bin/bash
PYTHON := /usr/local/bin/python3
# Packages' headers and libraries live under /usr/local, where the base
# compiler does not look by itself. mbedTLS 2.28 is the "mbedtls" package
# (the agent's static arena copies are made from its libmbed*.a).
BOARD_CPPFLAGS := -I/usr/local/include
BOARD_LDFLAGS := -L/usr/local/lib
MBEDTLS_LIBDIR := /usr/local/lib
