// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Host-context hooks: what the PC's own TCP stack and drop points know about a flow
 * (docs/host-context.md "TCP RTT and retransmissions", "Kernel drops").
 *
 *   fentry/tcp_rcv_established     per received established-state segment: the socket's smoothed RTT
 *   (or tp_btf/tcp_probe)          (tcp_sock.srtt_us >> 3, as NetObserv reads it), newest, min and max;
 *   tp_btf/tcp_retransmit_skb      per retransmitted segment: +1 on the socket's entry;
 *   tp_btf/kfree_skb               per freed packet with a drop reason: +1 on (packet 5-tuple, reason).
 *
 * Independent of the TC flow program: works the same under libpcap capture. Kernel types come from the
 * running kernel's BTF through CO-RE: the structs below name only the fields read, and libbpf relocates
 * their offsets at load time (preserve_access_index), so no vmlinux.h is needed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "tcp_stats_maps.h"

#define AF_INET 2
#define AF_INET6 10
#define IP_OFFSET_MASK 0x1fff
#define MAX_IPV6_EXTENSION_HEADERS 4
#define NETWORK_HEADER_UNSET 0xffff

struct sock_common {
	unsigned short skc_family;
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct tcp_sock {
	__u32 srtt_us; /* smoothed RTT << 3, microseconds */
} __attribute__((preserve_access_index));

struct sk_buff {
	char cb[48]; /* TCP: struct tcp_skb_cb, whose tcp_gso_segs is at offset 8 */
	unsigned char *head;
	__u16 network_header;
	__be16 protocol;
} __attribute__((preserve_access_index));

/* Has the err field (and the tracepoint its third argument, err) since Linux 6.13. */
struct trace_event_raw_tcp_retransmit_skb {
	int err;
} __attribute__((preserve_access_index));

/* Only the values this program compares with; CO-RE takes their numbers from the running kernel. */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_CONSUMED = 1,
	SKB_DROP_REASON_NOT_SPECIFIED = 2,
	SKB_DROP_REASON_QUEUE_PURGE = 3, /* placeholder value: CO-RE takes the real one, if the kernel has it */
};

/* Plain hashes, not LRU: an LRU map evicts silently (and, with per-CPU free lists, before it is full),
 * so a flood would push real flows out uncounted. Here a full map refuses the new key and says so in a
 * counter; user space frees entries as it reports them and sweeps idle ones. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FLOWMESH_DEFAULT_MAX_TCP_PATHS);
	__type(key, struct flowmesh_tuple);
	__type(value, struct flowmesh_tcp_path);
} flowmesh_tcp_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FLOWMESH_DEFAULT_MAX_DROP_KEYS);
	__type(key, struct flowmesh_drop_key);
	__type(value, struct flowmesh_drop_count);
} flowmesh_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWMESH_HOOK_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} flowmesh_hook_counters SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&flowmesh_hook_counters, &index);
	if (value) *value += 1; /* per-CPU: no atomics needed */
}

static __always_inline void map_ipv4(__u8 *to, __be32 address)
{
	__builtin_memset(to, 0, 10);
	to[10] = 0xff;
	to[11] = 0xff;
	__builtin_memcpy(to + 12, &address, 4);
}

/* The socket's 5-tuple, local end as source. */
static __always_inline int socket_tuple(const struct sock *sk, struct flowmesh_tuple *t)
{
	unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		map_ipv4(t->source_addr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		map_ipv4(t->destination_addr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&t->source_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t->destination_addr, sk, __sk_common.skc_v6_daddr);
	} else {
		return -1;
	}
	t->source_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->destination_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->protocol = IPPROTO_TCP;
	return 0;
}

/* The socket's entry, created empty if missing; NULL (and counted) when the map is full. */
static __always_inline struct flowmesh_tcp_path *tcp_path(const struct flowmesh_tuple *t)
{
	struct flowmesh_tcp_path *path = bpf_map_lookup_elem(&flowmesh_tcp_paths, t);
	if (path) return path;
	struct flowmesh_tcp_path empty = {};
	long error = bpf_map_update_elem(&flowmesh_tcp_paths, t, &empty, BPF_NOEXIST);
	if (error != 0 && error != -17 /* -EEXIST: another CPU created it */) {
		count(error == -7 /* -E2BIG */ ? FLOWMESH_TCP_MAP_FULL : FLOWMESH_TCP_UPDATE_FAILED);
		return 0;
	}
	return bpf_map_lookup_elem(&flowmesh_tcp_paths, t);
}

static __always_inline int sample_rtt(struct sock *sk)
{
	__u32 srtt = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	if (srtt == 0) return 0; /* no RTT sample yet */
	struct flowmesh_tuple t = {};
	if (socket_tuple(sk, &t) != 0) return 0;
	struct flowmesh_tcp_path *path = tcp_path(&t);
	if (!path) return 0;
	/* tcp_rcv_established runs under the socket's lock: one CPU at a time updates this entry's RTT. */
	path->srtt_us = srtt;
	if (path->min_srtt_us == 0 || srtt < path->min_srtt_us) path->min_srtt_us = srtt;
	if (srtt > path->max_srtt_us) path->max_srtt_us = srtt;
	path->samples += 1;
	path->last_ns = bpf_ktime_get_ns();
	return 0;
}

/* The RTT hook, one of two (the loader loads the first the kernel accepts): fentry needs BTF and ftrace
 * direct calls and is refused on some kernels (e.g. under some lockdown or VM configurations); the
 * tcp:tcp_probe tracepoint fires at the same place, the top of tcp_rcv_established, on every kernel since
 * 4.16, and costs a little more per segment. */
