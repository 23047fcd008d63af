"""Stage 4, inspection: what a distribution file says, read statically and never run.

In: wheel METADATA bytes and sdist archives from the index client. Out: dependencies
(``distinfo.DistInfo``, from METADATA, PKG-INFO, pyproject.toml or setup.cfg/setup.py read as
text), and for an sdist its build backend, build requirements, languages and the headers it
includes (``sdist.SdistInfo``), within size and path-traversal limits.
"""
