# Sourced by the integration scripts: listening ports for the nodes they start.
#
# A port picked by binding to port 0 comes from the kernel's ephemeral range, the same range a
# node's own outgoing connections (JGroups joining a seed, the probes here) draw from, so a node
# could find "its" port already taken by a connection of its own (CI saw "Address already in use").
# These ports come from below that range instead, in one block from a random base, so that a
# cluster port's failure-detection port (JGroups FD_SOCK2: cluster port + 100) falls outside it.

# free_ports N: prints N distinct ports that are free now, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_low = int(f.read().split()[0])
top = min(ephemeral_low, 32768) - 1000
port = random.randrange(10000, top)
found = []
while len(found) < count and port < top + 900:
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
    sys.exit("no %d free ports below %d" % (count, ephemeral_low))
print("\n".join(map(str, found)))
PY
}
