"""Wrappers that derive new bricks from existing ones."""
from pytensor import tensor

from blocks.bricks.base import application, rename_function
from blocks.utils import dict_subset, pack

_wrapped_doc = """Wraps the application method with reshapes.

Parameters
----------
extra_ndim : int, optional
    The number of extra dimensions. Default is zero.

See Also
--------
{}.{}
    For documentation of the wrapped application method.

"""


class BrickWrapper:
    """Base class for wrapper metaclasses.

    Sometimes one wants to extend a brick with the capability to handle
    inputs different from what it was designed to handle. A typical
    example are inputs with more dimensions that was foreseen at
    the development stage. One way to proceed in such a situation
    is to write a decorator that wraps all application methods of
    the brick class by some additional logic before and after
    the application call. :class:`BrickWrapper` serves as a
    convenient base class for such decorators.

    A wrapper is listed in the ``decorators`` attribute of a brick class;
    when the class is created, :meth:`wrap` is called for every application
    it inherits.

    """
    def wrap(self, wrapped, namespace):
        """Wrap an application of the base brick.

        This method should be overriden to write into its
        `namespace` argument all required changes.

        Parameters
        ----------
        wrapped : :class:`~blocks.bricks.base.Application`
            The application to be wrapped.
        namespace : dict
            The namespace of the class being created.

        """
        raise NotImplementedError


class WithExtraDims(BrickWrapper):
    """Wraps a brick's applications to handle inputs with extra dimensions.

    A brick can be often reused even when data has more dimensions
    than in the default setting. An example is a situation when one wants
    to apply :meth:`~blocks.bricks.Softmax.categorical_cross_entropy`
    to temporal data, that is when an additional 'time' axis is prepended
    to its both `x` and `y` inputs.

    This wrapper adds reshapes required to use application
    methods of a brick with such data by merging the extra dimensions
    with the first non-extra one. Two key assumptions
    are made: that all inputs and outputs have the same number of extra
    dimensions and that these extra dimensions are equal throughout
    all inputs and outputs.

    While this might be inconvinient, the wrapped brick does not try to
    guess the number of extra dimensions, but demands it as an argument.
    The considerations of simplicity and reliability motivated this design
    choice. Upon availability in Blocks of a mechanism to request the
    expected number of dimensions for an input of a brick, this can be
    reconsidered.

    """
    def wrap(self, wrapped, namespace):
        def apply(self, application, *args, **kwargs):
            # extra_ndim is a mandatory parameter, but in order not to
            # confuse with positional inputs, it has to be extracted from
            # **kwargs
            extra_ndim = kwargs.pop('extra_ndim', 0)
            if not isinstance(extra_ndim, int) or extra_ndim < 0:
                raise ValueError("extra_ndim must be a non-negative integer, "
                                 "got {!r}".format(extra_ndim))

            inputs = dict(zip(application.inputs, args))
            inputs.update(dict_subset(kwargs, application.inputs,
                                      must_have=False))
            reshaped_inputs = inputs.copy()
            for name, variable in inputs.items():
                shape = variable.shape
                if extra_ndim:
                    new_shape = tensor.concatenate([
                        tensor.prod(shape[:extra_ndim + 1], keepdims=True),
                        shape[extra_ndim + 1:]])
                    reshaped_inputs[name] = variable.reshape(
                        new_shape, ndim=variable.ndim - extra_ndim)
            outputs = wrapped.__get__(self, None)(**reshaped_inputs)
            if not extra_ndim:
                return outputs
            # All inputs share the extra dimensions; take them from one
            extra_dims = next(iter(inputs.values())).shape[:extra_ndim]
            reshaped_outputs = []
            for output in pack(outputs):
                first_dim = output.shape[0] // tensor.prod(extra_dims)
                new_shape = tensor.concatenate([extra_dims, first_dim[None],
                                                output.shape[1:]])
                reshaped_outputs.append(output.reshape(
                    new_shape, ndim=output.ndim + extra_ndim))
            return reshaped_outputs

        def apply_delegate(self):
            return wrapped.__get__(self, None)

        name = wrapped.application_name
        apply = application(rename_function(apply, name))
        apply.__doc__ = _wrapped_doc.format(wrapped.brick.__name__, name)
        apply_delegate = apply.delegate(
            rename_function(apply_delegate, name + "_delegate"))
        namespace[name] = apply
        namespace[name + "_delegate"] = apply_delegate
