#!/usr/bin/python3
"""pymemcache, untouched, against a server on 127.0.0.1:PORT.

Usage: pymemcache_client.py PORT
Uses pymemcache's pickle serde, which tells an int, a str and a dict apart only
by the flags the server stores and returns. Prints one line per check and
exits 1 if any check failed.
"""
import sys

from pymemcache.client.base import Client
from pymemcache import serde

import checks
from checks import check


def main():
    port = int(sys.argv[1])
    # default_noreply=False: every storage command waits for and reports the
    # server's answer, so NOT_STORED / EXISTS are checked, not assumed.
    client = Client(("127.0.0.1", port), serde=serde.pickle_serde,
                    default_noreply=False, connect_timeout=5, timeout=5)

    # Types round-trip through flags.
    check("set int", client.set("py:int", 42), True)
    check("set dict", client.set("py:dict", {"a": [1, 2], "b": "x"}), True)
    check("set str", client.set("py:str", "h\u00e9llo"), True)
    check("set bytes", client.set("py:bytes", b"\x00\xffraw"), True)
    check("get int", client.get("py:int"), 42)
    check("get dict", client.get("py:dict"), {"a": [1, 2], "b": "x"})
    check("get str", client.get("py:str"), "h\u00e9llo")
    check("get bytes", client.get("py:bytes"), b"\x00\xffraw")
    check("get missing", client.get("py:missing"), None)

    # get_many returns only the keys that exist.
    check("get_many", client.get_many(["py:int", "py:missing", "py:str"]),
          {"py:int": 42, "py:str": "h\u00e9llo"})

    # cas: the token from gets works once; a stale one is refused.
    value, token = client.gets("py:str")
    check("gets value", value, "h\u00e9llo")
    check("gets token present", token is not None, True)
    check("cas fresh token", client.cas("py:str", "second", token), True)
    check("cas stale token", client.cas("py:str", "third", token), False)
    check("after cas", client.get("py:str"), "second")
    check("cas missing key", client.cas("py:nokey", "v", token), None)

    # incr / decr on a number stored as an int (flags 2), decr clamps at 0.
    check("incr", client.incr("py:int", 8), 50)
    check("decr", client.decr("py:int", 20), 30)
    check("decr clamps", client.decr("py:int", 1000), 0)
    check("incr missing", client.incr("py:nocounter", 1), None)
    check("get after incr/decr", client.get("py:int"), 0)

    # add / replace.
    check("add existing", client.add("py:dict", "x"), False)
    check("add new", client.add("py:added", "new"), True)
    check("replace missing", client.replace("py:nothere", "x"), False)
    check("replace existing", client.replace("py:added", "replaced"), True)
    check("get replaced", client.get("py:added"), "replaced")

    # append / prepend keep the flags of the stored item.
    check("append", client.append("py:added", "!"), True)
    check("prepend", client.prepend("py:added", "<"), True)
    check("get appended", client.get("py:added"), "<replaced!")

    # touch: an existing key is touched; a missing one is not. A negative
    # expiry expires the item at once (memcached's rule), so no sleeping.
    check("touch existing", client.touch("py:added", 3600), True)
    check("touch missing", client.touch("py:nothere", 3600), False)
    check("still there after touch", client.get("py:added"), "<replaced!")
    check("touch to past", client.touch("py:added", -1), True)
    check("gone after touch to past", client.get("py:added"), None)

    # delete.
    check("delete existing", client.delete("py:dict"), True)
    check("delete missing", client.delete("py:dict"), False)
    check("get deleted", client.get("py:dict"), None)

    # A value near 1 MB minus overhead, binary, round-trips.
    big = bytes(range(256)) * 3000
    check("set big", client.set("py:big", big), True)
    check("get big", client.get("py:big") == big, True)

    client.close()
    print("%d failure(s)" % checks.failures)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
