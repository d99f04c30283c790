/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the host-context hooks (tcp_stats.bpf.c) write and user space reads.
 * src/Flowmesh.Capture/HostContext/Tcp/Kernel*.cs mirror these structs byte for byte, and
 * tests/Flowmesh.Capture.Tests/HostContext/TcpStatsLayoutTests compiles this header to prove it.
 * Every padding byte is an explicit field: keys are hashed as raw bytes.
 *
 * Maps (declared in tcp_stats.bpf.c, found by name by TcpStatsHooks):
 *   flowmesh_tcp_paths     hash, key flowmesh_tuple (source = the socket's LOCAL end), value flowmesh_tcp_path;
 *   flowmesh_drops         hash, key flowmesh_drop_key (source = the dropped PACKET's source), value flowmesh_drop_count;
 *   flowmesh_hook_counters per-CPU array indexed by enum flowmesh_hook_counter.
 * Both hashes are bounded (the loader sets max_entries); user space removes an entry when it reports it
 * and sweeps entries nobody asked for, so a full map is a counted miss, never an unbounded one.
 */
#ifndef FLOWMESH_TCP_STATS_MAPS_H
#define FLOWMESH_TCP_STATS_MAPS_H

#include <linux/types.h>

#define FLOWMESH_DEFAULT_MAX_TCP_PATHS 16384
#define FLOWMESH_DEFAULT_MAX_DROP_KEYS 16384

/* An oriented 5-tuple. Addresses in network order, IPv4 as IPv4-mapped IPv6; ports in host order,
 * 0 for ICMP/ICMPv6 and non-first fragments. */
struct flowmesh_tuple {
	__u8 source_addr[16];
	__u8 destination_addr[16];
	__u16 source_port;
	__u16 destination_port;
	__u8 protocol;
	__u8 pad[3]; /* always zero */
};

/* One TCP socket's path since user space last took its entry. */
struct flowmesh_tcp_path {
	__u32 srtt_us;       /* newest smoothed RTT (tcp_sock.srtt_us >> 3), microseconds */
	__u32 min_srtt_us;   /* smallest smoothed RTT sampled since the entry was created */
	__u32 max_srtt_us;   /* largest */
	__u32 samples;       /* established-state segments received (each one an RTT sample) */
	__u64 retransmits;   /* segments the socket retransmitted */
	__u64 last_ns;       /* bpf_ktime_get_ns() of the newest update */
};

struct flowmesh_drop_key {
	struct flowmesh_tuple tuple;
	__u32 reason;        /* enum skb_drop_reason of the running kernel */
	__u32 pad;           /* always zero */
};

struct flowmesh_drop_count {
	__u64 packets;
	__u64 last_ns;
};

/* Indexes of the per-CPU counter array: what the hooks saw but did not keep per flow, and why. */
enum flowmesh_hook_counter {
	FLOWMESH_TCP_MAP_FULL = 0,        /* a socket had no entry and the TCP map was full */
	FLOWMESH_TCP_UPDATE_FAILED = 1,   /* insert failed for another reason */
	FLOWMESH_DROP_MAP_FULL = 2,       /* a drop had no entry and the drop map was full */
	FLOWMESH_DROP_UPDATE_FAILED = 3,
	FLOWMESH_DROP_NOT_KEPT = 4,       /* freed with NOT_SPECIFIED or QUEUE_PURGE: not kept per flow (docs/host-context.md) */
	FLOWMESH_DROP_NOT_IP = 5,         /* dropped packet without a readable IPv4/IPv6 header (ARP, L2, unset header) */
	FLOWMESH_HOOK_COUNTER_COUNT = 6
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct flowmesh_tuple) == 40, "tuple layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_tcp_path) == 32, "tcp path layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_drop_key) == 48, "drop key layout changed: update the C# mirror");
_Static_assert(sizeof(struct flowmesh_drop_count) == 16, "drop count layout changed: update the C# mirror");
#endif

#endif /* FLOWMESH_TCP_STATS_MAPS_H */
