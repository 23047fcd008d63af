"""Stage 9, rendering: a report as text for people and programs. Nothing here prints.

In: ``models.Report`` (or a ``report.diff.ReportDiff``). Out: a rich table, JSON (schema in
docs/schema.json), Markdown for a pull request, SARIF for code scanning, or a Dockerfile.
"""
