// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flowmesh in-kernel flow aggregation, attached at TC/TCX ingress and egress.
 *
 * Per packet: parse Ethernet (+2 VLAN tags) or raw IP, IPv4/IPv6 (+extension headers, fragments) and
 * TCP/UDP/SCTP/ICMP/ICMPv6, then add to the normalized 5-tuple's counters in one shared hash map.
 * Everything else (which interfaces, how often to drain, what to export) is user space's business.
 * The program never drops, redirects or changes a packet: it always returns TC_ACT_UNSPEC (= TCX_NEXT).
 *
 * Headers are read directly from the linear packet data when they are there, and with
 * bpf_skb_load_bytes otherwise, so headers in a non-linear part of the skb are still parsed instead of
 * miscounted.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "flowmesh_maps.h"
#include "flowmesh_dns.h"

#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXTENSION_HEADERS 6
#define IP_OFFSET_MASK 0x1fff
/* Bounds the offsets of direct reads so the verifier can check them; deeper headers use the helper. */
#define MAX_DIRECT_OFFSET 256

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/* A plain (not per-CPU) hash: one copy of each flow whatever the CPU count; counters are updated
 * with atomic adds. No preallocation: only live flows take memory.
 *
 * Two of them, and the program adds into the one flowmesh_active_flows names. A drain first points
 * that slot at the other map; the kernel returns from that update only after an RCU grace period
 * (map-in-map updates wait for running programs), so no CPU can still be adding into the old map,
 * which user space then empties alone. Draining the map in use instead loses the packets of a CPU
 * that holds an entry while it is deleted, or that finds its flow gone between insert and lookup:
 * about one packet in millions under connection churn (issue 11), which exact counts cannot have. */
struct flowmesh_flow_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FLOWMESH_DEFAULT_MAX_FLOWS);
	__type(key, struct flowmesh_flow_key);
	__type(value, struct flowmesh_flow_value);
} flowmesh_flows_a SEC(".maps"), flowmesh_flows_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct flowmesh_flow_map);
} flowmesh_active_flows SEC(".maps") = {
	.values = { [0] = &flowmesh_flows_a },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWMESH_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} flowmesh_counters SEC(".maps");

/* Port-53 packets for the DNS host-context source (flowmesh_dns.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOWMESH_DNS_RING_BYTES);
} flowmesh_dns_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWMESH_DNS_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} flowmesh_dns_counters SEC(".maps");

struct packet {
	void *data; /* the skb's linear data, for direct reads */
	void *data_end;
	__u32 src[4]; /* network order, IPv4-mapped for IPv4 */
	__u32 dst[4];
	__u16 src_port; /* host order */
	__u16 dst_port;
	__u8 protocol;
	__u8 icmp_type;
	__u8 icmp_code;
	__u32 tcp_flags;
	__u64 ip_bytes;
};

static __always_inline void count(__u32 reason)
{
	__u64 *counter = bpf_map_lookup_elem(&flowmesh_counters, &reason);
	if (counter)
		*counter += 1; /* per-CPU slot: no other writer */
}

/* Copies len header bytes at offset: straight from the linear packet data when they are there (the
 * common case, and cheaper than a helper call), else through bpf_skb_load_bytes, which also reaches
 * non-linear parts. Returns 0, or negative when the packet is shorter. */
