# O3's all-pairs check: ICMP echo from every container to every other, over the overlay.
# usage: python3 overlay-pairs.py LIMIT_S NETNS_PATH=IP ...   (as root)
# Opens one raw ICMP socket and one rtnetlink socket inside each container's network namespace
# (setns, socket, setns back), then sends echo requests for every pair not answered yet, in
# batches, round after round, until every pair has answered or LIMIT_S passed. Prints one JSON
# line: {"pairs", "reached", "seconds", "rounds", "missing", "table_fulls"}; progress to stderr.
#
# Why the neighbour entries are deleted behind each batch: the kernel's ARP table (arp_tbl) is
# ONE table for all network namespaces, capped at net.ipv4.neigh.default.gc_thresh3 (1024 here,
# settable only in the root namespace, which we leave alone). All 9,900 pairs at once need
# ~19,800 dynamic entries (the sender resolves the target; the target learns the sender from
# its ARP request). Past the cap the kernel can only evict entries idle for 5 s, so new
# resolutions fail ("neighbor table overflow", /proc/net/stat/arp_cache table_fulls) and the
# requests are dropped before they leave the container, on the same host as much as across
# VXLAN. That, not VXLAN or the pinger's sockets, left 7,600-7,800 pairs of 9,900 after 300 s
# (session 5; a plain bridge with 100 namespaces and no overlay at all reached 2,169 in 60 s,
# with 338,000 table_fulls). It also starves every other namespace on the machine of ARP while
# it lasts. So each batch of BATCH pairs resolves afresh (through the overlay's ARP proxy, as
# a container does) and its entries are deleted (RTM_DELNEIGH, both ends) once the batch has
# been read: at most ~2 x BATCH live entries, whatever the number of pairs.
# Echo replies are not ICMP-rate-limited (type 0 is not in net.ipv4.icmp_ratemask's default).
import ctypes, fcntl, json, os, random, select, socket, struct, sys, time

CLONE_NEWNET = 0x40000000
RTM_DELNEIGH = 29
NLM_F_REQUEST = 1
NDA_DST = 1
SIOCGIFADDR = 0x8915
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


def ifindex_of(ip):
    # the interface holding ip, in the current namespace
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for index, name in socket.if_nameindex():
            try:
                r = fcntl.ioctl(u, SIOCGIFADDR, struct.pack('256s', name.encode()))
            except OSError:
                continue  # no IPv4 address
            if socket.inet_ntoa(r[20:24]) == ip:
                return index
    raise OSError('no interface has %s' % ip)


def delneigh(nl, ifindex, ip):
    # struct ndmsg {family, pad, pad, ifindex, state, flags, type} + NDA_DST; no ack asked
    body = struct.pack('=BBHiHBB', socket.AF_INET, 0, 0, ifindex, 0, 0, 0)
    body += struct.pack('=HH4s', 8, NDA_DST, socket.inet_aton(ip))
    try:
        nl.send(struct.pack('=IHHII', 16 + len(body), RTM_DELNEIGH, NLM_F_REQUEST, 0, 0) + body)
    except OSError:
        pass  # the entry is not there (never made, or gone): nothing to delete


def drain_netlink(nl):
    # errors (ENOENT for an entry never made) come back even unasked: read them away
    while True:
        try:
            nl.recv(65536)
        except (BlockingIOError, OSError):
            return


def table_fulls():
    # the ARP table's "table full" count, machine-wide (summed over CPUs; other users included)
    try:
        with open('/proc/net/stat/arp_cache') as f:
            lines = f.read().split('\n')
        col = lines[0].split().index('table_fulls')
        return sum(int(l.split()[col], 16) for l in lines[1:] if l.strip())
    except (OSError, ValueError, IndexError):
        return -1


limit = float(sys.argv[1])
ctrs = [a.split('=') for a in sys.argv[2:]]
ips = [ip for _, ip in ctrs]
own = os.open('/proc/self/ns/net', os.O_RDONLY)
socks, nls, ifx = [], [], []
for path, ip in ctrs:
    fd = os.open(path, os.O_RDONLY)
    setns(fd)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.setblocking(False)
        socks.append(s)
        nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        nl.setblocking(False)
        nls.append(nl)
        ifx.append(ifindex_of(ip))
    finally:
        setns(own)
        os.close(fd)
n = len(ctrs)
left = {(i, j) for i in range(n) for j in range(n) if i != j}
pairs = len(left)
by_fd = {s.fileno(): i for i, s in enumerate(socks)}
fulls0 = table_fulls()
t0 = time.monotonic()


def drain(until, batch=None):
    # read answers until `until`, or until every pair of `batch` has answered
    while left and time.monotonic() < until:
        if batch is not None and not any(p in left for p in batch):
            return
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
# in between (a burst of thousands would also overflow the per-CPU backlog); then the batch's
# neighbour entries are deleted (see the top).
BATCH = 100
WAIT = 0.05  # how long a batch's answers are waited for at most before the next batch goes out
rounds = 0
while left and time.monotonic() - t0 < limit:
    rounds += 1
    todo = list(left)
    random.shuffle(todo)
    for k in range(0, len(todo), BATCH):
        batch = todo[k:k + BATCH]
        for i, j in batch:
            try:
                socks[i].sendto(echo(i + 1, j + 1), (ips[j], 0))
            except OSError:
                pass  # no route yet, or the socket's buffer is full: next round
        drain(time.monotonic() + WAIT, batch)
        for i, j in batch:
            delneigh(nls[i], ifx[i], ips[j])
            delneigh(nls[j], ifx[j], ips[i])
        for i, j in batch:
            drain_netlink(nls[i])
            drain_netlink(nls[j])
    drain(time.monotonic() + 0.2)
    print('round %d: %d of %d pairs answered at %.1f s' % (rounds, pairs - len(left), pairs,
          time.monotonic() - t0), file=sys.stderr, flush=True)
# what did not answer, by source and destination /24 (a host's range in O3)
missing = {}
for i, j in left:
    k = '%s>%s' % (ips[i].rsplit('.', 1)[0], ips[j].rsplit('.', 1)[0])
    missing[k] = missing.get(k, 0) + 1
print(json.dumps({'pairs': pairs, 'reached': pairs - len(left), 'seconds': time.monotonic() - t0,
                  'rounds': rounds, 'missing': missing, 'table_fulls': table_fulls() - fulls0}))
