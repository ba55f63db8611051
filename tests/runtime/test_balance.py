"""The board prefork workers share new connections by (inphms.httpserver.balance)."""
import os
import socket
import time

import pytest

from inphms.httpserver import balance


@pytest.fixture(autouse=True)
def no_board_left():
    """join() makes this process a worker of the board: the other tests' servers are not."""
    yield
    balance.current = None


def test_the_board_is_shared_with_processes_forked_after_it():
    board = balance.Board(2)
    first = board.take_slot(set())
    second = board.take_slot({first})
    pid = os.fork()
    if pid == 0:
        board.join(second)
        board.count(7)
        os._exit(0)
    os.waitpid(pid, 0)
    assert board.read(second) == 7 and board.read(first) == 0
    assert board.take_slot({first, second}) is None


def test_a_worker_yields_only_to_a_quieter_accepting_worker():
    board = balance.Board(3)
    mine, other, spare = (board.take_slot(set(range(n))) for n in range(3))
    board.free_slot(spare)          # no worker there: it holds nobody back
    board.join(mine)
    board.write(other, 4)
    assert not board.quieter_elsewhere(4)
    assert board.quieter_elsewhere(5)
    board.leave()                   # a stopping worker: it yields to nobody...
    assert not board.quieter_elsewhere(5)
    board.count(9)                  # ...and its count is no longer written
    assert board.read(mine) == balance.FREE


def test_the_yield_ends_when_the_connection_is_taken_or_its_time_is_up():
    board = balance.Board(2)
    board.join(board.take_slot(set()))
    quiet = board.take_slot({board.mine})
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        try:
            # nobody takes it: the busier worker accepts it itself, after YIELD_MAX
            started = time.monotonic()
            assert not balance.yield_to_a_quieter_worker(board, listener, 1)
            assert time.monotonic() - started >= balance.YIELD_MAX
            # the quieter worker took it meanwhile (here: before the look)
            listener.accept()[0].close()
            assert balance.yield_to_a_quieter_worker(board, listener, 1)
            # not busier than the quiet one: no yield at all
            board.write(quiet, 1)
            assert not balance.yield_to_a_quieter_worker(board, listener, 1)
        finally:
            client.close()