static __always_inline int load(struct __sk_buff *skb, const struct packet *p, __u32 offset, void *to, __u32 len)
{
	if (offset <= MAX_DIRECT_OFFSET && p->data + offset + len <= p->data_end) {
		__builtin_memcpy(to, p->data + offset, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, offset, to, len);
}

/* Reads the transport header at offset; returns 0, or -1 if it is cut short (then ports stay 0). */
static __always_inline int parse_transport(struct __sk_buff *skb, __u32 offset, struct packet *p)
{
	__u8 header[20];

	switch (p->protocol) {
	case IPPROTO_TCP:
		if (load(skb, p, offset, header, 20))
			return -1;
		p->src_port = ((__u16)header[0] << 8) | header[1];
		p->dst_port = ((__u16)header[2] << 8) | header[3];
		p->tcp_flags = header[13];
		if ((header[13] & 0x12) == 0x02) /* SYN without ACK */
			p->tcp_flags |= FLOWMESH_SYN_WITHOUT_ACK;
		return 0;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		if (load(skb, p, offset, header, 8))
			return -1;
		break;
	case IPPROTO_SCTP:
		if (load(skb, p, offset, header, 12))
			return -1;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (load(skb, p, offset, header, 4))
			return -1;
		p->icmp_type = header[0];
		p->icmp_code = header[1];
		return 0;
	default:
		return 0; /* no ports */
	}
	p->src_port = ((__u16)header[0] << 8) | header[1];
	p->dst_port = ((__u16)header[2] << 8) | header[3];
	return 0;
}

/* Returns the offset of the transport header, 0 for "no transport header to read", -1 for a bad packet. */
static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 offset, struct packet *p)
{
	struct iphdr ip;

	if (load(skb, p, offset, &ip, sizeof(ip)) || ip.version != 4 || ip.ihl < 5)
		return -1;
	p->src[2] = bpf_htonl(0x0000ffff);
	p->src[3] = ip.saddr;
	p->dst[2] = bpf_htonl(0x0000ffff);
	p->dst[3] = ip.daddr;
	p->protocol = ip.protocol;
	p->ip_bytes = bpf_ntohs(ip.tot_len);
	if (p->ip_bytes == 0) /* TSO/BIG TCP super-packet: the length is the skb's */
		p->ip_bytes = skb->len - offset;
	if (bpf_ntohs(ip.frag_off) & IP_OFFSET_MASK)
		return 0; /* non-first fragment: no transport header, ports 0 */
	return offset + ip.ihl * 4;
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 offset, struct packet *p)
{
	struct ipv6hdr ip;
	__u8 extension[8];

	if (load(skb, p, offset, &ip, sizeof(ip)) || ip.version != 6)
		return -1;
	__builtin_memcpy(p->src, &ip.saddr, 16);
	__builtin_memcpy(p->dst, &ip.daddr, 16);
	p->ip_bytes = bpf_ntohs(ip.payload_len) + 40;
	if (ip.payload_len == 0) /* jumbogram / BIG TCP: the length is the skb's */
		p->ip_bytes = skb->len - offset;

	__u8 next = ip.nexthdr;
	offset += sizeof(ip);
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXTENSION_HEADERS; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case 135: /* Mobility */
		case 139: /* HIP */
		case 140: /* Shim6 */
			if (load(skb, p, offset, extension, 2))
				goto truncated;
			next = extension[0];
			offset += (extension[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (load(skb, p, offset, extension, 2))
				goto truncated;
			next = extension[0];
			offset += (extension[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (load(skb, p, offset, extension, 8))
				goto truncated;
			next = extension[0];
			offset += 8;
			if (((extension[2] << 8) | extension[3]) & 0xfff8) {
				p->protocol = next;
				return 0; /* non-first fragment */
			}
			break;
		default:
			p->protocol = next;
			return offset;
		}
	}
	/* Still inside the header chain: count the packet under the last next-header value, without ports. */
	p->protocol = next;
	count(FLOWMESH_IPV6_HEADER_CHAIN);
	return 0;
truncated:
	p->protocol = next;
	count(FLOWMESH_TRUNCATED_TRANSPORT);
	return 0;
}

static __always_inline void add_direction(struct flowmesh_direction *d, const struct packet *p, __u64 segments,
					  __u64 now)
{
	if (__sync_fetch_and_add(&d->packets, 1) == 0) {
		/* This CPU added the direction's first packet; concurrent first packets lose only the ICMP type. */
		d->first_ns = now;
		d->icmp_type = p->icmp_type;
		d->icmp_code = p->icmp_code;
	}
	__sync_fetch_and_add(&d->bytes, p->ip_bytes);
	__sync_fetch_and_add(&d->segments, segments);
	if (p->tcp_flags)
		__sync_fetch_and_or(&d->tcp_flags, p->tcp_flags);
	d->last_ns = now; /* racing CPUs write times nanoseconds apart; any of them will do */
}

/* True when the source endpoint sorts before the destination: (address bytes, then port). */
static __always_inline int source_is_low(const struct packet *p)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u32 s = bpf_ntohl(p->src[i]), d = bpf_ntohl(p->dst[i]);
		if (s != d)
			return s < d;
	}
	return p->src_port <= p->dst_port;
}

static __always_inline void account(struct __sk_buff *skb, const struct packet *p)
{
	struct flowmesh_flow_key key = {};
	int low = source_is_low(p);

	key.protocol = p->protocol;
	if (low) {
		__builtin_memcpy(key.low_addr, p->src, 16);
		__builtin_memcpy(key.high_addr, p->dst, 16);
		key.low_port = p->src_port;
		key.high_port = p->dst_port;
	} else {
		__builtin_memcpy(key.low_addr, p->dst, 16);
		__builtin_memcpy(key.high_addr, p->src, 16);
		key.low_port = p->dst_port;
		key.high_port = p->src_port;
	}

	__u64 now = bpf_ktime_get_ns();
	__u64 segments = skb->gso_segs ? skb->gso_segs : 1;

	__u32 slot = 0;
	void *flows = bpf_map_lookup_elem(&flowmesh_active_flows, &slot);
	if (!flows) { /* cannot happen: the slot is set at load and only ever replaced */
		count(FLOWMESH_MISS_UPDATE_FAILED);
		return;
	}
	struct flowmesh_flow_value *value = bpf_map_lookup_elem(flows, &key);
	if (!value) {
		struct flowmesh_flow_value fresh = {};
		struct flowmesh_direction *d = low ? &fresh.low_to_high : &fresh.high_to_low;
		d->packets = 1;
		d->bytes = p->ip_bytes;
		d->segments = segments;
		d->first_ns = now;
		d->last_ns = now;
		d->tcp_flags = p->tcp_flags;
		d->icmp_type = p->icmp_type;
		d->icmp_code = p->icmp_code;
		long err = bpf_map_update_elem(flows, &key, &fresh, BPF_NOEXIST);
		if (err == 0)
			return;
		if (err != -17 /* EEXIST: another CPU inserted the flow first; add to its entry */) {
			count(err == -7 /* E2BIG */ ? FLOWMESH_MISS_MAP_FULL : FLOWMESH_MISS_UPDATE_FAILED);
			return;
		}
		value = bpf_map_lookup_elem(flows, &key);
		if (!value) { /* gone again: cannot happen while only the inactive map is drained */
			count(FLOWMESH_MISS_UPDATE_FAILED);
			return;
		}
	}
	add_direction(low ? &value->low_to_high : &value->high_to_low, p, segments, now);
}

