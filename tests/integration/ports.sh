# Sourced by the integration scripts: listening ports for the nodes they start.
#
# A port picked by binding to port 0 comes from the kernel's ephemeral range, the same range a
# node's own outgoing connections (JGroups joining a seed, the probes here) draw from, so a node
# could find "its" port already taken by a connection of its own (CI saw "Address already in use").
# These ports come from outside that range instead, in one block from a random base, so that a
# cluster port's failure-detection port (JGroups FD_SOCK2: cluster port + 100) falls outside it.

# free_ports N: prints N distinct ports that are free now, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low, ephemeral_high = map(int, f.read().split())
except OSError:
    ephemeral_low, ephemeral_high = 32768, 60999
# the larger gap outside the ephemeral range, leaving room for a block and its +100 neighbours
below = (10000, ephemeral_low - 200)
above = (ephemeral_high + 1, 65535 - 200)
low, high = max(below, above, key=lambda r: r[1] - r[0])
if high - low < 1000:
    sys.exit("no room for test ports outside the ephemeral range %d-%d" % (ephemeral_low, ephemeral_high))
port = random.randrange(low, high - 100)
end = port + 100
found = []
while len(found) < count and port < end:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        found.append(port)
    except OSError:
        pass
    finally:
        s.close()
    port += 1
if len(found) < count:
    sys.exit("no %d free ports in %d-%d" % (count, end - 100, end))
print("\n".join(map(str, found)))
PY
}
