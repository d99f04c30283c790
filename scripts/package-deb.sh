#!/usr/bin/env bash
# Builds the Debian package of the Flowmesh agent and CLI with dpkg-deb (docs/packaging.md).
#
#   scripts/package-deb.sh                     native (AOT) build, then .build/package/flowmesh_<version>_<arch>.deb
#   scripts/package-deb.sh --from DIR          package an existing build output instead of building: DIR holds the
#                                              'flowmesh' executable, flowmesh.bpf.o and libe_sqlite3.so (a native
#                                              publish), or a framework-dependent build (the tests use that: it is
#                                              already built, and then the package needs the .NET runtime too)
#   scripts/package-deb.sh --out DIR           where the .deb goes (default .build/package)
#   scripts/package-deb.sh --compression none  dpkg-deb's compressor: xz (default, smallest), gzip, zstd or none
#
# Prints the path of the .deb on stdout. The version is the one in Directory.Build.props (the one place it lives).
# Layout: /usr/lib/flowmesh/ (the binary and the files it loads from beside itself), /usr/bin/flowmesh (a link to it),
# /usr/lib/systemd/system/ (the units of deploy/, for the installed paths), /etc/flowmesh/agent.json (a conffile),
# /usr/share/doc/flowmesh/. The maintainer scripts (deploy/debian/) create the 'flowmesh' user the unit runs as.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

from=
out="$repo/.build/package"
compression=xz
while (($#)); do
    case "$1" in
        --from) from=$(cd "$2" && pwd); shift 2 ;;
        --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
        --compression) compression=$2; shift 2 ;;
        *) echo "usage: $0 [--from BUILD_DIR] [--out DIR] [--compression xz|gzip|zstd|none]" >&2; exit 2 ;;
    esac
done

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
[[ -n "$version" ]] || { echo "package-deb: no <Version> in Directory.Build.props" >&2; exit 1; }
arch=$(dpkg --print-architecture)
case "$arch" in amd64) rid=linux-x64 ;; arm64) rid=linux-arm64 ;; *) echo "package-deb: no .NET runtime id for $arch" >&2; exit 1 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z "$from" ]]; then
    "$repo/scripts/setup.sh"
    from="$work/publish"
    # Reproducible: the build time stamped into the binary is the commit's time (BuildStamp.targets).
    SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)
    export SOURCE_DATE_EPOCH
    echo "package-deb: building the native binary for $rid (about a minute)..." >&2
    dotnet publish "$repo/src/Flowmesh.Agent/Flowmesh.Agent.csproj" -c Release -r "$rid" -p:PublishAot=true \
        -o "$from" --nologo -v q -clp:ErrorsOnly >&2
fi
for required in flowmesh flowmesh.bpf.o; do
    [[ -f "$from/$required" ]] || { echo "package-deb: $from has no $required" >&2; exit 1; }
done

root="$work/root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/flowmesh" "$root/usr/lib/systemd/system" \
    "$root/etc/flowmesh" "$root/usr/share/doc/flowmesh"

# The binary finds flowmesh.bpf.o and libe_sqlite3.so beside itself (its real path, through the /usr/bin link).
# A framework-dependent build brings its assemblies; debug symbols and XML docs stay out.
# Of a framework-dependent build's subdirectories only this platform's native libraries are kept (a build directory
# may also hold older runtime-specific builds, such as linux-x64/, that are not part of this build).
(cd "$from" && find . -type f \( -path './*/*' -a ! -path "./runtimes/$rid/*" \) -prune -o -type f ! -name '*.dbg' ! -name '*.pdb' ! -name '*.xml' -print0 |
    while IFS= read -r -d '' file; do install -D -m 0644 "$file" "$root/usr/lib/flowmesh/$file"; done)
chmod 0755 "$root/usr/lib/flowmesh/flowmesh"
ln -s ../lib/flowmesh/flowmesh "$root/usr/bin/flowmesh"
depends="libc6, libpcap0.8, libbpf1, zlib1g, passwd"
if [[ -f "$from/flowmesh.dll" ]]; then
    # Framework-dependent: the .NET runtime is not a Debian package here, so it is not a dependency either; say so.
    description_note=$'\n This build is framework-dependent: it needs the ASP.NET Core 10 runtime (not for release).'
else
    description_note=""
fi

for unit in flowmesh.service flowmesh-sleep.service; do
    sed -e 's:/usr/local/bin/flowmesh:/usr/bin/flowmesh:g' \
        -e 's|file:///usr/local/share/doc/flowmesh/|file:///usr/share/doc/flowmesh/|g' \
        "$repo/deploy/$unit" >"$root/usr/lib/systemd/system/$unit"
    chmod 0644 "$root/usr/lib/systemd/system/$unit"
done
install -m 0644 "$repo/deploy/agent.json" "$root/etc/flowmesh/agent.json"
install -m 0644 "$repo/README.md" "$repo/docs/agent.md" "$repo/docs/packaging.md" "$root/usr/share/doc/flowmesh/"
install -m 0644 "$repo/deploy/README.md" "$root/usr/share/doc/flowmesh/service.md"

for script in postinst prerm postrm; do install -m 0755 "$repo/deploy/debian/$script" "$root/DEBIAN/$script"; done
echo "/etc/flowmesh/agent.json" >"$root/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: flowmesh
Version: $version
Architecture: $arch
Maintainer: Flowmesh developers <flowmesh@localhost>
Section: net
Priority: optional
Installed-Size: $installed_size
Depends: $depends
Description: decentralized flow monitor agent
 Every PC runs one small agent that captures its own traffic at flow level (eBPF
 or libpcap), seals a signed epoch record every 10 s and gossips with the other
 agents; together they replace the central collector. The agent runs as the
 'flowmesh' user with only the capture capabilities.$description_note
CONTROL

mkdir -p "$out"
deb="$out/flowmesh_${version}_${arch}.deb"
dpkg-deb --root-owner-group "-Z$compression" --build "$root" "$deb" >&2
echo "$deb"
