# packaging/: service files and package metadata; tools/packages.sh builds
# the packages ('make packages'). Their tests need the board builds that
# make test makes first, and the native server (a Linux build only).
ifeq ($(PORT)$(BOARD),linux)
INTEG_TESTS += tests/integration/pkg_deb.sh tests/integration/pkg_ipk.py tests/integration/pkg_oneliner.py \
               tests/integration/pkg_zip.py
endif
