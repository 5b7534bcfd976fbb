"""Captures the Kafka request frames clients send to given TCP ports on loopback, for the
codec's tests (see testdata/README.md). Needs root (an AF_PACKET socket on `lo`); runs until
SIGTERM or SIGINT, then writes what it saw:

  capture_frames.py --ports 40400,40401 --out DIR --label kcat [--per-version 1]

Every client->server TCP stream to one of the ports is reassembled from its sequence numbers,
cut into frames (a 4-byte big-endian size, then the request), and each frame's request header
(api_key, api_version, correlation_id, client_id) is read. The first --per-version frames of
each (api_key, api_version) are written byte for byte, size prefix included, as
DIR/LABEL/<ApiName>_v<version>[_<n>].bin, and one line per file is appended to DIR/MANIFEST.tsv.
Streams with a gap (a lost segment) are reported and skipped, never guessed at.
"""
import argparse
import os
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # on lo every packet is seen twice; keep the incoming copy only

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup",
    14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake",
    18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords",
    22: "InitProducerId", 23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit", 29: "DescribeAcls",
    32: "DescribeConfigs", 33: "AlterConfigs", 35: "DescribeLogDirs", 36: "SaslAuthenticate",
    37: "CreatePartitions", 42: "DeleteGroups", 44: "IncrementalAlterConfigs",
    47: "OffsetDelete", 60: "DescribeCluster", 61: "DescribeProducers",
}


class Stream:
    def __init__(self):
        self.isn = None      # the SYN's sequence number; payload byte 0 is isn + 1
        self.data = bytearray()
        self.filled = []     # (start, end) ranges received, to find gaps


def parse_packet(frame):
    """(src, sport, dst, dport, seq, flags, payload) of an IPv4 TCP packet on lo, else None."""
    if len(frame) < 14 + 20 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    tcp = ip[ihl:total]
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    offset = (tcp[12] >> 4) * 4
    flags = tcp[13]
    return (socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport, seq, flags,
            bytes(tcp[offset:]))


def capture(ports, stop):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
    sock.bind(("lo", 0))
    sock.settimeout(0.2)
    streams = {}
    while not stop["now"]:
        try:
            frame, addr = sock.recvfrom(262144)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        packet = parse_packet(frame)
        if packet is None:
            continue
        src, sport, dst, dport, seq, flags, payload = packet
        if dport not in ports:
            continue
        key = (src, sport, dst, dport)
        if flags & 0x02:  # SYN: a new connection (a reused port starts over)
            streams[key] = Stream()
            streams[key].isn = seq
            continue
        stream = streams.get(key)
        if stream is None or not payload:
            continue  # connected before the capture began, or a bare ACK
        start = (seq - stream.isn - 1) % (1 << 32)
        end = start + len(payload)
        if len(stream.data) < end:
            stream.data.extend(b"\0" * (end - len(stream.data)))
        stream.data[start:end] = payload
        stream.filled.append((start, end))
    sock.close()
    return streams


def contiguous_prefix(stream):
    covered = 0
    for start, end in sorted(stream.filled):
        if start > covered:
            break
        covered = max(covered, end)
    return covered


def frames_of(data):
    pos = 0
    while pos + 4 <= len(data):
        size = struct.unpack("!i", data[pos:pos + 4])[0]
        if size < 8 or pos + 4 + size > len(data):
            return
        yield bytes(data[pos:pos + 4 + size])
        pos += 4 + size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", required=True, help="server ports, separated by commas")
    parser.add_argument("--out", required=True)
    parser.add_argument("--label", required=True, help="subdirectory, e.g. the client's name")
    parser.add_argument("--per-version", type=int, default=1)
    parser.add_argument("--max-frame-bytes", type=int, default=64 << 10,
                        help="larger frames (big produce batches) are not kept")
    args = parser.parse_args()
    ports = {int(p) for p in args.ports.split(",")}
    stop = {"now": False}

    def on_signal(signo, frame):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("capture_frames: listening on lo for ports %s" % sorted(ports), flush=True)
    streams = capture(ports, stop)

    outdir = os.path.join(args.out, args.label)
    os.makedirs(outdir, exist_ok=True)
    kept = {}
    lines = []
    for key in sorted(streams, key=lambda k: k[1]):
        stream = streams[key]
        usable = contiguous_prefix(stream)
        if usable < len(stream.data):
            print("capture_frames: stream %s:%d has a gap at byte %d; using what precedes it" %
                  (key[0], key[1], usable), file=sys.stderr)
        for frame in frames_of(stream.data[:usable]):
            api_key, api_version, correlation_id = struct.unpack("!hhi", frame[4:12])
            client_len = struct.unpack("!h", frame[12:14])[0]
            client_id = frame[14:14 + client_len].decode("utf-8", "replace") if client_len > 0 else ""
            n = kept.get((api_key, api_version), 0)
            if n >= args.per_version or len(frame) > args.max_frame_bytes:
                continue
            kept[(api_key, api_version)] = n + 1
            name = "%s_v%d%s.bin" % (API_NAMES.get(api_key, "ApiKey%d" % api_key), api_version,
                                     "" if n == 0 else "_%d" % n)
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(frame)
            lines.append("\t".join([args.label + "/" + name, str(api_key), str(api_version),
                                    str(correlation_id), client_id, str(len(frame))]))
    manifest = os.path.join(args.out, "MANIFEST.tsv")
    new_file = not os.path.exists(manifest)
    with open(manifest, "a") as f:
        if new_file:
            f.write("file\tapi_key\tapi_version\tcorrelation_id\tclient_id\tbytes\n")
        for line in lines:
            f.write(line + "\n")
    print("capture_frames: %d streams, wrote %d frames to %s" % (len(streams), len(lines), outdir))


if __name__ == "__main__":
    main()
