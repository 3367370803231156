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
