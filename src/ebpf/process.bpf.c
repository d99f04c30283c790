// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flowmesh process attribution: which process owns each socket, recorded in the kernel while that
 * process is "current" (its connect, listen, send or receive call), so a flow is attributed even after
 * a short-lived program (curl, nmap) has exited. User space joins the map to flow keys
 * (ProcessAttributionProvider.cs).
 *
 * Only BTF tracepoints (tp_btf): they need kernel BTF but neither kprobes nor BPF trampolines, which
 * some kernels refuse (this project's test kernel answers EPERM to every fentry/fexit/LSM program).
 *   inet_sock_set_state  TCP_SYN_SENT fires in the connecting process, but before inet_hash_connect
 *                        picks the local port; the next state (ESTABLISHED, or CLOSE on a refusal)
 *                        fires in softirq with the 5-tuple complete. The owner is parked by socket
 *                        pointer in between. TCP_LISTEN fires in the listening process.
 *   sock_send_length,    every sendmsg/recvmsg, in the calling process: the accepted sockets of
 *   sock_recv_length     servers (a passive open completes in softirq), and UDP sockets.
 *   net_dev_queue        packets handed to a device; raw, packet and ping sockets transmit from the
 *                        sending process, so their owner is current and the packet gives the 5-tuple.
 *
 * Kernel types are read with CO-RE against the running kernel's BTF: the minimal struct definitions
 * below name only the fields used, and libbpf relocates their offsets at load time.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "process_maps.h"

#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_RAW 3
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_LISTEN 10
#define ETH_HEADER_LENGTH 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
/* An owner seen again within this time does not rewrite its entry: a sender calls sendmsg per
 * datagram, and the map update is the expensive part. */
#define REFRESH_NS 1000000000ULL

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	struct {
		struct net *net;
	} skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct file;

struct socket {
	struct file *file;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
	__u16 sk_protocol;
	struct socket *sk_socket;
} __attribute__((preserve_access_index));

/* inet_sport keeps the local port after a refused connect's TCP_CLOSE has released it (skc_num is 0 then). */
struct inet_sock {
	__be16 inet_sport;
} __attribute__((preserve_access_index));

struct net_device {
	unsigned short hard_header_len;
} __attribute__((preserve_access_index));

struct sk_buff {
	struct sock *sk;
	struct net_device *dev;
	unsigned int len;
	unsigned char *data;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWMESH_PROCESS_DEFAULT_MAX_SOCKETS);
	__type(key, struct flowmesh_process_key);
	__type(value, struct flowmesh_process_value);
} flowmesh_process_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct flowmesh_process_value);
} flowmesh_process_connects SEC(".maps");

/* Per socket (freed with it): who last used it and when, so the send and receive hooks, which run on every
 * call, leave after one storage lookup instead of building and hashing the 5-tuple. */
struct socket_seen {
	__u32 tgid;
	__u32 pad;
	__u64 seen_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct socket_seen);
} flowmesh_process_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOWMESH_PROCESS_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} flowmesh_process_counters SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&flowmesh_process_counters, &index);
	if (counter)
		*counter += 1;
}

static __always_inline void map_v4(__u8 *out, __be32 address)
{
	/* All zero stays all zero: "unspecified" is the same key for both families. */
	if (address == 0)
		return;
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &address, 4);
}

/* The current process as the owner of sk. */
static __always_inline void current_owner(struct sock *sk, __u8 hook, struct flowmesh_process_value *value)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	value->cgroup_id = bpf_get_current_cgroup_id();
	value->seen_ns = bpf_ktime_get_ns();
	value->tgid = pid_tgid >> 32;
	value->tid = (__u32)pid_tgid;
	value->uid = (__u32)bpf_get_current_uid_gid();
	value->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	value->hook = hook;
	bpf_get_current_comm(value->comm, sizeof(value->comm));
}

static __always_inline void store(struct flowmesh_process_key *key, struct flowmesh_process_value *value)
{
	if (bpf_map_update_elem(&flowmesh_process_sockets, key, value, BPF_ANY) == 0)
		count(FLOWMESH_PROCESS_RECORDED);
	else
		count(FLOWMESH_PROCESS_UPDATE_FAILED);
}

