"""Only here to ship ``amuse_av_lm_eval.pth`` at the top of site-packages (pyproject.toml holds
all metadata): the startup hook that lets plain ``lm_eval`` find the AMUSE tasks."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "amuse_av_lm_eval.pth"


class BuildPyWithPth(build_py):
    def run(self):
        super().run()
        self.copy_file(str(Path(__file__).parent / PTH), str(Path(self.build_lib) / PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
