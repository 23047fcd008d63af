"""Stage 2, targets: which images to answer for, and what pip inside each would accept.

In: image names (``python:3.12-slim``, ``alpine``) or raw platform tags, with --python/--arch.
Out: ``models.Target`` values (``images``), and for each its ordered wheel tags and PEP 508
marker values (``tags``), built from the profile only, never from the host.
"""
