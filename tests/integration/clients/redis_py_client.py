#!/usr/bin/python3
"""redis-py (Debian's python3-redis), untouched, against a server on 127.0.0.1:PORT.

Usage: redis_py_client.py PORT
Runs the string, key, connection, database and transaction commands through
redis-py's own API, and pipelines with and without a transaction.
Prints one line per check and exits 1 if any check failed. The answers are
redis-server 7.0's: the script passes against it too (TT_TEST_REFERENCE=redis).
TTLs are checked within a range: the server under test keeps whole seconds.
"""
import sys
import time

import redis

import checks
from checks import check


def error_of(call):
    """The text of the ResponseError `call` raises, or None."""
    try:
        call()
    except redis.ResponseError as error:
        return str(error)
    return None


def transactions(r, other):
    """MULTI/EXEC through redis-py's pipeline (transaction=True, its default)
    and WATCH, with `other` a second connection that changes watched keys."""
    pipe = r.pipeline()
    pipe.set("tx:a", 1).incr("tx:a").get("tx:a").mset({"tx:b": "x", "tx:c": "y"})
    check("transaction", pipe.execute(), [True, 2, b"2", True])

    # A command failing at run time does not stop the others.
    pipe = r.pipeline()
    pipe.incr("tx:b").set("tx:d", "z")
    results = pipe.execute(raise_on_error=False)
    check("run-time error", isinstance(results[0], redis.ResponseError), True)
    check("after run-time error", results[1], True)
    check("run-time error ran the rest", r.get("tx:d"), b"z")

    # A command refused while queueing aborts the whole transaction.
    pipe = r.pipeline()
    pipe.set("tx:e", "1").execute_command("NOSUCHCMD")
    aborted = error_of(pipe.execute)
    check("queue-time error aborts", aborted,
          "Command # 2 (NOSUCHCMD) of pipeline caused error: "
          "unknown command 'NOSUCHCMD', with args beginning with: ")
    check("aborted transaction ran nothing", r.exists("tx:e"), 0)

    # WATCH: a change by another connection makes EXEC fail (WatchError).
    r.set("tx:w", "0")
    with r.pipeline() as pipe:
        pipe.watch("tx:w")
        other.set("tx:w", "changed")
        pipe.multi()
        pipe.set("tx:w", "mine")
        try:
            pipe.execute()
            check("watch error", "no WatchError", "WatchError")
        except redis.WatchError:
            check("watch error", "WatchError", "WatchError")
    check("watched key kept", r.get("tx:w"), b"changed")

    # The optimistic-lock retry loop redis-py documents: increments from two
    # connections interleaved, each retried until its EXEC goes through.
    r.set("tx:counter", "0")
    attempts = 0
    for _ in range(20):
        with r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch("tx:counter")
                    value = int(pipe.get("tx:counter"))
                    attempts += 1
                    if attempts % 3 == 1:
                        other.incr("tx:counter")  # a concurrent writer wins this round
                    pipe.multi()
                    pipe.set("tx:counter", value + 1)
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
    # 20 increments of ours, each after a failed round every other time: 10 of theirs.
    check("retry loop total", r.get("tx:counter"), b"30")
    check("retry loop attempts", attempts, 30)

    # The transaction helper, which wraps the same loop.
    def add_ten(pipe):
        value = int(pipe.get("tx:counter"))
        pipe.multi()
        pipe.set("tx:counter", value + 10)
    r.transaction(add_ten, "tx:counter")
    check("transaction helper", r.get("tx:counter"), b"40")
    r.delete("tx:a", "tx:b", "tx:c", "tx:d", "tx:w", "tx:counter")


