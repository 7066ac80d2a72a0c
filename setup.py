"""Package list for setuptools; everything else is in pyproject.toml.

The Hydra configs stay in the repository-root `conf/`; `package_dir` maps a data-only package
`morec_pareto.conf` onto it, so a wheel ships them as `morec_pareto/conf/**.yaml` (see pyproject.toml).
pyproject.toml cannot combine that mapping with package discovery (`packages.find` only finds packages
under `morec_pareto/`), hence this file: the subpackages are still discovered, so new ones need no edit.
"""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["morec_pareto", "morec_pareto.*"]), "morec_pareto.conf"],
    package_dir={"morec_pareto.conf": "conf"},
)
