"""The check-and-count helper the Python client scripts share."""

failures = 0


def check(what, got, want):
    """Prints one ok/FAIL line for `what` and counts a failure."""
    global failures
    ok = got == want
    if not ok:
        failures += 1
    print("%s %s: got %r, want %r" % ("ok  " if ok else "FAIL", what, got, want))
