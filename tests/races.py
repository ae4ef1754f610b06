"""People acting at the same moment, for the race tests on PostgreSQL: real threads, each
with its own database connection, all released at once."""

import threading

from django.db import connection


def race(actions, *, refusals: tuple[type[Exception], ...] = ()) -> tuple[list, list]:
    """Run each action in its own thread, all released together. Returns what the actions
    returned and the refusals they raised (exceptions of ``refusals``); anything else raised,
    or a thread still running after a minute, fails the test."""
    start = threading.Barrier(len(actions), timeout=30)
    done, refused, crashed = [], [], []

    def run(action):
        try:
            start.wait()
            done.append(action())
        except refusals as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert crashed == []
    return done, refused
