#!/usr/bin/python3
"""A memcached client workload through twemproxy, with pymemcache, untouched.

Usage: twemproxy_load.py PORT
Stores the keys scale:0 .. scale:2999 (value "value-N", flags from pymemcache's
serde) through the proxy on 127.0.0.1:PORT, then reads them all back with
get_many. Prints one line per check and exits 1 if any check failed.
"""
import sys

from pymemcache.client.base import Client

import checks
from checks import check

KEYS = 3000


def main():
    port = int(sys.argv[1])
    client = Client(("127.0.0.1", port), default_noreply=False, connect_timeout=5, timeout=5)
    stored = sum(1 for i in range(KEYS) if client.set("scale:%d" % i, b"value-%d" % i))
    check("sets stored", stored, KEYS)
    read = {}
    for start in range(0, KEYS, 100):
        read.update(client.get_many(["scale:%d" % i for i in range(start, start + 100)]))
    check("keys read back", len(read), KEYS)
    check("values", all(read["scale:%d" % i] == b"value-%d" % i for i in range(KEYS)), True)
    client.close()
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
