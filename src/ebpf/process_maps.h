/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the process attribution hooks (process.bpf.c) write and user space reads.
 * src/Flowmesh.Capture/HostContext/Processes/KernelProcessKey.cs and KernelProcessValue.cs mirror these
 * structs byte for byte; ProcessLayoutAgreementTests compiles this header to prove it.
 *
 * Every padding byte is an explicit field: the key is hashed as raw bytes, so hidden padding holding
 * stack garbage would make lookups from user space miss.
 */
#ifndef FLOWMESH_PROCESS_MAPS_H
#define FLOWMESH_PROCESS_MAPS_H

#include <linux/types.h>

/*
 * Maps (found by name by the loader, ProcessSocketHooks.cs):
 *   flowmesh_process_sockets  LRU hash, key flowmesh_process_key, value flowmesh_process_value;
 *   flowmesh_process_connects LRU hash, key the struct sock pointer (__u64), value flowmesh_process_value:
 *                             the owner of a TCP connect between SYN_SENT (process context, local port
 *                             not chosen yet) and its next state (softirq, the 5-tuple complete);
 *   flowmesh_process_counters per-CPU array indexed by enum flowmesh_process_counter.
 */
#define FLOWMESH_PROCESS_DEFAULT_MAX_SOCKETS 65536

/*
 * A socket as its owner sees it: local endpoint first. Two kinds of entries:
 *   exact        local and remote endpoint (connected TCP and UDP, packets sent from raw, packet and
 *                ping sockets: their IP source first, ports 0 for protocols without ports);
 *   wildcard     remote all zero and remote_port 0: an unconnected UDP socket or a TCP listener,
 *                local address all zero when it is bound to any address.
 */
struct flowmesh_process_key {
	__u8 local_addr[16];  /* network byte order; IPv4 as IPv4-mapped IPv6 ::ffff:a.b.c.d; unspecified: all zero */
	__u8 remote_addr[16];
	__u16 local_port;     /* host byte order */
	__u16 remote_port;
	__u8 protocol;        /* 6 TCP, 17 UDP, other IANA numbers from raw sends */
	__u8 pad[3];          /* always zero */
};

/* Which hook recorded an entry (flowmesh_process_value.hook). */
enum flowmesh_process_hook {
	FLOWMESH_HOOK_TCP_CONNECT = 1,  /* inet_sock_set_state SYN_SENT (owner) then its next state (5-tuple) */
	FLOWMESH_HOOK_TCP_LISTEN = 3,   /* inet_sock_set_state LISTEN: a listener (wildcard entry) */
	FLOWMESH_HOOK_SEND = 4,         /* sock_send_length: a TCP or UDP send */
	FLOWMESH_HOOK_RECEIVE = 5,      /* sock_recv_length: a TCP or UDP receive */
	FLOWMESH_HOOK_RAW_SEND = 6,     /* net_dev_queue: a packet of a raw or ping socket */
	FLOWMESH_HOOK_PACKET_SEND = 7,  /* net_dev_queue: a packet of a packet (AF_PACKET) socket */
};

struct flowmesh_process_value {
	__u64 cgroup_id;  /* bpf_get_current_cgroup_id() */
	__u64 seen_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the latest time the owner used the socket */
	__u32 tgid;       /* the process id */
	__u32 tid;        /* the thread that used the socket */
	__u32 uid;
	__u32 netns;      /* inode of the socket's network namespace (ls -l /proc/PID/ns/net) */
	__u8 hook;        /* enum flowmesh_process_hook */
	__u8 pad[7];      /* always zero */
	char comm[16];    /* bpf_get_current_comm(), NUL-terminated */
};

enum flowmesh_process_counter {
	FLOWMESH_PROCESS_RECORDED = 0,       /* entries written (new owner, or an owner seen again after a while) */
	FLOWMESH_PROCESS_UPDATE_FAILED = 1,  /* map updates the kernel refused */
	FLOWMESH_PROCESS_UNPARSED_SEND = 2,  /* raw/packet socket packets whose IP header could not be read */
	FLOWMESH_PROCESS_COUNTER_COUNT = 3,
};

#endif
