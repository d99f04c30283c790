/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the TC flow program hands the DNS host-context source: the first bytes of every port-53 UDP or TCP
 * packet, from the IP header on, through a BPF ring buffer (docs/host-context.md#dns).
 * src/Flowmesh.Capture/Ebpf/DnsRingBuffer.cs mirrors these definitions.
 *
 * Maps (declared in flowmesh.bpf.c, found by name by the loader):
 *   flowmesh_dns_events    BPF_MAP_TYPE_RINGBUF of struct flowmesh_dns_event records;
 *   flowmesh_dns_counters  per-CPU array indexed by enum flowmesh_dns_counter.
 */
#ifndef FLOWMESH_DNS_H
#define FLOWMESH_DNS_H

#include <linux/types.h>

#define FLOWMESH_DNS_PORT 53
/* Bytes copied per packet: a header, a question and a dozen answers; longer messages are read as far as they go. */
#define FLOWMESH_DNS_SNAP 512
/* Ring buffer size (a power of two pages): about 450 records, far more DNS than a PC sends between two polls. */
#define FLOWMESH_DNS_RING_BYTES (256 * 1024)

struct flowmesh_dns_event {
	__u64 timestamp_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 wire_length;     /* bytes from the IP header to the end of the packet */
	__u32 captured_length; /* bytes of data[] filled: min(wire_length, FLOWMESH_DNS_SNAP) */
	__u8 data[FLOWMESH_DNS_SNAP]; /* the packet from its IP header on */
};

enum flowmesh_dns_counter {
	FLOWMESH_DNS_RING_FULL = 0,  /* the ring buffer had no room: the packet's DNS message is lost to user space */
	FLOWMESH_DNS_COPY_FAILED = 1, /* bpf_skb_load_bytes refused: not copied */
	FLOWMESH_DNS_COUNTER_COUNT = 2
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct flowmesh_dns_event) == 16 + FLOWMESH_DNS_SNAP, "DNS event layout changed: update DnsRingBuffer.cs");
#endif

#endif /* FLOWMESH_DNS_H */
