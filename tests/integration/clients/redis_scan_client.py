#!/usr/bin/python3
"""SCAN through redis-py (Debian's python3-redis), untouched, against 127.0.0.1:PORT.

Usage: redis_scan_client.py PORT
Checks scan_iter (numeric cursors, MATCH, COUNT, TYPE) and Redis's guarantee:
a key present from the first step of a scan to the last is returned at least
once, while other keys are written, rewritten larger (which moves records in
a Kyoto Cabinet hash database), deleted and created between the steps; and
an expired key is never returned. Prints one line per check and exits 1 if
any check failed. Passes against redis-server 7.0 too (TT_TEST_REFERENCE=redis).
"""
import random
import sys
import time

import redis

import checks
from checks import check


def scan_iter_answers(r):
    """scan_iter's walk with each option, over a database of known keys."""
    r.mset({"user:%d" % i: i for i in range(300)})
    r.mset({"item:%d" % i: i for i in range(200)})
    every = set(r.scan_iter())
    check("scan_iter returns every key", len(every), 500)
    users = set(r.scan_iter(match="user:*", count=7))
    check("scan_iter match", users == {b"user:%d" % i for i in range(300)}, True)
    check("scan_iter match none", list(r.scan_iter(match="nobody:*", count=1000)), [])
    check("scan_iter type string", len(set(r.scan_iter(_type="string", count=50))), 500)
    check("scan_iter type hash", list(r.scan_iter(_type="hash")), [])
    check("randomkey", r.randomkey() in every, True)
    r.flushdb()
    check("randomkey empty", r.randomkey(), None)
    check("scan empty", r.scan(0), (0, []))


def guarantee_under_writes(r, seed):
    """A scan with writes between its steps returns every key present throughout."""
    rng = random.Random(seed)
    stay = ["stay:%d" % i for i in range(2000)]
    r.mset({key: "v" for key in stay})
    r.mset({"gone:%d" % i: "v" for i in range(500)})
    returned = []
    cursor, steps, size = 0, 0, 1
    while True:
        cursor, keys = r.scan(cursor, count=25)
        returned.extend(keys)
        steps += 1
        if cursor == 0:
            break
        # Between the steps: rewrite keys larger (moving them in a hash
        # database), delete some, create new ones.
        size += 40
        pipe = r.pipeline(transaction=False)
        for key in rng.sample(stay, 30):
            pipe.set(key, "x" * size)
        for i in rng.sample(range(500), 5):
            pipe.delete("gone:%d" % i)
        for i in range(5):
            pipe.set("new:%d:%d" % (steps, i), "v")
        pipe.execute()
    seen = set(k.decode() for k in returned)
    missing = [key for key in stay if key not in seen]
    check("seed %d: every key present throughout is returned (%d steps)" % (seed, steps),
          missing[:10], [])
    strange = [k for k in seen if not k.startswith(("stay:", "gone:", "new:"))]
    check("seed %d: only keys that existed are returned" % seed, strange, [])
    r.flushdb()


def expired_keys_are_not_returned(r):
    """Keys whose expiry has passed are not returned by SCAN or RANDOMKEY."""
    r.set("live", "v")
    for i in range(50):
        r.set("exp:%d" % i, "v", ex=1)
    time.sleep(2.1)
    check("expired keys not scanned", sorted(r.scan_iter(count=5)), [b"live"])
    check("randomkey skips expired keys", {r.randomkey() for _ in range(20)}, {b"live"})
    r.flushdb()


def main():
    r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=30)
    r.flushdb()
    scan_iter_answers(r)
    for seed in (1, 2):
        guarantee_under_writes(r, seed)
    expired_keys_are_not_returned(r)
    sys.exit(1 if checks.failures else 0)


if __name__ == "__main__":
    main()
