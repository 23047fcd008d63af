"""Stage 5, system packages: what each image must install to build and to run a package.

``knowledge`` reads the shipped knowledge base, ``infer`` reads an sdist's build files when the
knowledge base does not know a project, and ``plan`` turns both into per-image package lists.
"""
