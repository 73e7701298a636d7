"""Utilities: packing, dictionaries, exceptions and PyTensor helpers."""
from blocks.compile.compilation import compile_function, resolve_mode
from blocks.utils.theano_utils import (
    Unbroadcast, check_theano_variable, is_graph_input, is_shared_variable,
    named_copy, print_shape, print_sum, put_hook, shared_floatx,
    shared_floatx_nans, shared_floatx_zeros, shared_floatx_zeros_matching,
    shared_like, unbroadcast)
from blocks.utils.utils import (
    change_recursion_limit, dict_subset, dict_union, extract_args, find_bricks,
    ipdb_breakpoint, pack, repr_attrs, reraise_as, unpack)

__all__ = ['compile_function', 'resolve_mode', 'Unbroadcast',
           'check_theano_variable', 'is_graph_input', 'is_shared_variable',
           'named_copy', 'print_shape', 'print_sum', 'put_hook',
           'shared_floatx', 'shared_floatx_nans', 'shared_floatx_zeros',
           'shared_floatx_zeros_matching', 'shared_like', 'unbroadcast',
           'change_recursion_limit', 'dict_subset', 'dict_union',
           'extract_args', 'find_bricks', 'ipdb_breakpoint', 'pack', 'repr_attrs',
           'reraise_as', 'unpack']
