"""The import engine: files a company already has, read, checked and written all or nothing.

One engine serves the management commands (``import_retailers`` …) and the upload page. The
engine lives here (``reading``, ``parsing``, ``report``, ``engine``, ``kinds``); each importer
lives in the app whose models it writes (``retailers/imports/``, ``accounts/imports/`` …) and
is named in ``kinds.IMPORTERS``.


- Reading: CSV (UTF-8 with or without BOM, otherwise GB18030) or XLSX (first sheet, read-only
  streaming). Row 1 is the header; rows are numbered as Excel shows them and are produced one
  at a time, never the whole file as Python objects. Headers are accepted in Chinese or
  English (``许可证号`` or ``license_no``); columns the importer does not know are ignored.
- Checking: every cell is parsed by its column; references (territory, brand, licence,
  employee number) are resolved; keys must be unique inside the file. Errors carry the row,
  the column header, the value and a translated reason; the first ``MAX_ERRORS`` are kept and
  all of them are counted.
- All or nothing: the whole file is imported in one transaction that is rolled back when
  any error was found (or for a dry run), so a file with errors writes nothing.
- Idempotent: rows are matched on their natural keys and only rows whose values differ are
  written, so importing the same file again changes nothing (every row "unchanged").
- Order lines (up to millions) go through a staging table: PostgreSQL ``COPY`` from a stream
  that converts the rows lazily (other databases: chunked inserts), then set-based SQL checks
  and one ``INSERT … SELECT``. Order lines are immutable: a line already imported with other
  values is an error, not an update.
"""
