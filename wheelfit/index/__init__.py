"""Stage 3, the package index: project pages, metadata and archives, over HTTP or from the cache.

In: project names and file URLs. Out: ``page.ProjectPage`` values (``simple`` parses PEP 691
JSON and PEP 503 HTML), core metadata bytes (PEP 658 file, else HTTP range reads of the wheel:
``rangezip``), and whole archives. ``cache`` stores what was fetched; ``urls`` keeps credentials
out of what is requested in the clear. Knows nothing of resolution or images.
"""
