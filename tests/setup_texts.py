"""setup.py shapes of real projects, written small: how they react to a failed compile."""

from __future__ import annotations

# zope.interface, zope.proxy: the build_ext subclass prints a warning and goes on
SWALLOWS = """
from distutils.errors import CCompilerError, DistutilsExecError, DistutilsPlatformError
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

class optional_build_ext(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except DistutilsPlatformError as e:
            self._unavailable(e)

    def build_extension(self, ext):
        try:
            build_ext.build_extension(self, ext)
        except (CCompilerError, DistutilsExecError, OSError) as e:
            self._unavailable(e)

    def _unavailable(self, e):
        print("C extension not built:", e)

setup(cmdclass={"build_ext": optional_build_ext}, ext_modules=[Extension("m", ["m.c"])])
"""

# BTrees: the same class, but it re-raises while building a wheel unless PURE_PYTHON is set
RERAISES_UNLESS_SWITCH = SWALLOWS.replace(
    '        print("C extension not built:", e)\n',
    '        print("C extension not built:", e)\n'
    '        if "bdist_wheel" in sys.argv and not os.environ.get("PURE_PYTHON"):\n'
    "            raise\n",
).replace("from setuptools import", "import os, sys\nfrom setuptools import")

# multidict: an environment switch and no try at all
SWITCH_ONLY = """
import os
from setuptools import Extension, setup
NO_EXTENSIONS = bool(os.environ.get("MULTIDICT_NO_EXTENSIONS"))
if not NO_EXTENSIONS:
    setup(ext_modules=[Extension("m", ["m.c"])])
else:
    setup()
"""

# psycopg2: catches the compile error to say more, then re-raises
EXPLAINS_AND_RERAISES = """
from distutils.errors import CompileError
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

class psycopg_build_ext(build_ext):
    def build_extension(self, extension):
        try:
            build_ext.build_extension(self, extension)
        except CompileError:
            print("is pg_config on the PATH?")
            raise

setup(cmdclass={"build_ext": psycopg_build_ext}, ext_modules=[Extension("m", ["m.c"])])
"""

# autobahn: sets a switch for a dependency's build; reads none of its own
SETS_A_SWITCH_FOR_OTHERS = """
import os
from setuptools import Extension, setup
os.environ["PYUBJSON_NO_EXTENSION"] = "1"
setup(ext_modules=[Extension("m", ["m.c"])])
"""

# gitdb: catches anything around build_ext.run and goes on
SWALLOWS_AROUND_RUN = """
from distutils.command.build_ext import build_ext
from setuptools import Extension, setup

class build_ext_nofail(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except Exception:
            print("pure python modules will be used instead")

setup(cmdclass={"build_ext": build_ext_nofail}, ext_modules=[Extension("m", ["m.c"])])
"""
