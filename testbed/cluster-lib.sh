# Names and addresses of the Flowmesh cluster testbed (N agents on one virtual LAN). Sourced, not run.
# Everything carries the prefix "fmc" so it never collides with the other testbeds (fmint, fmepo, ...):
#   bridge   fmc-br    in the root namespace, 10.77.0.254/24 (so the root namespace reaches every agent's API)
#   node i   fmc-n<i>  namespace; its interface fmc-e<i> has 10.77.0.<i>/24; the root-side end fmc-v<i> is a
#                      port of fmc-br ("ip link set fmc-v<i> down" cuts node i off the LAN)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fmc_log() { printf "[fmc %s] %s\n" "$(date -u +%H:%M:%S)" "$*" >&2; }

# FMC_NAME / FMC_NET move the whole LAN (names <FMC_NAME>-..., addresses <FMC_NET>.x) so that two clusters can
# exist side by side (two checkouts testing at once). FMC_NAME must start with "fmc".
FMC_NAME=${FMC_NAME:-fmc}
[[ $FMC_NAME =~ ^fmc[a-z0-9]{0,3}$ ]] || { echo "fmc: FMC_NAME '$FMC_NAME' must be fmc plus up to 3 of [a-z0-9]" >&2; exit 2; }
FMC_BRIDGE=$FMC_NAME-br
FMC_NET=${FMC_NET:-10.77.0}
FMC_ROOT_ADDR=$FMC_NET.254
FMC_PREFIXLEN=24
FMC_GOSSIP_PORT=${FMC_GOSSIP_PORT:-7946}
FMC_API_PORT=${FMC_API_PORT:-7947}
FMC_MAX_NODES=50
# Machine-wide lock of the fmc names: the xunit cluster tests hold it (exclusive flock) while their LAN exists;
# cluster-demo.sh takes it too, so a demo and a test run never tear down each other's namespaces.
FMC_LOCK=/tmp/$FMC_NAME-cluster.lock
# Agent data directories, logs, pids and the cluster key live here; cluster-down.sh removes it.
FMC_STATE=${FMC_STATE:-/tmp/$FMC_NAME-cluster}

fmc_ns()      { echo "$FMC_NAME-n$1"; }
fmc_if()      { echo "$FMC_NAME-e$1"; }   # inside the namespace
fmc_port()    { echo "$FMC_NAME-v$1"; }   # root side, enslaved to the bridge
fmc_addr()    { echo "$FMC_NET.$1"; }
fmc_api_url() { echo "http://$FMC_NET.$1:$FMC_API_PORT"; }
# The agents' APIs listen on the bridge (beyond loopback), where every request needs the API token: all nodes of a
# demo cluster share one token file in the state directory (cluster-agents.sh makes it).
FMC_TOKEN_FILE=$FMC_STATE/api.token
fmc_curl()    { curl -H "Authorization: Bearer $(cat "$FMC_TOKEN_FILE")" "$@"; }
in_node()     { local i=$1; shift; ip netns exec "$(fmc_ns "$i")" "$@"; }

# Node numbers of the namespaces that exist now, ascending.
fmc_nodes() { ip netns list | awk '{print $1}' | sed -n "s/^$FMC_NAME-n\([0-9][0-9]*\)\$/\1/p" | sort -n; }

# The flowmesh command: $FLOWMESH if set (e.g. "dotnet /path/flowmesh.dll"), else the repository's ./flowmesh
# wrapper (builds the native binary on first use).
fmc_flowmesh_cmd() {
    if [[ -n ${FLOWMESH:-} ]]; then
        # shellcheck disable=SC2206  # FLOWMESH is a command line on purpose
        FMC_FLOWMESH=($FLOWMESH)
    else
        FMC_FLOWMESH=("$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/flowmesh")
    fi
}
