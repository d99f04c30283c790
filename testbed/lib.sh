# Shared names and addresses of the Flowmesh integration testbed. Sourced, not run.
# Everything carries the prefix "fmint" so parallel testbeds of other components never collide.

FMINT_NS_A=${FMINT_NS_A:-fmint-a}       # client side; the capture is taken here
FMINT_NS_B=${FMINT_NS_B:-fmint-b}       # server side
FMINT_IF_A=${FMINT_IF_A:-fmint-va}
FMINT_IF_B=${FMINT_IF_B:-fmint-vb}

# A private /24 and a ULA /64 that exist only inside the two namespaces.
FMINT_V4_A=10.213.77.1
FMINT_V4_B=10.213.77.2
FMINT_V4_PREFIX=24
FMINT_V6_A=fd42:f10e:3e5a::1
FMINT_V6_B=fd42:f10e:3e5a::2
FMINT_V6_PREFIX=64

fmint_log() { printf '[fmint %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

fmint_require_root() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "fmint: must run as root (network namespaces, raw sockets)" >&2
        exit 77
    fi
}

fmint_require_tools() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if ((${#missing[@]})); then
        echo "fmint: missing tools: ${missing[*]}" >&2
        exit 77
    fi
}

in_a() { ip netns exec "$FMINT_NS_A" "$@"; }
in_b() { ip netns exec "$FMINT_NS_B" "$@"; }
