"""TurnGate (inphms/serving.py): requests in turn, and the turns slow requests lend.

In-process, with threads standing for requests: the gate is a plain object,
and its rules are easiest to see with exact timings here.  The HTTP tests
(test_http11.py) check the same through the real server.
"""
import threading
import time

from inphms.serving import TurnGate

WAIT = 5        # seconds: the longest a thread of these tests is waited for


def run_in_thread(target, *args):
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_fast_requests_never_run_more_than_size_at_once():
    # slow far above a turn's 2 ms, so that a thread the machine pauses
    # for a while does not pass for a slow request
    gate = TurnGate(2, slow=1.0)
    lock = threading.Lock()
    now = {"running": 0, "most": 0, "done": 0}

    def request():
        for _ in range(30):
            turn = gate.enter()
            with lock:
                now["running"] += 1
                now["most"] = max(now["most"], now["running"])
            time.sleep(0.002)
            with lock:
                now["running"] -= 1
                now["done"] += 1
            gate.leave(turn)

    threads = [run_in_thread(request) for _ in range(8)]
    for thread in threads:
        thread.join(WAIT * 4)
    assert now["done"] == 8 * 30
    assert now["most"] == 2
    assert gate.limit == 2 and not gate.running and not gate.waiters


def test_turns_are_given_in_arrival_order_and_never_lent_with_slow_0():
    gate = TurnGate(1, slow=0)
    order = []
    holder = gate.enter()

    def request(name):
        turn = gate.enter()
        order.append(name)
        gate.leave(turn)

    threads = []
    for name in ("b", "c", "d"):
        threads.append(run_in_thread(request, name))
        time.sleep(0.1)         # arrival order: b, c, d
    time.sleep(0.3)             # far longer than any turn would be kept if lent
    assert order == []          # the first request still holds the only turn
    gate.leave(holder)
    for thread in threads:
        thread.join(WAIT)
    assert order == ["b", "c", "d"]


def test_a_slow_request_lends_its_turn_once_and_takes_it_back():
    gate = TurnGate(1, slow=0.1)
    slow = gate.enter()
    got = {}

    def request(name):
        got[name] = gate.enter()

    started = time.monotonic()
    b = run_in_thread(request, "b")
    b.join(WAIT)
    assert "b" in got and time.monotonic() - started < 1.0    # lent after about 0.1 s
    assert gate.limit == 2 and len(gate.running) == 2
    # the slow request lends once: a third waits until b, too, has run 0.1 s
    c = run_in_thread(request, "c")
    c.join(WAIT)
    assert "c" in got and gate.limit == 3
    # the slow requests end: the turns they lent are taken back, none handed on
    gate.leave(slow)
    assert gate.limit == 2 and len(gate.running) == 2
    gate.leave(got["b"])
    gate.leave(got["c"])
    assert gate.limit == 1 and not gate.running and not gate.waiters


def test_a_turn_handed_over_while_the_waiter_looks_for_slow_ones_is_not_lost():
    # many short waits that time out around the moment turns are handed over
    gate = TurnGate(1, slow=0.001)
    done = []

    def request():
        for _ in range(50):
            turn = gate.enter()
            time.sleep(0.0005)
            gate.leave(turn)
        done.append(1)

    threads = [run_in_thread(request) for _ in range(6)]
    for thread in threads:
        thread.join(WAIT * 4)
    assert len(done) == 6
    assert gate.limit == 1 and not gate.running and not gate.waiters
