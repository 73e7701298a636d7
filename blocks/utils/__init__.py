"""Utilities: packing, dictionaries, exceptions and PyTensor helpers."""
import sys
from types import ModuleType

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


class UtilsModule(ModuleType):
    """The class of the :mod:`blocks.utils` module object.

    Blocks gave the package a module class of its own, listing which names
    come from :mod:`blocks.utils.utils` (``utils_attrs``) and which from
    :mod:`blocks.utils.theano_utils` (``theano_utils_attrs``); a name that
    is neither raises an :class:`AttributeError` that says where to look.

    """
    utils_attrs = ('pack', 'unpack', 'reraise_as', 'dict_subset',
                   'dict_union', 'repr_attrs', 'ipdb_breakpoint', 'print_sum',
                   'print_shape', 'change_recursion_limit', 'extract_args',
                   'find_bricks')
    theano_utils_attrs = ('shared_floatx_zeros_matching',
                          'shared_floatx_zeros', 'shared_floatx_nans',
                          'shared_floatx', 'shared_like',
                          'check_theano_variable', 'is_graph_input',
                          'is_shared_variable', 'put_hook')

    def __getattr__(self, item):
        if item in self.utils_attrs:
            from blocks.utils import utils
            return getattr(utils, item)
        if item in self.theano_utils_attrs:
            from blocks.utils import theano_utils
            return getattr(theano_utils, item)
        raise AttributeError(
            "module 'blocks.utils' has no attribute {!r} (its submodules "
            "are blocks.utils.utils, blocks.utils.theano_utils, "
            "blocks.utils.containers, blocks.utils.profile and "
            "blocks.utils.testing)".format(item))


#: The module object itself, as in Blocks.
old_module = sys.modules[__name__]
old_module.__class__ = UtilsModule
