/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one definition of what the kernel flow program writes and user space reads.
 * src/Flowmesh.Capture/Ebpf/Kernel*.cs mirror these structs byte for byte, and
 * tests/Flowmesh.Capture.Tests/Ebpf/LayoutAgreementTests compiles this header to prove it.
 * Change a field here, in the C# structs and FLOWMESH_SCHEMA_VERSION together.
 *
 * Every padding byte is an explicit field: the key is hashed as raw bytes, so hidden padding
 * holding stack garbage would split one flow into many.
 */
#ifndef FLOWMESH_MAPS_H
#define FLOWMESH_MAPS_H

#include <linux/types.h>

#define FLOWMESH_SCHEMA_VERSION 1

/*
 * Maps (declared in flowmesh.bpf.c, found by name by the loader):
 *   flowmesh_flows_a, flowmesh_flows_b  two flow hashes, key flowmesh_flow_key, value flowmesh_flow_value;
 *   flowmesh_active_flows               array-of-maps, one slot: the flow hash the program adds into now;
 *                                       user space swaps it before each drain and empties the other;
 *   flowmesh_counters                   per-CPU array indexed by enum flowmesh_counter.
 */

/* Default size of each flow map; the loader overrides it (bpf_map__set_max_entries) before loading. */
#define FLOWMESH_DEFAULT_MAX_FLOWS 65536

/* Set in flowmesh_direction.tcp_flags next to the 8 TCP flag bits: this direction sent a SYN without
 * ACK, i.e. it opened the connection. The OR of the flag bytes alone cannot tell the initiator. */
#define FLOWMESH_SYN_WITHOUT_ACK 0x100

/*
 * Direction-free 5-tuple, the same normalization as Flowmesh.Core FlowKey: the endpoint with the
 * smaller (address, port) is "low". Addresses compare as 16 big-endian bytes, ports as numbers.
 */
struct flowmesh_flow_key {
	__u8 low_addr[16];  /* network byte order; IPv4 as IPv4-mapped IPv6 ::ffff:a.b.c.d */
	__u8 high_addr[16];
	__u16 low_port;     /* host byte order; 0 for ICMP/ICMPv6, protocols without ports, non-first fragments */
	__u16 high_port;
	__u8 protocol;      /* IANA number of the transport, after IPv6 extension headers */
	__u8 pad[3];        /* always zero */
};

/* What one direction of a flow sent since the last drain. */
struct flowmesh_direction {
	__u64 packets;   /* packets as the TC hook sees them: a GSO/GRO super-packet is one */
	__u64 bytes;     /* sum of IP total lengths (IPv6: payload length + 40), as the libpcap path counts */
	__u64 segments;  /* wire packets: a super-packet counts its gso_segs */
	__u64 first_ns;  /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the first packet; 0 if packets == 0 */
	__u64 last_ns;   /* of the latest packet */
	__u32 tcp_flags; /* OR of the TCP flags bytes, plus FLOWMESH_SYN_WITHOUT_ACK */
	__u8 icmp_type;  /* ICMP/ICMPv6 type and code of this direction's first packet */
	__u8 icmp_code;
	__u8 pad[2];     /* always zero */
};

struct flowmesh_flow_value {
	struct flowmesh_direction low_to_high;
	struct flowmesh_direction high_to_low;
};

/* Not a map type: a drained key and its value side by side, as user space hands them on. */
struct flowmesh_flow_entry {
	struct flowmesh_flow_key key;
	struct flowmesh_flow_value value;
};

/* Indexes of the per-CPU counter array: packets the flow map did not get, and why. */
enum flowmesh_counter {
	FLOWMESH_MISS_MAP_FULL = 0,        /* new flow, but the flow map was full: packet not aggregated */
	FLOWMESH_MISS_UPDATE_FAILED = 1,   /* insert failed for another reason (e.g. -EBUSY): not aggregated */
	FLOWMESH_NOT_IP = 2,               /* neither IPv4 nor IPv6 (ARP, LLDP, ...): not a flow, not counted */
	FLOWMESH_BAD_IP_HEADER = 3,        /* IP header truncated or invalid: not counted */
	FLOWMESH_TRUNCATED_TRANSPORT = 4,  /* transport header cut short: counted with ports 0 */
	FLOWMESH_IPV6_HEADER_CHAIN = 5,    /* more IPv6 extension headers than parsed: counted with ports 0 */
	FLOWMESH_COUNTER_COUNT = 6
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct flowmesh_flow_key) == 40, "flow key layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_direction) == 48, "direction layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_flow_value) == 96, "flow value layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_flow_entry) == 136, "flow entry layout changed: update the C# mirror");
#endif

#endif /* FLOWMESH_MAPS_H */
