#!/usr/bin/python3
"""A Redis client workload through twemproxy, with redis-py, untouched.

Usage: twemproxy_redis_load.py PORT
Through the proxy on 127.0.0.1:PORT (a pool with `redis: true`): SETs the keys
rscale:0 .. rscale:2999 (value "value-N"), reads them back with MGET (which
twemproxy splits by shard), INCRs the counters rcount:0 .. rcount:99 three
times each, gives rscale:0 .. rscale:99 a TTL, DELs rscale:100 .. rscale:199,
and checks every answer. Prints one line per check and exits 1 if any failed.
"""
import sys

import redis

import checks
from checks import check

KEYS = 3000


def main():
    port = int(sys.argv[1])
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    stored = sum(1 for i in range(KEYS) if client.set("rscale:%d" % i, "value-%d" % i))
    check("sets stored", stored, KEYS)
    read = []
    for start in range(0, KEYS, 100):
        read += client.mget(["rscale:%d" % i for i in range(start, start + 100)])
    check("values read back with mget", read, [b"value-%d" % i for i in range(KEYS)])
    for _ in range(3):
        for i in range(100):
            client.incr("rcount:%d" % i)
    check("counters", [client.get("rcount:%d" % i) for i in range(100)], [b"3"] * 100)
    check("expire", all(client.expire("rscale:%d" % i, 3600) for i in range(100)), True)
    ttls = [client.ttl("rscale:%d" % i) for i in range(100)]
    check("ttls set", all(3590 <= t <= 3600 for t in ttls), True)
    deleted = client.delete(*["rscale:%d" % i for i in range(100, 200)])
    check("deleted", deleted, 100)
    check("deleted keys absent", client.exists(*["rscale:%d" % i for i in range(100, 200)]), 0)
    client.close()
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