static __always_inline void count_dns(__u32 reason)
{
	__u64 *counter = bpf_map_lookup_elem(&flowmesh_dns_counters, &reason);
	if (counter)
		*counter += 1;
}

/* Copies a DNS packet (UDP or TCP, port 53 on either side) from its IP header on into the ring buffer. Other
 * packets cost two compares. The copy is bounded by FLOWMESH_DNS_SNAP, and a full ring is counted, never waited on. */
static __always_inline void copy_dns(struct __sk_buff *skb, const struct packet *p, __u32 ip_offset)
{
	if (p->protocol != IPPROTO_UDP && p->protocol != IPPROTO_TCP)
		return;
	if (p->src_port != FLOWMESH_DNS_PORT && p->dst_port != FLOWMESH_DNS_PORT)
		return;
	if (skb->len <= ip_offset)
		return;
	__u32 wire = skb->len - ip_offset;
	__u32 length = wire < FLOWMESH_DNS_SNAP ? wire : FLOWMESH_DNS_SNAP;
	struct flowmesh_dns_event *event = bpf_ringbuf_reserve(&flowmesh_dns_events, sizeof(*event), 0);
	if (!event) {
		count_dns(FLOWMESH_DNS_RING_FULL);
		return;
	}
	event->timestamp_ns = bpf_ktime_get_ns();
	event->wire_length = wire;
	event->captured_length = length;
	/* The verifier needs the length's bounds on the register it checks: 1..FLOWMESH_DNS_SNAP. */
	if (length < 1 || length > FLOWMESH_DNS_SNAP || bpf_skb_load_bytes(skb, ip_offset, event->data, length)) {
		bpf_ringbuf_discard(event, 0);
		count_dns(FLOWMESH_DNS_COPY_FAILED);
		return;
	}
	bpf_ringbuf_submit(event, 0);
}

static __always_inline int observe(struct __sk_buff *skb, int has_ethernet)
{
	struct packet p = {};
	__u32 offset = 0;

	p.data = (void *)(long)skb->data;
	p.data_end = (void *)(long)skb->data_end;
	__u16 ether_type;

	if (has_ethernet) {
		struct ethhdr eth;
		if (load(skb, &p, 0, &eth, sizeof(eth))) {
			count(FLOWMESH_NOT_IP);
			return TC_ACT_UNSPEC;
		}
		ether_type = bpf_ntohs(eth.h_proto);
		offset = sizeof(eth);
#pragma unroll
		for (int i = 0; i < MAX_VLAN_TAGS; i++) {
			if (ether_type != ETH_P_8021Q && ether_type != ETH_P_8021AD)
				break;
			__u8 tag[4];
			if (load(skb, &p, offset, tag, 4)) {
				count(FLOWMESH_NOT_IP);
				return TC_ACT_UNSPEC;
			}
			ether_type = ((__u16)tag[2] << 8) | tag[3];
			offset += 4;
		}
	} else {
		ether_type = bpf_ntohs(skb->protocol);
	}

	int transport;
	if (ether_type == ETH_P_IP)
		transport = parse_ipv4(skb, offset, &p);
	else if (ether_type == ETH_P_IPV6)
		transport = parse_ipv6(skb, offset, &p);
	else {
		count(FLOWMESH_NOT_IP);
		return TC_ACT_UNSPEC;
	}
	if (transport < 0) {
		count(FLOWMESH_BAD_IP_HEADER);
		return TC_ACT_UNSPEC;
	}
	if (transport > 0 && parse_transport(skb, transport, &p)) {
		count(FLOWMESH_TRUNCATED_TRANSPORT);
		p.tcp_flags = 0;
		p.icmp_type = 0;
		p.icmp_code = 0;
	}
	account(skb, &p);
	copy_dns(skb, &p, offset);
	return TC_ACT_UNSPEC;
}

/* Program names stay within the kernel's 15 characters: user space finds leftovers by these names. */
SEC("tc")
int flowmesh_in(struct __sk_buff *skb)
{
	return observe(skb, 1);
}

SEC("tc")
int flowmesh_out(struct __sk_buff *skb)
{
	return observe(skb, 1);
}

/* For interfaces without a link-layer header (tun, WireGuard): the packet starts at the IP header. */
SEC("tc")
int flowmesh_in_l3(struct __sk_buff *skb)
{
	return observe(skb, 0);
}

SEC("tc")
int flowmesh_out_l3(struct __sk_buff *skb)
{
	return observe(skb, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
