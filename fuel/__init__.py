"""Fuel: datasets, iteration schemes, data streams and transformers.

>>> from fuel import config
>>> config.default_seed
1
"""
from fuel.config_parser import config

__version__ = '0.2.0'
__all__ = ['config']
