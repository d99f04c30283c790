#!/usr/bin/env python3
"""Writes a capture of many short flows (the shape that stresses a flow exporter): FLOWS IPv4 conversations of
three packets (request, reply, request), TCP and UDP alternating, 1 ms apart, deterministic.
   bench/make-flows-pcap.py OUT.pcap [FLOWS]"""
import struct
import sys


def checksum(header: bytes) -> int:
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src: int, dst: int, proto: int, sport: int, dport: int, payload: int) -> bytes:
    if proto == 6:
        transport = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 65535, 0, 0) + bytes(payload)
    else:
        transport = struct.pack("!HHHH", sport, dport, 8 + payload, 0) + bytes(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(transport), 0, 0x4000, 64, proto, 0, src.to_bytes(4, "big"), dst.to_bytes(4, "big"))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + transport


def main() -> None:
    out = sys.argv[1]
    flows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    micros = 1_700_000_000_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            client = 0x0A000000 | (i % 60000 + 2)
            server = 0x0A640000 | (i // 60000 + 1)
            proto = 6 if i % 2 == 0 else 17
            sport = 1024 + (i * 7) % 60000
            for src, dst, sp, dp, size in ((client, server, sport, 443, 40), (server, client, 443, sport, 400), (client, server, sport, 443, 40)):
                data = frame(src, dst, proto, sp, dp, size)
                micros += 1000
                f.write(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(data), len(data)))
                f.write(data)


if __name__ == "__main__":
    main()