def main():
    port = int(sys.argv[1])
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    check("flushall", r.flushall(), True)
    check("ping", r.ping(), True)
    check("echo", r.echo(b"a\r\nb"), b"a\r\nb")
    check("select 0", r.select(0), True)
    check("select 16", error_of(lambda: r.select(16)), "DB index is out of range")

    # Every byte value, in keys and values.
    every_byte = bytes(range(256))
    check("set bytes", r.set(b"k:" + every_byte, every_byte), True)
    check("get bytes", r.get(b"k:" + every_byte), every_byte)
    check("get missing", r.get("missing"), None)

    # SET and its options.
    check("set nx new", r.set("s", "1", nx=True), True)
    check("set nx existing", r.set("s", "2", nx=True), None)
    check("set xx existing", r.set("s", "3", xx=True), True)
    check("set xx missing", r.set("s2", "3", xx=True), None)
    check("set get", r.set("s", "4", get=True), b"3")
    check("set ex", r.set("s", "5", ex=100), True)
    check("ttl after ex", 98 <= r.ttl("s") <= 100, True)
    check("pttl after ex", 98000 <= r.pttl("s") <= 101000, True)
    check("set keepttl", r.set("s", "6", keepttl=True), True)
    check("ttl kept", 98 <= r.ttl("s") <= 100, True)
    check("set px", r.set("s", "7", px=100000), True)
    check("ttl after px", 98 <= r.ttl("s") <= 100, True)
    now = int(time.time())
    check("set exat", r.set("s", "8", exat=now + 100), True)
    check("ttl after exat", 97 <= r.ttl("s") <= 100, True)
    check("set pxat", r.set("s", "9", pxat=(now + 100) * 1000), True)
    check("ttl after pxat", 97 <= r.ttl("s") <= 100, True)
    check("set past exat", r.set("s", "x", exat=1), True)
    check("gone after past exat", r.exists("s"), 0)
    check("set ex 0", error_of(lambda: r.set("s", "1", ex=0)),
          "invalid expire time in 'set' command")

    # The other string commands.
    check("setnx", r.setnx("n", 10), True)
    check("setnx again", r.setnx("n", 11), False)
    check("setex", r.setex("e", 100, "v"), True)
    check("psetex", r.psetex("p", 100000, "v"), True)
    check("ttl setex", 98 <= r.ttl("e") <= 100, True)
    check("getset", r.getset("n", 20), b"10")
    check("getdel", r.getdel("n"), b"20")
    check("getdel again", r.getdel("n"), None)
    check("mset", r.mset({"a": 1, "b": 2}), True)
    check("mget", r.mget("a", "nope", "b"), [b"1", None, b"2"])
    check("msetnx refused", r.msetnx({"a": 9, "c": 9}), False)
    check("msetnx set none", r.exists("c"), 0)
    check("msetnx", r.msetnx({"c": 3, "d": 4}), True)
    check("append", r.append("c", "xyz"), 4)
    check("append new", r.append("z", "xyz"), 3)
    check("strlen", r.strlen("c"), 4)
    check("strlen missing", r.strlen("nope"), 0)
    check("incr", r.incr("i"), 1)
    check("incrby", r.incrby("i", 41), 42)
    check("decr", r.decr("i"), 41)
    check("decrby", r.decrby("i", 40), 1)
    check("incrbyfloat", r.incrbyfloat("f", 10.5), 10.5)
    check("incrbyfloat again", r.incrbyfloat("f", 0.1), 10.6)
    check("incr not a number", error_of(lambda: r.incr("c")),
          "value is not an integer or out of range")
    check("incrbyfloat not a number", error_of(lambda: r.incrbyfloat("c", 1)),
          "value is not a valid float")
    r.set("big", 9223372036854775807)
    check("incr overflow", error_of(lambda: r.incr("big")),
          "increment or decrement would overflow")

    # Keys and expiry.
    check("exists", r.exists("a", "b", "a", "nope"), 3)
    check("delete", r.delete("a", "nope"), 1)
    check("unlink", r.unlink("b", "c"), 2)
    r.set("x", "1")
    check("expire gt without ttl", r.expire("x", 100, gt=True), False)
    check("expire xx without ttl", r.expire("x", 100, xx=True), False)
    check("expire nx", r.expire("x", 100, nx=True), True)
    check("expire lt", r.expire("x", 50, lt=True), True)
    check("expire gt smaller", r.expire("x", 10, gt=True), False)
    check("ttl", 48 <= r.ttl("x") <= 50, True)
    check("pexpire", r.pexpire("x", 200000), True)
    check("ttl pexpire", 198 <= r.ttl("x") <= 200, True)
    check("expireat", r.expireat("x", now + 300), True)
    check("pexpireat", r.pexpireat("x", (now + 400) * 1000), True)
    check("ttl pexpireat", 397 <= r.ttl("x") <= 400, True)
    check("persist", r.persist("x"), True)
    check("persist again", r.persist("x"), False)
    check("ttl persisted", r.ttl("x"), -1)
    check("ttl missing", r.ttl("nope"), -2)
    check("pttl missing", r.pttl("nope"), -2)
    check("expire in the past", r.expire("x", -1), True)
    check("gone", r.exists("x"), 0)
    check("expire missing", r.expire("nope", 10), False)

    # Errors as Redis words them.
    check("unknown command", error_of(lambda: r.execute_command("NOSUCHCMD", "a", "b")),
          "unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ")
    check("wrong arity", error_of(lambda: r.execute_command("GET")),
          "wrong number of arguments for 'get' command")
    check("syntax", error_of(lambda: r.execute_command("SET", "k", "v", "NX", "XX")),
          "syntax error")

    # A pipeline without a transaction: many commands in one write.
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set("pipe:%d" % i, i)
        pipe.incr("pipe:counter")
    pipe.get("pipe:999")
    pipe.execute_command("NOSUCHCMD")
    results = pipe.execute(raise_on_error=False)
    check("pipeline length", len(results), 2002)
    check("pipeline sets", results[0:2000:2] == [True] * 1000, True)
    check("pipeline counter", results[1999], 1000)
    check("pipeline get", results[2000], b"999")
    check("pipeline error", isinstance(results[2001], redis.ResponseError), True)

    transactions(r, redis.Redis(host="127.0.0.1", port=port, socket_timeout=10))

    check("dbsize counts", r.dbsize() >= 1000, True)
    check("flushdb", r.flushdb(), True)
    check("dbsize after flushdb", r.dbsize(), 0)
    r.set("k", "v")
    check("flushall async", r.flushall(asynchronous=True), True)
    check("empty", r.dbsize(), 0)

    print("%d failure(s)" % checks.failures)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