SEC("fentry/tcp_rcv_established")
int BPF_PROG(flowmesh_tcp_rtt, struct sock *sk, struct sk_buff *skb)
{
	return sample_rtt(sk);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(flowmesh_tcp_rtt_probe, struct sock *sk, struct sk_buff *skb)
{
	return sample_rtt(sk);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(flowmesh_tcp_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	/* Since 6.13 the tracepoint also fires for retransmissions that failed to go out; the kernel's own
	 * total_retrans (what ss and iperf3 report) counts only those that went out. */
	if (bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb, err) && (int)ctx[2] != 0) return 0;
	struct flowmesh_tuple t = {};
	if (socket_tuple(sk, &t) != 0) return 0;
	struct flowmesh_tcp_path *path = tcp_path(&t);
	if (!path) return 0;
	/* One skb may carry several segments (TSO); total_retrans counts segments, tcp_skb_pcount(). */
	__u16 segments = 0;
	bpf_probe_read_kernel(&segments, sizeof(segments), (const char *)skb + bpf_core_field_offset(struct sk_buff, cb) + 8);
	__sync_fetch_and_add(&path->retransmits, segments ? segments : 1);
	path->last_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int read_ports(const unsigned char *at, struct flowmesh_tuple *t)
{
	__be16 ports[2];
	if (bpf_probe_read_kernel(ports, sizeof(ports), at) != 0) return -1;
	t->source_port = bpf_ntohs(ports[0]);
	t->destination_port = bpf_ntohs(ports[1]);
	return 0;
}

static __always_inline int packet_ipv4(const unsigned char *network, struct flowmesh_tuple *t)
{
	struct iphdr ip;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), network) != 0) return -1;
	if (ip.version != 4 || ip.ihl < 5) return -1;
	map_ipv4(t->source_addr, ip.saddr);
	map_ipv4(t->destination_addr, ip.daddr);
	t->protocol = ip.protocol;
	if (bpf_ntohs(ip.frag_off) & IP_OFFSET_MASK) return 0; /* non-first fragment: no ports */
	/* Ports only when the packet says it holds them: a truncated header (often the very reason for the drop)
	 * would otherwise read whatever follows it in the buffer. tot_len 0 is a BIG TCP super-packet. */
	__u16 total = bpf_ntohs(ip.tot_len);
	if ((ip.protocol == IPPROTO_TCP || ip.protocol == IPPROTO_UDP) && (total == 0 || total >= ip.ihl * 4 + 4))
		read_ports(network + ip.ihl * 4, t); /* unreadable ports stay 0 */
	return 0;
}

static __always_inline int packet_ipv6(const unsigned char *network, struct flowmesh_tuple *t)
{
	struct ipv6hdr ip;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), network) != 0) return -1;
	if (ip.version != 6) return -1;
	__builtin_memcpy(t->source_addr, &ip.saddr, 16);
	__builtin_memcpy(t->destination_addr, &ip.daddr, 16);
	__u8 next = ip.nexthdr;
	__u32 offset = sizeof(ip);
	for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
		if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
			__u8 header[2];
			if (bpf_probe_read_kernel(header, sizeof(header), network + offset) != 0) break;
			next = header[0];
			offset += (header[1] + 1) * 8;
		} else if (next == IPPROTO_FRAGMENT) {
			__u8 header[4];
			if (bpf_probe_read_kernel(header, sizeof(header), network + offset) != 0) break;
			next = header[0];
			offset += 8;
			if (((header[2] << 8) | header[3]) & 0xfff8) { /* non-first fragment: no ports */
				t->protocol = next;
				return 0;
			}
		} else {
			break;
		}
	}
	t->protocol = next;
	__u16 payload = bpf_ntohs(ip.payload_len); /* 0: jumbogram */
	if ((next == IPPROTO_TCP || next == IPPROTO_UDP) && (payload == 0 || payload >= offset - sizeof(ip) + 4))
		read_ports(network + offset, t);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(flowmesh_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	/* Frees that are not drops (consumed, not yet dropped) and the catch-all kfree_skb() without a
	 * reason, which many ordinary paths still use, are not kept per flow: see docs/host-context.md. */
	if (reason <= bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED)) {
		if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
			count(FLOWMESH_DROP_NOT_KEPT);
		return 0;
	}
	/* A purged queue (every TCP socket's unsent or unread data at close) is housekeeping, not loss on the way. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE)) {
		count(FLOWMESH_DROP_NOT_KEPT);
		return 0;
	}
	__u16 network_offset = BPF_CORE_READ(skb, network_header);
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	struct flowmesh_drop_key key = {};
	int parsed = -1;
	if (network_offset != NETWORK_HEADER_UNSET && head) {
		if (protocol == ETH_P_IP) parsed = packet_ipv4(head + network_offset, &key.tuple);
		else if (protocol == ETH_P_IPV6) parsed = packet_ipv6(head + network_offset, &key.tuple);
	}
	if (parsed != 0) {
		count(FLOWMESH_DROP_NOT_IP);
		return 0;
	}
	key.reason = reason;
	__u64 now = bpf_ktime_get_ns();
	struct flowmesh_drop_count *counted = bpf_map_lookup_elem(&flowmesh_drops, &key);
	if (!counted) {
		struct flowmesh_drop_count first = { .packets = 1, .last_ns = now };
		long error = bpf_map_update_elem(&flowmesh_drops, &key, &first, BPF_NOEXIST);
		if (error == 0) return 0;
		if (error != -17) {
			count(error == -7 ? FLOWMESH_DROP_MAP_FULL : FLOWMESH_DROP_UPDATE_FAILED);
			return 0;
		}
		counted = bpf_map_lookup_elem(&flowmesh_drops, &key);
		if (!counted) return 0;
	}
	__sync_fetch_and_add(&counted->packets, 1);
	counted->last_ns = now;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
