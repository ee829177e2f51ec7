#!/usr/bin/env bash
# The .deb packages (tools/packages.sh) installed, upgraded, removed and
# purged with dpkg in a minimal Debian bookworm made by mmdebstrap from
# Debian's archive (cached in build/pkgtest/), chrooted into: files,
# conffiles, the system users, the state folders, the server's libraries
# (its Depends are enough to run it there), a modified conffile and the pin
# file kept over an upgrade, the service stopped on removal. The units are
# checked by systemd-analyze verify. A chroot has no running systemd: a
# stand-in systemctl records what the maintainer scripts ask of it; the
# services themselves are not started here.
source "$(dirname "$0")/lib/pkg.sh"

[ "$(id -u)" = 0 ] || { skip "deb packages in a chroot" "needs root (chroot)"; finish; }
command -v mmdebstrap >/dev/null || { not_ok "mmdebstrap is installed (.ci/packages)"; finish; }

V=0.1.0 V2=0.1.0+up1
check "the arm64 and armhf servers cross-build against Debian's libraries (tools/server-sysroot.sh)" build_cross_servers
build_packages "$TMP/p1" && build_packages "$TMP/p2" "$V2" && ok "tools/packages.sh builds the packages and an upgrade" ||
	{ not_ok "tools/packages.sh builds the packages"; finish; }
V=$(ls "$TMP/p1"/monbot-server_*_amd64.deb | sed 's/.*monbot-server_\(.*\)_amd64.deb/\1/')

# ---- the root file system, cached by its package list ----
M=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$M" ] || M=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
# the server's libraries, from its Depends
LIBS=$(dpkg-deb -f "$TMP/p1/monbot-server_${V}_amd64.deb" Depends | tr ',' '\n' |
	sed 's/(.*//; s/ //g' | grep -v '^$' | sort | paste -sd,)
CACHE=build/pkgtest/bookworm-$(echo "$LIBS" | sha256sum | cut -c1-12).tar
if [ ! -f "$CACHE" ]; then
	mkdir -p build/pkgtest
	t0=$SECONDS
	if mmdebstrap --quiet --variant=minbase --mode=root --format=tar --include="$LIBS" bookworm "$CACHE.tmp" \
		"deb $M bookworm main" >"$TMP/mmdebstrap.log" 2>&1; then
		mv "$CACHE.tmp" "$CACHE"
		echo "# bookworm made by mmdebstrap in $((SECONDS - t0)) s (cached as $CACHE)"
	else
		rm -f "$CACHE.tmp"
		diag <"$TMP/mmdebstrap.log"
	fi
fi
[ -f "$CACHE" ] && ok "a minimal bookworm from Debian's archive (mmdebstrap, with $LIBS)" ||
	{ not_ok "mmdebstrap makes a bookworm root"; finish; }
