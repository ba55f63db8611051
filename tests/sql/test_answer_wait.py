"""inphms.sql.answer_wait: when an evented worker waits for a database answer in the kernel."""
import socket

import pytest

from inphms.sql.answer_wait import (MOSTLY, PROBE_EVERY, QUICK_ANSWER, AnswerWait, loopback,
                                    on_this_machine)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_this_machine(address):
    assert loopback(address)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1", "::ffff:10.0.0.5",
                                     "db.example", ""])
def test_other_addresses_are_not(address):
    assert not loopback(address)


def test_a_unix_socket_and_a_loopback_connection_lead_to_this_machine():
    left, right = socket.socketpair()
    with left, right:
        assert on_this_machine(left)
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname()) as client:
            assert on_this_machine(client)


def test_a_socket_no_longer_connected_is_not_waited_on():
    with socket.socket() as unconnected:
        assert not on_this_machine(unconnected)


def test_quick_answers_keep_the_waits_and_a_late_one_does_not_stop_them():
    times = AnswerWait(0.001)
    for _ in range(200):
        assert times.worth_waiting()
        times.add(QUICK_ANSWER / 10)
    # a commit that waited for the disk, now and then
    for _ in range(3):
        times.add(0.005)
        assert times.worth_waiting()
        for _ in range(20):
            times.add(QUICK_ANSWER / 10)


def test_mostly_slow_answers_stop_the_waits_but_for_a_probe_now_and_then():
    times = AnswerWait(0.001)
    slow = 0
    while times.worth_waiting():
        times.add(0.002)        # a database across a network
        slow += 1
        assert slow < 30
    # from now on one statement in PROBE_EVERY waits, to see whether answers got quick
    waits = [times.worth_waiting() for _ in range(PROBE_EVERY * 3)]
    probes = [n for n, wait in enumerate(waits) if wait]
    assert len(probes) == 3
    assert [b - a for a, b in zip(probes, probes[1:])] == [PROBE_EVERY, PROBE_EVERY]


def test_answers_that_got_quick_again_bring_the_waits_back():
    times = AnswerWait(0.001)
    while times.worth_waiting():
        times.add(0.002)
    calls = 0
    while times.quick_share < MOSTLY:
        calls += 1
        assert calls < PROBE_EVERY * 30
        if times.worth_waiting():   # a probe: it waited, and the answer came quickly
            times.add(QUICK_ANSWER / 10)
    assert all(times.worth_waiting() for _ in range(PROBE_EVERY * 2))
