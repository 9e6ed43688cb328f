#!/usr/bin/env python3
"""Splits a loopback pcap of Spark RPC traffic into transport frames and writes each
Java serialization stream (RpcRequest/OneWayMessage content after the RequestMessage
header, RpcResponse body) to its own file, for `SparkOracle dumpdir`.

usage: extract_streams.py PCAP OUTDIR
  -> OUTDIR/NNN-<srcport>-<dstport>-<FrameType>[-<endpoint>].bin and OUTDIR/index.txt
Handles Ethernet-framed IPv4/TCP captures (tcpdump -i lo); reassembles each TCP direction
by sequence number; assumes no authentication or encryption on the connection.
"""
import struct, sys, os

def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        ts, tus, incl, orig = struct.unpack(endian + 'IIII', data[off:off+16])
        off += 16
        pkt = data[off:off+incl]
        off += incl
        if linktype == 1:
            if struct.unpack('>H', pkt[12:14])[0] != 0x0800:
                continue
            ip = pkt[14:]
        else:
            continue
        ihl = (ip[0] & 0x0f) * 4
        if ip[9] != 6:
            continue
        tot = struct.unpack('>H', ip[2:4])[0]
        src = '.'.join(map(str, ip[12:16])); dst = '.'.join(map(str, ip[16:20]))
        tcp = ip[ihl:tot]
        sport, dport, seq = struct.unpack('>HHI', tcp[:8])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        yield ts + tus / 1e6, (src, sport, dst, dport), seq, flags, tcp[doff:]

def streams(path):
    flows = {}
    order = []
    for ts, key, seq, flags, payload in packets(path):
        fl = flows.get(key)
        if fl is None:
            fl = flows[key] = {'isn': None, 'segs': {}, 'first': ts}
            order.append(key)
        if flags & 0x02:  # SYN
            fl['isn'] = seq + 1
            continue
        if payload:
            fl['segs'].setdefault(seq, (ts, payload))
    out = []
    for key in order:
        fl = flows[key]
        if not fl['segs']:
            continue
        base = fl['isn'] if fl['isn'] is not None else min(fl['segs'])
        buf = bytearray(); times = []
        for seq in sorted(fl['segs'], key=lambda s: (s - base) & 0xffffffff):
            ts, p = fl['segs'][seq]
            rel = (seq - base) & 0xffffffff
            if rel < len(buf):
                p = p[len(buf) - rel:]
            times.append((len(buf), ts))
            buf += p
        out.append((key, bytes(buf), times))
    return out

def read_utf(b, o):
    n = struct.unpack('>H', b[o:o+2])[0]
    return b[o+2:o+2+n].decode('utf-8', 'replace'), o + 2 + n

TYPES = {3: 'RpcRequest', 4: 'RpcResponse', 5: 'RpcFailure', 9: 'OneWayMessage'}

def main():
    pcap, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    frames = []
    for key, buf, times in streams(pcap):
        o = 0
        while o + 9 <= len(buf):
            flen = struct.unpack('>q', buf[o:o+8])[0]
            if flen <= 8 or o + flen > len(buf):
                break
            ts = max([t for (pos, t) in times if pos <= o] or [0])
            frames.append((ts, key, buf[o:o+flen]))
            o += flen
    frames.sort(key=lambda f: f[0])
    index = []
    for n, (ts, key, fr) in enumerate(frames):
        t = fr[8]
        name = TYPES.get(t, 'type%d' % t)
        desc = '%s:%d->%s:%d %s len=%d' % (key[0], key[1], key[2], key[3], name, len(fr))
        body = None; ep = ''
        if t in (3, 4):
            rid = struct.unpack('>q', fr[9:17])[0]
            body = fr[21:]
            desc += ' rid=%d' % rid
        elif t == 9:
            body = fr[13:]
        elif t == 5:
            rid = struct.unpack('>q', fr[9:17])[0]
            n2 = struct.unpack('>i', fr[17:21])[0]
            desc += ' rid=%d err=%r' % (rid, fr[21:21+n2][:200].decode('utf-8', 'replace'))
        if body is not None and t in (3, 9):
            o = 0
            hdr = []
            for role in ('sender', 'receiver'):
                present = body[o]; o += 1
                if present:
                    h, o = read_utf(body, o)
                    p = struct.unpack('>i', body[o:o+4])[0]; o += 4
                    hdr.append('%s=%s:%d' % (role, h, p))
                else:
                    hdr.append('%s=none' % role)
            ep, o = read_utf(body, o)
            desc += ' ' + ' '.join(hdr) + ' endpoint=' + ep
            body = body[o:]
        if body is not None:
            fn = '%03d-%d-%d-%s%s.bin' % (n, key[1], key[3], name, ('-' + ep) if ep else '')
            with open(os.path.join(outdir, fn), 'wb') as f:
                f.write(body)
            desc += ' -> ' + fn
        index.append('%.6f %s' % (ts, desc))
    with open(os.path.join(outdir, 'index.txt'), 'w') as f:
        f.write('\n'.join(index) + '\n')
    print('\n'.join(index))

main()
