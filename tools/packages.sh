#!/usr/bin/env bash
# Builds the packages from the board builds (make packages builds those
# first) into build/packages/, with packaging/'s service files and metadata:
#   monbot-agent_<v>_{amd64,armhf,arm64}.deb   the static musl agents
#   monbot-server_<v>_{amd64,arm64,armhf}.deb  the native server and the
#                                              cross-built ones (BOARD=server-<arch>,
#                                              when built), each with every
#                                              board's agent for /install.sh
#   monbot-agent_<v>_<openwrt arch>.ipk        mips, mipsel, armhf, arm64
#   monbot-agent_<v>_windows-x64.zip           the .exe, an example .env, README
# Needs only dpkg-deb, dpkg-shlibdeps, tar, gzip and python3; no network.
# VERSION=<v> overrides the version (the tests build an upgrade with it).
set -euo pipefail
cd "$(dirname "$0")/.."
P=packaging
OUT=${PKG_OUT:-build/packages}
NATIVE=${NATIVE_O:-build/native}
V=${VERSION:-$(sed -n 's/^#define SERVER_VERSION "\(.*\)"$/\1/p' server/config.h)}
W=$OUT/work
rm -rf "$W"
mkdir -p "$OUT" "$W"
# Reproducible: every file's time is the last commit's (or now outside git).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

need() { [ -f "$1" ] || { echo "packages: $1 is missing (make packages builds it)" >&2; exit 1; }; }

# subst <template> <out> NAME=value...: @NAME@ replaced
subst() {
	local in=$1 out=$2 s=()
	shift 2
	for kv in "$@"; do s+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${s[@]}" "$in" >"$out"
}

# The boards' binaries are built with -g: the packages get them stripped by
# the board's own binutils (the triplet of boards/<board>.mk).
triplet() { sed -n 's/^BOARD_TRIPLET := //p' "boards/$1.mk"; }
stripped() { # <board> <out>: the board's agent, stripped, at <out>
	need "build/$1/monbot-agent"
	"$(triplet "$1")-strip" -o "$2" "build/$1/monbot-agent"
	chmod 755 "$2"
}

size_kib() { du -sk --apparent-size "$1" | cut -f1; }

# deb_scripts <control dir> <pkg> <unit> <user> <state> <envfile> <start test>
deb_scripts() {
	local c=$1 v=(PKG="$2" UNIT="$3" USER="$4" STATE="$5" ENVFILE="$6" START_IF="$7")
	for s in postinst prerm postrm; do
		subst "$P/debian/$s.in" "$c/$s" "${v[@]}"
		chmod 755 "$c/$s"
	done
}

# ---- the agent's .deb for each Debian architecture ----
agent_deb() { # <board> <debian arch>
	local b=$1 a=$2 r=$W/agent-$2
	mkdir -p "$r/DEBIAN" "$r/usr/bin" "$r/lib/systemd/system" "$r/etc/monbot" \
		"$r/usr/share/polkit-1/rules.d" "$r/usr/share/doc/monbot-agent"
	stripped "$b" "$r/usr/bin/monbot-agent"
	install -m 644 "$P/systemd/monbot-agent.service" "$r/lib/systemd/system/"
	install -m 640 "$P/etc/agent.env" "$r/etc/monbot/agent.env"
	install -m 644 "$P/etc/50-monbot-agent.rules" "$r/usr/share/polkit-1/rules.d/"
	printf 'MonitoringBot agent (%s), board %s of the MonitoringBot tree.\n' "$V" "$b" \
		>"$r/usr/share/doc/monbot-agent/README"
	echo /etc/monbot/agent.env >"$r/DEBIAN/conffiles"
	deb_scripts "$r/DEBIAN" monbot-agent monbot-agent.service monbot-agent /var/lib/monbot-agent \
		/etc/monbot/agent.env "grep -q '^AGENT_SECRET=.' /etc/monbot/agent.env"
	subst "$P/debian/agent.control" "$r/DEBIAN/control" VERSION="$V" ARCH="$a" SIZE="$(size_kib "$r")"
	dpkg-deb --root-owner-group -Zxz --build "$r" "$OUT/monbot-agent_${V}_$a.deb" >/dev/null
}
agent_deb x86_64 amd64
agent_deb armhf armhf
agent_deb arm64 arm64

