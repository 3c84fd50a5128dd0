"""pn_pcap.py: build and read Ethernet/ARP/IPv4/UDP/ICMP frames and pcap files by hand.

Used by the dataplane's pcap-driven tests (tests/integration/test_io_pcap.py) and runnable as a
tool. No scapy: the formats are small and writing them here keeps the tests independent of it.
Every builder computes correct checksums unless told otherwise (bad_csum=True) so tests can
inject damaged packets.

pcap format: the classic libpcap file (magic a1b2c3d4, version 2.4, LINKTYPE_ETHERNET).
"""
import ipaddress
import struct

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
BCAST = b"\xff" * 6


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return ipaddress.IPv4Address(s).packed


def csum(data):
    """RFC 1071 Internet checksum (the value to store)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload, pad=True):
    f = dst + src + struct.pack("!H", etype) + payload
    if pad and len(f) < 60:
        f += b"\0" * (60 - len(f))
    return f


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, op) + sha + ip4(spa) + tha + ip4(tpa)


def ipv4(src, dst, proto, payload, ident=1, frag=0, ttl=64, bad_csum=False):
    """frag: the 16-bit flags+offset field (0x2000 = MF, offset in 8-byte units)."""
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0,
                    ip4(src), ip4(dst))
    c = csum(h)
    if bad_csum:
        c ^= 0x5A5A
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(src, dst, sport, dport, payload, bad_csum=False):
    ulen = 8 + len(payload)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, ulen)
    h = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = csum(pseudo + h + payload) or 0xFFFF
    if bad_csum:
        c ^= 0x1234
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def icmp_echo(ident, seq, data, reply=False):
    h = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def udp_frame(dmac, smac, src, dst, sport, dport, payload, ident=1, bad_udp=False, bad_ip=False):
    u = udp(src, dst, sport, dport, payload, bad_csum=bad_udp)
    return eth(dmac, smac, ETH_IPV4, ipv4(src, dst, 17, u, ident=ident, bad_csum=bad_ip))


def fragment_frames(dmac, smac, src, dst, sport, dport, payload, mtu, ident):
    """A UDP datagram split into IPv4 fragments of at most mtu bytes (IP header included)."""
    u = udp(src, dst, sport, dport, payload)
    step = (mtu - 20) // 8 * 8
    out = []
    for off in range(0, len(u), step):
        part = u[off:off + step]
        more = 0x2000 if off + step < len(u) else 0
        out.append(eth(dmac, smac, ETH_IPV4,
                       ipv4(src, dst, 17, part, ident=ident, frag=more | (off // 8))))
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError("not a pcap file")
    pos, frames = 24, []
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[pos:pos + 16])
        pos += 16
        frames.append(data[pos:pos + incl])
        pos += incl
    return frames


def parse(frame):
    """Decodes a frame into a dict; checksum results under *_csum_ok. Raises on garbage."""
    d = {"dst": frame[0:6], "src": frame[6:12], "type": struct.unpack("!H", frame[12:14])[0]}
    p = frame[14:]
    if d["type"] == ETH_ARP:
        op, = struct.unpack("!H", p[6:8])
        d.update(arp_op=op, sha=p[8:14], spa=str(ipaddress.IPv4Address(p[14:18])),
                 tha=p[18:24], tpa=str(ipaddress.IPv4Address(p[24:28])))
        return d
    if d["type"] != ETH_IPV4:
        return d
    ihl = (p[0] & 15) * 4
    total, ident, frag, ttl, proto = struct.unpack("!HHHBB", p[2:10])
    d.update(ihl=ihl, total=total, ident=ident, frag=frag, ttl=ttl, proto=proto,
             ip_src=str(ipaddress.IPv4Address(p[12:16])),
             ip_dst=str(ipaddress.IPv4Address(p[16:20])),
             ip_csum_ok=csum(p[:ihl]) == 0, l4=p[ihl:total])
    if frag & 0x3FFF:
        return d
    l4 = p[ihl:total]
    if proto == 17:
        sport, dport, ulen, c = struct.unpack("!HHHH", l4[:8])
        pseudo = p[12:20] + struct.pack("!BBH", 0, 17, ulen)
        d.update(sport=sport, dport=dport, ulen=ulen, payload=l4[8:ulen],
                 udp_csum_ok=(c == 0 or csum(pseudo + l4[:ulen]) == 0))
    elif proto == 1:
        d.update(icmp_type=l4[0], icmp_code=l4[1], icmp_csum_ok=csum(l4) == 0,
                 icmp_id=struct.unpack("!H", l4[4:6])[0], icmp_seq=struct.unpack("!H", l4[6:8])[0],
                 icmp_data=l4[8:])
    return d


def reassemble(parsed_frags):
    """Joins parsed IPv4 fragments of one datagram (any order); returns the L4 bytes."""
    parts = sorted(parsed_frags, key=lambda d: d["frag"] & 0x1FFF)
    out = b""
    for d in parts:
        off = (d["frag"] & 0x1FFF) * 8
        assert off == len(out), "gap or overlap in fragments"
        out += d["l4"]
    assert not (parts[-1]["frag"] & 0x2000), "last fragment has MF set"
    return out


if __name__ == "__main__":
    import sys
    for i, fr in enumerate(read_pcap(sys.argv[1])):
        d = parse(fr)
        print(i, {k: v for k, v in d.items() if k not in ("l4", "payload", "icmp_data")})
