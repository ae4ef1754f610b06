"""The SQL of PostgreSQL's trigger function that freezes an approved policy version, for the
columns the bureau approves: each migration that adds such a column passes the full list
(its own and its predecessors'), so every migration keeps the SQL it was written with."""

#: The columns frozen since 0002 (an approved version keeps them; its state may only move on).
FROZEN_SINCE_0002 = [
    "window_opens",
    "window_closes",
    "min_first_semester_credits",
    "notice_days",
]
FROZEN_IDENTITY = ["cohort_year", "pilot_area_id", "version", "approved_by_id", "approved_at"]


def policy_frozen_sql(columns: list[str]) -> str:
    """``CREATE OR REPLACE FUNCTION transfers_policy_frozen()`` over ``columns`` (a JSON
    column named as ``name::text``) and the identity columns."""
    changes = "\n        OR ".join(
        f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in [*columns, *FROZEN_IDENTITY]
    )
    return f"""
CREATE OR REPLACE FUNCTION transfers_policy_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state IN ('approved', 'published', 'superseded') AND (
        {changes}
        OR NEW.state IN ('draft', 'pending', 'returned')
    ) THEN
        RAISE EXCEPTION 'policy_frozen: an approved policy version cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""