/* Records the current process for key, unless it was recorded there within REFRESH_NS. */
static __always_inline void record(struct flowmesh_process_key *key, struct sock *sk, __u8 hook)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct flowmesh_process_value *known = bpf_map_lookup_elem(&flowmesh_process_sockets, key);
	if (known && known->tgid == tgid && bpf_ktime_get_ns() - known->seen_ns < REFRESH_NS)
		return;
	struct flowmesh_process_value value = {};
	current_owner(sk, hook, &value);
	store(key, &value);
}

/* The socket's own endpoints; remote left zero when with_remote is 0 (listeners, unconnected UDP). */
static __always_inline int socket_key(struct sock *sk, __u8 protocol, int with_remote, struct flowmesh_process_key *key)
{
	unsigned short family = BPF_CORE_READ(sk, __sk_common.skc_family);
	key->protocol = protocol;
	key->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (key->local_port == 0)
		key->local_port = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (with_remote)
		key->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		map_v4(key->local_addr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		if (with_remote)
			map_v4(key->remote_addr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
		return 0;
	}
	if (family == AF_INET6) {
		/* Dual-stack sockets talking IPv4 hold IPv4-mapped addresses here already. */
		BPF_CORE_READ_INTO(&key->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		if (with_remote)
			BPF_CORE_READ_INTO(&key->remote_addr, sk, __sk_common.skc_v6_daddr);
		return 0;
	}
	return -1;
}

SEC("tp_btf/inet_sock_set_state")
int flowmesh_tcp_state(unsigned long long *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	int old_state = (int)ctx[1];
	int new_state = (int)ctx[2];
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u64 pointer = (__u64)sk;
	if (new_state == TCP_SYN_SENT) {
		struct flowmesh_process_value value = {};
		current_owner(sk, FLOWMESH_HOOK_TCP_CONNECT, &value);
		bpf_map_update_elem(&flowmesh_process_connects, &pointer, &value, BPF_ANY);
		return 0;
	}
	if (old_state == TCP_SYN_SENT) {
		struct flowmesh_process_value *owner = bpf_map_lookup_elem(&flowmesh_process_connects, &pointer);
		if (!owner)
			return 0;
		struct flowmesh_process_key key = {};
		if (socket_key(sk, IPPROTO_TCP, 1, &key) == 0 && key.local_port != 0)
			store(&key, owner);
		bpf_map_delete_elem(&flowmesh_process_connects, &pointer);
		return 0;
	}
	if (new_state == TCP_LISTEN) {
		struct flowmesh_process_key key = {};
		if (socket_key(sk, IPPROTO_TCP, 0, &key) == 0 && key.local_port != 0)
			record(&key, sk, FLOWMESH_HOOK_TCP_LISTEN);
	}
	return 0;
}

static __always_inline void record_transfer(struct sock *sk, __u8 hook)
{
	if (!sk)
		return;
	/* tp_btf arguments are trusted BTF pointers: direct loads, no helper call, on this per-call path. */
	__u16 protocol = sk->sk_protocol;
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();
	struct socket_seen *seen = bpf_sk_storage_get(&flowmesh_process_seen, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (seen && seen->tgid == tgid && now - seen->seen_ns < REFRESH_NS)
		return;
	if (seen) {
		seen->tgid = tgid;
		seen->seen_ns = now;
	}
	struct flowmesh_process_key key = {};
	/* A TCP socket or connected UDP socket has a peer; an unconnected UDP socket is a wildcard. */
	int connected = BPF_CORE_READ(sk, __sk_common.skc_dport) != 0;
	if (socket_key(sk, protocol, connected, &key) != 0 || key.local_port == 0)
		return;
	if (protocol == IPPROTO_TCP && !connected)
		return;
	record(&key, sk, hook);
}

SEC("tp_btf/sock_send_length")
int flowmesh_send(unsigned long long *ctx)
{
	record_transfer((struct sock *)ctx[0], FLOWMESH_HOOK_SEND);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int flowmesh_receive(unsigned long long *ctx)
{
	record_transfer((struct sock *)ctx[0], FLOWMESH_HOOK_RECEIVE);
	return 0;
}

/* Parses the IP header (and TCP/UDP ports) at data: source first, as the sender sees its packet. */
static __always_inline int parse_ip(const __u8 *data, struct flowmesh_process_key *key)
{
	__u8 header[40] = {};
	if (bpf_probe_read_kernel(header, 20, data) != 0)
		return -1;
	__u8 version = header[0] >> 4;
	int transport_offset;
	if (version == 4) {
		__u8 ihl = header[0] & 0x0f;
		if (ihl < 5)
			return -1;
		key->protocol = header[9];
		map_v4(key->local_addr, *(__be32 *)&header[12]);
		map_v4(key->remote_addr, *(__be32 *)&header[16]);
		/* A later fragment carries no ports. */
		if ((bpf_ntohs(*(__be16 *)&header[6]) & 0x1fff) != 0)
			return 0;
		transport_offset = ihl * 4;
	} else if (version == 6) {
		if (bpf_probe_read_kernel(header, 40, data) != 0)
			return -1;
		key->protocol = header[6];
		__builtin_memcpy(key->local_addr, &header[8], 16);
		__builtin_memcpy(key->remote_addr, &header[24], 16);
		transport_offset = 40;
	} else {
		return -1;
	}
	if (key->protocol == IPPROTO_TCP || key->protocol == IPPROTO_UDP) {
		__be16 ports[2] = {};
		if (bpf_probe_read_kernel(ports, sizeof(ports), data + (transport_offset & 0x7f)) == 0) {
			key->local_port = bpf_ntohs(ports[0]);
			key->remote_port = bpf_ntohs(ports[1]);
		}
	}
	return 0;
}

SEC("tp_btf/net_dev_queue")
int flowmesh_device_queue(unsigned long long *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	/* Runs for every packet sent: direct (BTF) loads, and most packets (TCP, UDP) leave right here. */
	struct sock *sk = skb->sk;
	if (!sk)
		return 0;
	__u16 protocol = sk->sk_protocol;
	__u16 type = sk->sk_type;
	if ((protocol == IPPROTO_TCP || protocol == IPPROTO_UDP) && type != SOCK_RAW)
		return 0;
	unsigned short family = sk->__sk_common.skc_family;
	int packet_socket = family == AF_PACKET;
	int ping_socket = (family == AF_INET && protocol == IPPROTO_ICMP) || (family == AF_INET6 && protocol == IPPROTO_ICMPV6);
	if (!packet_socket && !ping_socket && !((family == AF_INET || family == AF_INET6) && type == SOCK_RAW))
		return 0;
	/* The kernel's own raw sockets (ICMP errors, neighbour discovery, router solicitations) have no file
	 * and send from softirq or timers, where "current" is an innocent bystander. */
	if (!BPF_CORE_READ(sk, sk_socket, file))
		return 0;

	/* At the device the data starts at the link header: Ethernet (14) or none (raw IP devices). */
	const __u8 *data = BPF_CORE_READ(skb, data);
	unsigned short link = BPF_CORE_READ(skb, dev, hard_header_len);
	if (link == ETH_HEADER_LENGTH) {
		__be16 ethertype = 0;
		if (bpf_probe_read_kernel(&ethertype, sizeof(ethertype), data + 12) != 0)
			goto unparsed;
		if (ethertype == bpf_htons(ETH_P_8021Q) || ethertype == bpf_htons(ETH_P_8021AD)) {
			if (bpf_probe_read_kernel(&ethertype, sizeof(ethertype), data + 16) != 0)
				goto unparsed;
			link = 18;
		}
		/* ARP and other non-IP frames make no IP flow: nothing to attribute, nothing lost. */
		if (ethertype != bpf_htons(ETH_P_IP) && ethertype != bpf_htons(ETH_P_IPV6))
			return 0;
	} else if (link != 0) {
		goto unparsed;
	}
	struct flowmesh_process_key key = {};
	if (parse_ip(data + (link & 0x1f), &key) == 0) {
		record(&key, sk, packet_socket ? FLOWMESH_HOOK_PACKET_SEND : FLOWMESH_HOOK_RAW_SEND);
		return 0;
	}
unparsed:
	count(FLOWMESH_PROCESS_UNPARSED_SEND);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
