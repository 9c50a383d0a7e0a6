"""pyproject.toml holds the metadata; this file does the two things it cannot say:

- install the repository folder ``task_yamls/`` (the design card's place for the YAMLs) inside our
  namespace, as ``amuse_tasks.task_yamls``, so no generic top-level name lands in site-packages;
- ship ``amuse_av_lm_eval.pth`` at the top of site-packages: the startup hook that lets plain
  ``lm_eval`` find the AMUSE tasks and models (lm-eval 0.4.13 reads no plugin entry points).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

PTH = "amuse_av_lm_eval.pth"
TASKS_PACKAGE = "amuse_tasks.task_yamls"


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        self.copy_file(str(Path(__file__).parent / PTH), str(Path(self.build_lib) / PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(
    packages=[*find_namespace_packages(include=["amuse_tasks", "amuse_tasks.*", "raft_trl", "raft_trl.*"]), TASKS_PACKAGE],
    package_dir={TASKS_PACKAGE: "task_yamls"},
    cmdclass={"build_py": BuildPyWithPth},
)
