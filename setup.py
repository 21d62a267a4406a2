"""Only what pyproject.toml cannot say: the built package carries the top-level resources of the source
tree (``templates/``, ``migrations/``, ``alembic.ini``) inside ``saas/``, where ``saas.resources`` finds
them in an installed wheel.  The source tree keeps its layout (``scripts/run``, ``alembic`` from the
checkout, and editable installs read the files where they are)."""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = ("templates", "migrations", "alembic.ini")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = os.path.join(self.build_lib, "saas")
        for name in RESOURCES:
            if os.path.isdir(name):
                for folder, dirs, files in os.walk(name):
                    dirs[:] = [d for d in dirs if d != "__pycache__"]
                    for file in files:
                        if not file.endswith((".pyc", ".pyo")):
                            source = os.path.join(folder, file)
                            self.mkpath(os.path.join(target, folder))
                            self.copy_file(source, os.path.join(target, source))
            else:
                self.copy_file(name, os.path.join(target, name))


setup(cmdclass={"build_py": BuildWithResources})
