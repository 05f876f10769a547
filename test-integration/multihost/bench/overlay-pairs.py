# O3's all-pairs check: ICMP echo from every container to every other, over the overlay.
# usage: python3 overlay-pairs.py LIMIT_S NETNS_PATH=IP ...   (as root)
# Opens one raw ICMP socket inside each container's network namespace (setns, socket, setns
# back), then sends echo requests for every pair not answered yet, every 200 ms, until every
# pair has answered or LIMIT_S passed. Prints one JSON line: {"pairs", "reached", "seconds"}.
import ctypes, json, os, random, select, socket, struct, sys, time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), 'setns')


def checksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def echo(ident, seq):
    h = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    c = checksum(h + b'lnt-o3')
    return struct.pack('!BBHHH', 8, 0, c, ident, seq) + b'lnt-o3'


limit = float(sys.argv[1])
ctrs = [a.split('=') for a in sys.argv[2:]]
ips = [ip for _, ip in ctrs]
own = os.open('/proc/self/ns/net', os.O_RDONLY)
socks = []
for path, _ in ctrs:
    fd = os.open(path, os.O_RDONLY)
    setns(fd)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setblocking(False)
    socks.append(s)
    setns(own)
    os.close(fd)
n = len(ctrs)
left = {(i, j) for i in range(n) for j in range(n) if i != j}
pairs = len(left)
by_fd = {s.fileno(): i for i, s in enumerate(socks)}
t0 = time.monotonic()
def drain(until):
    while left and time.monotonic() < until:
        r, _, _ = select.select(socks, [], [], max(0, until - time.monotonic()))
        for s in r:
            i = by_fd[s.fileno()]
            while True:
                try:
                    data = s.recv(2048)
                except BlockingIOError:
                    break
                ihl = (data[0] & 0x0F) * 4
                typ, _, _, ident, seq = struct.unpack('!BBHHH', data[ihl:ihl + 8])
                if typ == 0 and ident == i + 1:
                    left.discard((i, seq - 1))


# Requests go out in batches of BATCH, in a new random order each round, with the answers read
# in between: a burst of thousands overflows the kernel's per-CPU backlog (netdev_max_backlog)
# and, in a fixed order, would starve the same pairs every round.
BATCH = 100
while left and time.monotonic() - t0 < limit:
    todo = list(left)
    random.shuffle(todo)
    for k in range(0, len(todo), BATCH):
        for i, j in todo[k:k + BATCH]:
            try:
                socks[i].sendto(echo(i + 1, j + 1), (ips[j], 0))
            except OSError:
                pass  # no route yet, or the socket's buffer is full: next round
        drain(time.monotonic() + 0.01)
    drain(time.monotonic() + 0.2)
# what did not answer, by source and destination /24 (a host's range in O3)
missing = {}
for i, j in left:
    k = '%s>%s' % (ips[i].rsplit('.', 1)[0], ips[j].rsplit('.', 1)[0])
    missing[k] = missing.get(k, 0) + 1
print(json.dumps({'pairs': pairs, 'reached': pairs - len(left), 'seconds': time.monotonic() - t0,
                  'missing': missing}))
