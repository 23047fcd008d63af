"""Running wheelfit in CI: the GitHub Action's entry point (pull-request comment, changed files).

Like ``cli``, it may print and exit; it calls the command and renders nothing of its own.
"""
