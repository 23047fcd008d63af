"""Stage 1, inputs: what the user gave, read into located requirements and pip's options.

In: requirements files (with -r/-c includes), pyproject.toml, lock files (pylock.toml, uv.lock,
poetry.lock), [tool.wheelfit] settings, and files at a git revision for ``wheelfit diff --base``.
Out: ``parsed.ParsedInputs``: every requirement with its file and line, the index and format
options, and an ``InputError`` for each line that could not be read (never dropped).
``requirements.read_requirements`` picks the reader by file name.
"""
