#!/bin/bash
# DKMS packaging test for xen-slab-cache.
#
# Usage: tests/dkms/test.sh [--kernel RELEASE --kdir BUILD-DIR] [repo-dir]
#        (run as root; default repo: ../..)
#
# Copies the work tree (tracked + untracked-but-not-ignored files) into
# <tmp>/src/xen-slab-cache-0.1.0 and runs dkms add/build/install/remove for
# the kernel RELEASE whose build directory (headers) is BUILD-DIR, passed to
# dkms as --kernelsourcedir; by default the newest Debian kernel found in
# /boot (never `uname -r`) and its /lib/modules/<release>/build.  dkms is pointed
# at private trees under <tmp> (--dkmstree/--sourcetree/--installtree), runs
# with --no-depmod (depmod would otherwise rewrite /lib/modules/<ver>/modules.*),
# and the module signing key is redirected into <tmp> via the mok_signing_key/
# mok_certificate variables (dkms 3.0.x never initialises them, so values from
# the environment are used instead of creating /var/lib/dkms/mok.{key,pub}).
# Nothing is left in /var/lib/dkms or /lib/modules; <tmp> is removed on exit.
#
# Output: one `ok dkms/<step>` / `not ok dkms/<step> # reason` line per step
# (add, build, install, installed-file, modinfo, remove); everything else is
# prefixed with `# `.  Exit status 0 iff every step is ok.
set -euo pipefail

kver='' kdir=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kver=${2:?}; shift 2 ;;
	--kdir) kdir=${2:?}; shift 2 ;;
	*) break ;;
	esac
done
repo=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
name=xen-slab-cache
version=0.1.0
module=xen_slab_cache

note() { sed 's/^/# /'; }

failed=0
ok()     { echo "ok dkms/$1"; }
not_ok() { echo "not ok dkms/$1 # $2"; failed=1; }

[[ -n $kver ]] || kver=$(sh "$(dirname "$0")/../../scripts/debian-kernel.sh" || true)
[[ -n $kdir ]] || kdir=/lib/modules/$kver/build
if [[ -z $kver ]]; then
	for s in add build install installed-file modinfo remove; do
		not_ok "$s" "no /boot/vmlinuz-* found"
	done
	exit 1
fi
echo "# kernel: $kver, headers: $kdir"

tmp=$(mktemp -d /tmp/xsc-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/$name-$version
mkdir -p "$src" "$tmp/dkms" "$tmp/install/$kver"

# The work tree as git sees it: tracked files plus new, not-ignored ones (so
# uncommitted additions are tested too); .gitignore keeps build products out.
# Files deleted in the work tree are skipped.
git -C "$repo" ls-files --cached --others --exclude-standard | sort -u |
	(cd "$repo" && while IFS= read -r f; do [[ -f $f ]] && printf '%s\n' "$f"; done) |
	tar -C "$repo" -cf - -T - | tar -C "$src" -xf -

export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
dkms=(dkms --dkmstree "$tmp/dkms" --sourcetree "$tmp/src"
      --installtree "$tmp/install" --no-depmod --kernelsourcedir "$kdir")

# run <log> <cmd...>: run quietly, keep the output in <log>
run() { local log=$1; shift; "$@" >"$log" 2>&1; }

skip_rest=""
step() {	# step <name> <cmd...>; on failure print the log and the reason
	local s=$1; shift
	if [[ -n $skip_rest ]]; then not_ok "$s" "skipped: $skip_rest failed"; return 1; fi
	local rc=0
	run "$tmp/$s.log" "$@" || rc=$?
	if ((rc == 0)); then ok "$s"; return 0; fi
	note <"$tmp/$s.log"
	not_ok "$s" "'${*: -4}' exited $rc"
	skip_rest=$s
	return 1
}

step add     "${dkms[@]}" add "$name/$version" || true
if ! step build "${dkms[@]}" build "$name/$version" -k "$kver"; then
	log=$tmp/dkms/$name/$version/build/make.log
	[[ -f $log ]] && tail -n 40 "$log" | note
fi
step install "${dkms[@]}" install "$name/$version" -k "$kver" || true

# Where dkms says it installed the module ("Installing to <dir>/").
kofile=""
if [[ -z $skip_rest ]]; then
	dir=$(sed -n 's|.*Installing to \(.*[^/]\)/*$|\1|p' "$tmp/install.log" | tail -n1)
	dir=${dir:-$tmp/install/$kver/updates/dkms}
	for ext in .ko .ko.xz .ko.zst .ko.gz; do
		[[ -f $dir/$module$ext ]] && { kofile=$dir/$module$ext; break; }
	done
	"${dkms[@]}" status "$name/$version" 2>&1 | note || true
	if [[ -n $kofile ]]; then
		echo "# installed: $kofile"
		ok installed-file
	else
		ls -lR "$tmp/install/$kver" 2>&1 | note
		not_ok installed-file "no $module.ko* in $dir"
		skip_rest=installed-file
	fi
else
	not_ok installed-file "skipped: $skip_rest failed"
fi

if [[ -n $kofile ]]; then
	vermagic=$(modinfo -F vermagic "$kofile" 2>&1 || true)
	license=$(modinfo -F license "$kofile" 2>&1 || true)
	echo "# vermagic: $vermagic"
	echo "# license: $license"
	echo "# signer: $(modinfo -F signer "$kofile" 2>&1 || true)"
	if [[ ${vermagic%% *} != "$kver" ]]; then
		not_ok modinfo "vermagic '${vermagic%% *}' != '$kver'"
	elif [[ $license != GPL ]]; then
		not_ok modinfo "license '$license' != 'GPL'"
	else
		ok modinfo
	fi
else
	not_ok modinfo "skipped: no installed module"
fi

# remove runs even after earlier failures, as long as add worked.
if [[ $skip_rest == add ]]; then
	not_ok remove "skipped: add failed"
elif ! run "$tmp/remove.log" "${dkms[@]}" remove "$name/$version" --all; then
	note <"$tmp/remove.log"
	not_ok remove "dkms remove exited non-zero"
else
	left=$(find "$tmp/install/$kver" "$tmp/dkms/$name" \
		/var/lib/dkms/$name "/lib/modules/$kver/updates/dkms" \
		-name "$module.ko*" 2>/dev/null || true)
	if [[ -n $kofile && -e $kofile ]]; then
		not_ok remove "$kofile still present"
	elif [[ -n $left ]]; then
		not_ok remove "module left behind: $(echo $left)"
	elif [[ -e /var/lib/dkms/$name ]]; then
		not_ok remove "/var/lib/dkms/$name exists"
	else
		ok remove
	fi
fi

exit $failed
