"""Kept so that ``pip install -e file:.#egg=blocks[test,docs]`` works.

pyproject.toml holds the metadata.

"""
from setuptools import setup

setup()