R=$TMP/root
mkdir -p "$R"
tar -xf "$CACHE" -C "$R"
# what systemctl is asked, as if systemd ran
mkdir -p "$R/run/systemd/system"
cat >"$R/usr/bin/systemctl" <<'SH'
#!/bin/sh
echo "$*" >>/var/log/systemctl.calls
SH
chmod 755 "$R/usr/bin/systemctl"
cp "$TMP"/p1/*.deb "$R/tmp/"
mkdir -p "$R/tmp/up" && cp "$TMP"/p2/*.deb "$R/tmp/up/"
in_root() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
logged() { # <log> command...: its output in the log, shown when it fails
	local l=$1
	shift
	"$@" >"$l" 2>&1 || { diag <"$l"; return 1; }
}
calls() { cat "$R/var/log/systemctl.calls" 2>/dev/null; : >"$R/var/log/systemctl.calls"; }

# verify_unit <unit in the root>: systemd-analyze verify with ExecStart
# pointing into the root (so the binary it names exists), nothing on stderr
verify_unit() {
	local u=$1 f=$TMP/units/$(basename "$1")
	mkdir -p "$TMP/units"
	sed "s|^ExecStart=/|ExecStart=$R/|" "$R$u" >"$f"
	systemd-analyze verify "$f" >"$TMP/verify.log" 2>&1 && [ ! -s "$TMP/verify.log" ] ||
		{ diag <"$TMP/verify.log"; return 1; }
	systemd-analyze security --offline=true "$f" 2>/dev/null | tail -1 | sed 's/^/# /'
}

# ---- one package's life ----
# life <pkg> <user> <state> <conffile> <binary> <version args>
life() {
	local p=$1 u=$2 st=$3 cf=$4 bin=$5 c
	shift 5
	check "$p: dpkg -i installs it" logged "$TMP/$p.install.log" in_root dpkg -i "/tmp/${p}_${V}_amd64.deb"
	check "$p: $bin runs in the chroot ($*)" bash -c "in_root() { chroot '$R' env -i PATH=/usr/bin:/bin \"\$@\"; }; in_root $bin $* | grep -q ."
	check "$p: the unit file is installed" test -f "$R/lib/systemd/system/$p.service"
	check "$p: systemd-analyze verify passes on the unit" verify_unit "/lib/systemd/system/$p.service"
	check "$p: $cf is a conffile" bash -c "chroot '$R' dpkg-query -W -f='\${Conffiles}' $p | grep -q '^ $cf '"
	check "$p: system user $u exists" bash -c "chroot '$R' getent passwd $u | grep -q ':/usr/sbin/nologin$'"
	check "$p: $st belongs to $u, mode 750" test "$(in_root stat -c '%U %a' "$st")" = "$u 750"
	check "$p: $cf is root:$u 640 (it holds a secret)" test "$(in_root stat -c '%U:%G %a' "$cf")" = "root:$u 640"
	c=$(calls)
	check "$p: postinst enables the unit" grep -q "^enable $p.service" <<<"$c"
	echo "$c" | diag

	# upgrade: a modified conffile and the pin file stay
	echo "# operator's change" >>"$R$cf"
	sed -i 's/^AGENT_SECRET=$/AGENT_SECRET=k3yFromNewkey/' "$R$cf"
	echo '{"fp": "aa", "spki": "bb"}' >"$R$st/fingerprint.json"
	cp "$R$cf" "$TMP/cf.before"
	check "$p: dpkg -i of $V2 upgrades it" logged "$TMP/$p.up.log" in_root dpkg -i "/tmp/up/${p}_${V2}_amd64.deb"
	check "$p: the version is $V2" test "$(chroot "$R" dpkg-query -W -f='${Version}' "$p")" = "$V2"
	check "$p: the modified $cf is kept" cmp -s "$R$cf" "$TMP/cf.before"
	check "$p: the pin file is kept" grep -q '"spki": "bb"' "$R$st/fingerprint.json"
	c=$(calls)
	check "$p: the upgrade restarts the service (systemctl restart)" grep -q "^restart $p.service" <<<"$c"
	check "$p: the upgrade does not stop it first" bash -c "! grep -q '^stop' <<<'$c'"

	# removal and purge
	check "$p: dpkg -r removes it" logged "$TMP/$p.rm.log" in_root dpkg -r "$p"
	c=$(calls)
	check "$p: removal stops the service" grep -q "^stop $p.service" <<<"$c"
	check "$p: removal disables it" grep -q "^disable $p.service" <<<"$c"
	check "$p: the binary and unit are gone" test ! -e "$R$bin" -a ! -e "$R/lib/systemd/system/$p.service"
	check "$p: the conffile stays after dpkg -r" test -f "$R$cf"
	check "$p: dpkg -P purges it" logged "$TMP/$p.purge.log" in_root dpkg -P "$p"
	check "$p: purge removes the conffile and $st" test ! -e "$R$cf" -a ! -e "$R$st"
	check "$p: dpkg knows nothing of it" bash -c "! chroot '$R' dpkg-query -W $p >/dev/null 2>&1"
	calls >/dev/null
}

life monbot-agent monbot-agent /var/lib/monbot-agent /etc/monbot/agent.env /usr/bin/monbot-agent --version
# the agent waits for its key: not started by an install without one
life monbot-server monbot /var/lib/monbot /etc/monbot/server.env /usr/bin/monbot-server --version
check "monbot-server: the package carries every board's agent for /install.sh" \
	test "$(dpkg-deb -c "$TMP/p1/monbot-server_${V}_amd64.deb" | grep -c 'usr/share/monbot/agents/monbot-agent-')" = 5

# ---- the armhf and arm64 agents: their contents, run under qemu-user ----
for a in armhf:qemu-arm-static arm64:qemu-aarch64-static; do
	d=${a%%:*} q=${a#*:} x=$TMP/x-$d
	f=$TMP/p1/monbot-agent_${V}_$d.deb
	check "monbot-agent $d: Architecture $d, no library dependency" \
		test "$(dpkg-deb -f "$f" Architecture)/$(dpkg-deb -f "$f" Depends)" = "$d/passwd"
	dpkg-deb -x "$f" "$x"
	check "monbot-agent $d: same files as amd64's" \
		test "$(dpkg-deb -c "$f" | awk '{print $6}')" = "$(dpkg-deb -c "$TMP/p1/monbot-agent_${V}_amd64.deb" | awk '{print $6}')"
	if command -v "$q" >/dev/null; then
		check "monbot-agent $d: its binary runs under $q" bash -c "$q '$x/usr/bin/monbot-agent' --version | grep -q monbot-agent"
	else
		skip "monbot-agent $d: its binary runs under $q" "$q not installed"
	fi
done

# ---- the arm64 and armhf servers: the same package, run under qemu-user
# on their sysroot's libraries (no foreign chroot: binfmt is not mounted) ----
names() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort | paste -sd,; }
for a in arm64:qemu-aarch64-static armhf:qemu-arm-static; do
	d=${a%%:*} q=${a#*:} x=$TMP/xs-$d
	f=$TMP/p1/monbot-server_${V}_$d.deb
	if [ ! -f "$f" ]; then
		not_ok "monbot-server $d: the package is built"
		continue
	fi
	check "monbot-server $d: Architecture $d, the same library packages as amd64's" \
		test "$(dpkg-deb -f "$f" Architecture) $(names "$f")" = "$d $(names "$TMP/p1/monbot-server_${V}_amd64.deb")"
	check "monbot-server $d: same files as amd64's" \
		test "$(dpkg-deb -c "$f" | awk '{print $6}')" = "$(dpkg-deb -c "$TMP/p1/monbot-server_${V}_amd64.deb" | awk '{print $6}')"
	dpkg-deb -x "$f" "$x"
	check "monbot-server $d: its binary runs under $q on $d's libraries" \
		bash -c "$q -L build/sysroot-$d/root '$x/usr/bin/monbot-server' --version | grep -q 'monbot-server'"
done
finish
