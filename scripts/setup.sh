#!/usr/bin/env bash
# Installs what Flowmesh needs on a Debian/Ubuntu machine, quietly and only what is missing.
#   scripts/setup.sh           packages the agent and CLI need at run time
#   scripts/setup.sh --test    also the tools the tests compare against and drive traffic with
set -euo pipefail

runtime_packages=(libpcap0.8 libpcap0.8-dev iproute2 libbpf1)
# Building: clang compiles the eBPF flow program (with libbpf's BPF headers and the kernel UAPI
# headers) and links the native (AOT) flowmesh binary, which also needs zlib.
build_packages=(clang libbpf-dev linux-libc-dev zlib1g-dev)
# The dashboard is bundled with Node.js and npm during the agent's build. Machines of this kind ship
# Node.js already; Debian's packages are installed only when npm is missing.
command -v npm >/dev/null 2>&1 || build_packages+=(nodejs npm)
# nfdump (nfcapd) and pmacct (nfacctd) are the IPFIX collectors the export tests send to on loopback.
test_packages=(python3 tshark tcpdump iperf3 nmap hping3 softflowd nfdump pmacct iputils-ping curl procps time bpftool libc6-dev chromium prometheus faketime)
test_packages+=(nftables)  # host-context drop and retransmission tests: nft drop rules and their counters are the truth
# The DNS host-context tests run a resolver (dnsmasq, binary only: no system service) in a namespace and query it with dig.
test_packages+=(dnsmasq-base bind9-dnsutils)
test_packages+=(python3-matplotlib)  # bench/evaluate.sh draws the evaluation charts with matplotlib

want=("${runtime_packages[@]}" "${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_packages[@]}")

missing=()
for package in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "flowmesh: these packages are missing: ${missing[*]}" >&2
        echo "flowmesh: run this once as root (sudo $0 $*) or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "flowmesh: installing ${missing[*]} (once)..." >&2
    log=$(mktemp)
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer for it so the install never waits.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
        echo "flowmesh: package installation failed; the apt output follows" >&2
        cat "$log" >&2
        exit 1
    fi
    rm -f "$log"
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "flowmesh: the .NET 10 SDK is required (dotnet was not found on PATH)" >&2
    exit 1
fi
