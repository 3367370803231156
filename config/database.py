"""Database housekeeping shared by the bulk writers (imports, seeds, monthly jobs)."""

from django.db import connection


def analyze(*models) -> None:
    """Refresh the planner's statistics of the tables a bulk write has just filled.

    PostgreSQL plans from statistics that autovacuum refreshes only later; a job that reads
    what it (or an import) has just written in bulk would otherwise be planned for empty
    tables (a nested loop over millions of rows). ANALYZE samples a bounded number of rows,
    so it is cheap whatever the table's size. Other databases need nothing.
    """
    if connection.vendor != "postgresql" or not models:
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def analyze_if_stale(written: dict, *, fraction: float = 0.05) -> list[str]:
    """``analyze`` for a part of a split job: only the tables where what changed since their
    last ANALYZE (the server's count of committed changes, plus ``written``: {model: rows
    this transaction wrote}) exceeds ``fraction`` of their rows. A month written in 75
    parts then refreshes the statistics every few parts, not 75 times (each ANALYZE samples
    the whole table: about half a second on a province's records), and a part that wrote
    little into a large, already analyzed table pays nothing. Returns the tables analyzed."""
    if connection.vendor != "postgresql" or not written:
        return []
    stale = []
    with connection.cursor() as cursor:
        for model, rows in written.items():
            cursor.execute(
                "SELECT COALESCE(s.n_mod_since_analyze, 0), GREATEST(c.reltuples, 0), "
                "s.last_analyze IS NULL AND s.last_autoanalyze IS NULL "
                "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.oid = %s::regclass",
                [model._meta.db_table],
            )
            changed, rows_now, never = cursor.fetchone()
            if never or changed + rows > fraction * rows_now:
                stale.append(model)
    analyze(*stale)
    return [model._meta.db_table for model in stale]


# What the monthly jobs ask of PostgreSQL for their own transaction: enough memory for their
# sorts and hashes not to spill to disk (the server default is 4 MB), and no JIT compilation
# (it costs seconds on these queries and saves nothing).
JOB_SETTINGS = {"work_mem": "64MB", "jit": "off"}


def job_settings(**overrides) -> None:
    """Apply ``JOB_SETTINGS`` (and ``overrides``) to the current transaction only (``SET
    LOCAL``: they end with it, so the connection goes back to the server's defaults). Call
    it inside the job's ``transaction.atomic``. Other databases need nothing."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    settings = {**JOB_SETTINGS, **overrides}
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, str(value)])
