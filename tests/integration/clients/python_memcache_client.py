#!/usr/bin/python3
"""python-memcached (module `memcache`), untouched, against 127.0.0.1:PORT.

Usage: python_memcache_client.py PORT
The module marks ints and pickled objects with flags and decodes by them, so
the server must store and return flags. Prints one line per check and exits
1 if any check failed.
"""
import sys

import memcache

import checks
from checks import check


def main():
    port = int(sys.argv[1])
    # dead_retry=0 / socket_timeout: a server that drops the connection shows
    # up as a failed check instead of a silently skipped server.
    mc = memcache.Client(["127.0.0.1:%d" % port], dead_retry=0, socket_timeout=5)

    check("set str", mc.set("pm:str", "text value"), True)
    check("set int", mc.set("pm:int", 7), True)
    check("set dict", mc.set("pm:dict", {"k": (1, 2), "n": None}), True)
    check("get str", mc.get("pm:str"), "text value")
    check("get int", mc.get("pm:int"), 7)
    check("get dict", mc.get("pm:dict"), {"k": (1, 2), "n": None})
    check("get missing", mc.get("pm:missing"), None)

    check("incr", mc.incr("pm:int", 5), 12)
    check("decr", mc.decr("pm:int", 2), 10)
    check("get after incr", mc.get("pm:int"), 10)
    check("incr missing", mc.incr("pm:nocounter"), None)

    check("get_multi", mc.get_multi(["pm:str", "pm:missing", "pm:int"]),
          {"pm:str": "text value", "pm:int": 10})
    check("get_multi with prefix",
          mc.get_multi(["str", "dict"], key_prefix="pm:"),
          {"str": "text value", "dict": {"k": (1, 2), "n": None}})

    check("add existing", mc.add("pm:str", "x"), False)
    check("replace existing", mc.replace("pm:str", "y"), True)
    check("get replaced", mc.get("pm:str"), "y")

    # delete answers 1 for DELETED and for NOT_FOUND alike in this module; a
    # server error or a dropped connection gives 0.
    check("delete existing", mc.delete("pm:dict"), 1)
    check("get deleted", mc.get("pm:dict"), None)
    check("delete missing", mc.delete("pm:dict"), 1)
    check("still missing", mc.get("pm:dict"), None)

    mc.disconnect_all()
    print("%d failure(s)" % checks.failures)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
