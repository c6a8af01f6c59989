"""services.turns: at most N holders; others wait, then 503 with Retry-After."""

import threading
import time

import pytest

from services.errors import ServiceUnavailable
from services.turns import Turns


def test_a_turn_is_refused_with_503_while_all_are_held_and_given_once_freed():
    turns = Turns(1, 0.05, "test turns", "busy, retry")
    with turns.turn():
        with pytest.raises(ServiceUnavailable) as refused:
            with turns.turn():
                pass
    assert refused.value.retry_after >= 1 and "busy, retry" in str(refused.value)
    with turns.turn():  # freed again
        pass


def test_an_error_inside_a_turn_frees_it():
    turns = Turns(1, 0.05, "test turns", "busy")
    with pytest.raises(RuntimeError):
        with turns.turn():
            raise RuntimeError("boom")
    with turns.turn():
        pass


def test_a_waiting_caller_gets_the_turn_when_it_is_freed():
    turns = Turns(2, 10, "test turns", "busy")
    held, order = threading.Event(), []

    def waiter():
        held.wait(10)
        with turns.turn():
            order.append("waiter")

    with turns.turn(), turns.turn():
        thread = threading.Thread(target=waiter)
        thread.start()
        held.set()
        time.sleep(0.1)
        order.append("holders done")
    thread.join(10)
    assert order == ["holders done", "waiter"]
