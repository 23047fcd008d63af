#!/bin/sh
# wheelfit's image probe for images without Python: prints an image profile (JSON) of the
# machine it runs on, like `wheelfit probe`. POSIX sh and coreutils only; changes nothing.
#   docker run --rm -i IMAGE sh -s < probe.sh > profile.json
# "python" is null when the image has no python3: fill in the version you will install.
set -u

esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
field() { sed -n "s/^$1=//p" /etc/os-release 2>/dev/null | head -n 1 | tr -d '"'"'"; }

libc_name=unknown libc_version=
if v=$(getconf GNU_LIBC_VERSION 2>/dev/null) && [ -n "$v" ]; then
	libc_name=glibc libc_version=$(printf '%s' "$v" | sed -n 's/^glibc \([0-9]*\.[0-9]*\).*/\1/p')
else
	for loader in /lib/ld-musl-*.so.1; do
		[ -e "$loader" ] || continue
		libc_name=musl
		libc_version=$("$loader" 2>&1 | sed -n 's/^Version \([0-9]*\.[0-9]*\).*/\1/p')
	done
fi

manager=null packages=
if [ -f /var/lib/dpkg/status ] || [ -d /var/lib/dpkg/status.d ]; then
	packages=$(cat /var/lib/dpkg/status /var/lib/dpkg/status.d/* 2>/dev/null \
		| awk '/^Package: /{p=$2} /^Status: /{s=$0} /^$/{if (p != "" && (s == "" || s ~ / installed$/)) print p; p=""; s=""} END{if (p != "" && (s == "" || s ~ / installed$/)) print p}' | sort -u)
	command -v apt-get >/dev/null 2>&1 && manager='"apt"'
elif [ -f /lib/apk/db/installed ]; then
	packages=$(sed -n 's/^P://p' /lib/apk/db/installed | sort -u)
	command -v apk >/dev/null 2>&1 && manager='"apk"'
elif command -v rpm >/dev/null 2>&1; then
	packages=$(rpm -qa --qf '%{NAME}\n' | sort -u)
	manager='"rpm"'
	for m in zypper yum microdnf dnf; do command -v "$m" >/dev/null 2>&1 && manager="\"$m\""; done
fi

python=null
if command -v python3 >/dev/null 2>&1; then
	python=$(python3 -c 'import json, os, platform, sys, sysconfig
p = sysconfig.get_paths()
print(json.dumps({"version": platform.python_version(), "implementation": platform.python_implementation(),
  "abi": "", "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")), "prefix": sys.base_prefix,
  "executable": sys.executable, "headers": os.path.exists(os.path.join(p["include"], "Python.h")),
  "pep668": os.path.exists(os.path.join(p["stdlib"], "EXTERNALLY-MANAGED")), "pip": False}))' 2>/dev/null) || python=null
fi

compilers= sep=
for tool in gcc cc g++ clang gfortran rustc cargo; do
	if command -v "$tool" >/dev/null 2>&1; then
		compilers="$compilers$sep\"$tool\": \"$(esc "$("$tool" --version 2>&1 | head -n 1)")\""
		sep=', '
	fi
done
pkg_config=false
{ command -v pkg-config || command -v pkgconf; } >/dev/null 2>&1 && pkg_config=true
shell=false
[ -e /bin/sh ] && shell=true
list=$(printf '%s\n' "$packages" | awk 'NF{printf "%s\"%s\"", (n++ ? ", " : ""), $0}')

cat <<JSON
{
 "profile_version": 1,
 "name": "",
 "os": {"id": "$(esc "$(field ID)")", "id_like": [$(field ID_LIKE | awk '{for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i}')], "version_id": "$(esc "$(field VERSION_ID)")", "codename": "$(esc "$(field VERSION_CODENAME)")", "pretty_name": "$(esc "$(field PRETTY_NAME)")"},
 "libc": {"name": "$libc_name", "version": "$libc_version"},
 "arch": "$(uname -m)",
 "python": $python,
 "package_manager": $manager,
 "packages": [$list],
 "compilers": {$compilers},
 "pkg_config": $pkg_config,
 "shell": $shell,
 "size_bytes": null
}
JSON
