"""``python -m wheelfit`` and the ``wheelfit`` command.

The command's imports happen here, inside the Ctrl-C handling: an interrupt while they load
exits 130 with a short message, never a traceback.
"""

import os
import sys


def entrypoint() -> None:
    try:
        from .cli import entrypoint as run
    except KeyboardInterrupt:
        sys.stderr.write("wheelfit: interrupted\n")
        sys.stderr.flush()
        os._exit(130)
    run()


if __name__ == "__main__":
    entrypoint()
