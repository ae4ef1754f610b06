"""Run a database test on each engine that enforces the rule.

``@each_engine`` makes two variants of a test: ``[postgresql]``, marked ``postgres`` (skipped
on SQLite, or failed under REQUIRE_POSTGRES=1), and ``[sqlite]``, which runs when the suite
runs on SQLite. The migrations give SQLite the same constraints and triggers, so a developer
without PostgreSQL still sees a broken invariant.
"""

import pytest
from django.db import connection

each_engine = pytest.mark.parametrize(
    "engine",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres, id="postgresql"),
        pytest.param(
            "sqlite",
            marks=[
                pytest.mark.sqlite,
                pytest.mark.skipif(
                    connection.vendor != "sqlite",
                    reason="SQLite variant; this run is on another engine",
                ),
            ],
            id="sqlite",
        ),
    ],
    indirect=True,
)