# ---- the server's .deb: amd64 from the native build, arm64 and armhf from
# boards/server-<arch>.mk against build/sysroot-<arch> ----
server_deb() { # <debian arch> <server binary> <strip> [<sysroot> <triplet>]
	local a=$1 sb=$2 st=$3 sr=${4:-} tr=${5:-} r=$W/server-$1 deps bin l
	need "$sb"
	mkdir -p "$r/DEBIAN" "$r/usr/bin" "$r/lib/systemd/system" "$r/etc/monbot" \
		"$r/usr/share/monbot/agents" "$r/usr/share/doc/monbot-server"
	"$st" -o "$r/usr/bin/monbot-server" "$sb"
	chmod 755 "$r/usr/bin/monbot-server"
	install -m 644 "$P/systemd/monbot-server.service" "$r/lib/systemd/system/"
	install -m 640 "$P/etc/server.env" "$r/etc/monbot/server.env"
	# every board's agent, for the one-line install (AGENT_DIST_DIR)
	for b in x86_64 armhf arm64 mipsel mips; do
		stripped "$b" "$r/usr/share/monbot/agents/monbot-agent-$b"
	done
	printf 'MonitoringBot server (%s) of the MonitoringBot tree.\n' "$V" \
		>"$r/usr/share/doc/monbot-server/README"
	echo /etc/monbot/server.env >"$r/DEBIAN/conffiles"
	deb_scripts "$r/DEBIAN" monbot-server monbot-server.service monbot /var/lib/monbot \
		/etc/monbot/server.env true
	# the libraries' packages and versions from their shlibs/symbols files
	# (a cross build's: from the shlibs files of the sysroot's packages,
	# which this machine's dpkg database does not know)
	rm -rf "$W/shlibs"
	mkdir -p "$W/shlibs/debian"
	printf 'Source: monbot\n\nPackage: monbot-server\nArchitecture: any\n' >"$W/shlibs/debian/control"
	l=()
	if [ -n "$sr" ]; then
		for d in "$sr"/../cache/archives/*.deb; do dpkg-deb -I "$d" shlibs 2>/dev/null || true; done \
			>"$W/shlibs/debian/shlibs.local"
		l=(-l"$sr/usr/lib/$tr" -l"$sr/lib/$tr")
	fi
	bin=$(realpath "$r/usr/bin/monbot-server")
	deps=$(cd "$W/shlibs" && DEB_HOST_ARCH=$a dpkg-shlibdeps -O -e "$bin" "${l[@]}" 2>/dev/null |
		sed -n 's/^shlibs:Depends=//p')
	[ -n "$deps" ] || { echo "packages: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
	subst "$P/debian/server.control" "$r/DEBIAN/control" VERSION="$V" ARCH="$a" \
		SIZE="$(size_kib "$r")" DEPENDS="$deps"
	dpkg-deb --root-owner-group -Zxz --build "$r" "$OUT/monbot-server_${V}_$a.deb" >/dev/null
}
server_deb amd64 "$NATIVE/monbot-server" strip
for x in arm64:aarch64-linux-gnu armhf:arm-linux-gnueabihf; do
	a=${x%%:*} tr=${x#*:}
	if [ -f "build/server-$a/monbot-server" ]; then
		server_deb "$a" "build/server-$a/monbot-server" "$tr-strip" "$PWD/build/sysroot-$a/root" "$tr"
	else
		echo "packages: no build/server-$a/monbot-server (make packages builds it): no $a server .deb" >&2
	fi
done

# ---- OpenWrt .ipk: a gzip'd tar of ./debian-binary ./data.tar.gz
# ./control.tar.gz (OpenWrt's ipkg-build), owners root, times fixed ----
TARF=(--format=gnu --owner=0 --group=0 --numeric-owner --sort=name --mtime="@$SOURCE_DATE_EPOCH")
ipk() { # <board> <OpenWrt architecture>
	local b=$1 a=$2 r=$W/ipk-$2
	mkdir -p "$r/control" "$r/data/usr/bin" "$r/data/etc/init.d" "$r/data/etc/config" \
		"$r/data/lib/upgrade/keep.d"
	stripped "$b" "$r/data/usr/bin/monbot-agent"
	install -m 755 "$P/openwrt/monbot-agent.init" "$r/data/etc/init.d/monbot-agent"
	install -m 600 "$P/openwrt/monbot.config" "$r/data/etc/config/monbot"
	install -m 644 "$P/openwrt/keep.d" "$r/data/lib/upgrade/keep.d/monbot-agent"
	subst "$P/openwrt/control" "$r/control/control" VERSION="$V" ARCH="$a" \
		SIZE="$(du -sb "$r/data" | cut -f1)"
	install -m 644 "$P/openwrt/conffiles" "$r/control/conffiles"
	install -m 755 "$P/openwrt/postinst" "$P/openwrt/prerm" "$r/control/"
	echo 2.0 >"$r/debian-binary"
	(cd "$r/control" && tar "${TARF[@]}" -cf - . | gzip -9n >../control.tar.gz)
	(cd "$r/data" && tar "${TARF[@]}" -cf - . | gzip -9n >../data.tar.gz)
	(cd "$r" && tar "${TARF[@]}" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n) \
		>"$OUT/monbot-agent_${V}_$a.ipk"
}
# OpenWrt's names for the boards' targets: ath79 (mips_24kc), ramips
# (mipsel_24kc), ipq40xx (arm_cortex-a7_neon-vfpv4), filogic and mt7622
# (aarch64_cortex-a53); the binaries run on the whole ISA (README, boards).
ipk mips mips_24kc
ipk mipsel mipsel_24kc
ipk armhf arm_cortex-a7_neon-vfpv4
ipk arm64 aarch64_cortex-a53

# ---- Windows .zip ----
need build/windows-x64/monbot-agent.exe
x86_64-w64-mingw32-strip -o "$W/monbot-agent.exe" build/windows-x64/monbot-agent.exe
"${PYTHON:-python3}" - "$OUT/monbot-agent_${V}_windows-x64.zip" "$P/windows" \
	"$W/monbot-agent.exe" "$SOURCE_DATE_EPOCH" <<'PY'
import sys, time, zipfile
out, pdir, exe, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
dt = time.gmtime(max(epoch, 315532800))[:6]
def add(z, name, data, mode=0o644):
    i = zipfile.ZipInfo("MonitoringBot/" + name, dt)
    i.compress_type = zipfile.ZIP_DEFLATED
    i.external_attr = mode << 16
    z.writestr(i, data)
crlf = lambda p: open(p, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
with zipfile.ZipFile(out, "w") as z:
    add(z, "monbot-agent.exe", open(exe, "rb").read(), 0o755)
    add(z, "agent.env.example", crlf(pdir + "/agent.env.example"))
    add(z, "README.txt", crlf(pdir + "/README.txt"))
PY

rm -rf "$W"
cd "$OUT" && ls -l --time-style=+ -- *.deb *.ipk *.zip | awk '{printf "%9d  %s\n", $5, $NF}'
