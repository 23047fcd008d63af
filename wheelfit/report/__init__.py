"""Stage 8, the report: what a person or a CI job decides from the targets' results.

In: ``models.TargetReport`` values. Out: the recommended image (``recommend``), the --fail-on
findings (``policy``), what a change to the requirements does (``diff``), and the stored
results a later run reuses when nothing changed (``stored``).
"""
