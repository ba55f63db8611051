# printid.py - prints its own n in pieces, so concurrent requests interleave
import time


def printid(data):
    n = data["n"]
    print(f"<p id=out>start {n}")
    for i in range(5):
        time.sleep(0.005)   # on purpose: other pages print meanwhile, their output must not mix in
        print(f" {n}")
    print(f" end {n}</p>")
