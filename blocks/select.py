"""Selecting bricks and parameters in a brick hierarchy by path.

A path names a brick by the names of the bricks from a top brick down to
it, each preceded by ``/``, and a parameter by its owner's path followed by
``.`` and the parameter's name: ``/mlp/linear_0`` is the first layer of
the brick named ``mlp``, ``/mlp/linear_0.W`` its weight matrix. These are
the keys of :meth:`.Model.get_parameter_dict` and of the parameter files
that checkpoints write.

Queries on the hierarchy combine a :class:`Selector`, the bricks'
``children`` and ``parents``, and a :class:`~blocks.filter.VariableFilter`.
The paper's example, "all the weights of an LSTM whose parent is the brick
named foo", reads, for the linear transformations whose parent is the
brick named ``encoder``:

>>> from pytensor import tensor
>>> from blocks.bricks import MLP, Linear, Tanh
>>> from blocks.filter import get_brick, VariableFilter
>>> from blocks.graph import ComputationGraph
>>> from blocks.roles import WEIGHT
>>> encoder = MLP([Tanh(), Tanh()], [4, 3, 2], name='encoder')
>>> decoder = MLP([Tanh()], [2, 4], name='decoder')
>>> x = tensor.matrix('x')
>>> cg = ComputationGraph(decoder.apply(encoder.apply(x)))
>>> weights = [
...     weight for weight in
...     VariableFilter(roles=[WEIGHT], bricks=[Linear])(cg.variables)
...     if any(parent.name == 'encoder'
...            for parent in get_brick(weight).parents)]
>>> [get_brick(weight).get_hierarchical_name(weight) for weight in weights]
['/encoder/linear_0.W', '/encoder/linear_1.W']

A path selects the same weights by position in the hierarchy:

>>> list(Selector([encoder, decoder]).select('/encoder').get_parameters('W'))
['/encoder/linear_0.W', '/encoder/linear_1.W']

"""
import re
from collections import OrderedDict

from blocks.bricks.base import Brick

__all__ = ['Path', 'Selector']

name_collision_error_message = (
    "the path {!r} appears more than once; make sure that all the children "
    "of a brick have different names and that the parameters of a brick "
    "have unique names")


def _own_parameters(brick):
    """The parameters of `brick` (none before it is allocated)."""
    return [parameter for parameter in getattr(brick, 'parameters', [])
            if parameter is not None]


class Path:
    """Encapsulates a path in a hierarchy of bricks.

    Currently the only allowed elements of paths are names of the bricks
    and names of parameters. The latter can only be put in the end of the
    path.

    Parameters
    ----------
    nodes : list or tuple of path nodes
        The nodes of the path (:class:`Path.BrickName` and
        :class:`Path.ParameterName` strings).

    Attributes
    ----------
    nodes : tuple
        The tuple containing path nodes.

    Examples
    --------
    >>> path = Path.parse('/mlp/linear_0.W')
    >>> path.nodes
    ('mlp', 'linear_0', 'W')
    >>> str(path)
    '/mlp/linear_0.W'
    >>> str(Path.parse('/mlp') + Path.parse('/linear_1'))
    '/mlp/linear_1'

    """
    separator = "/"
    parameter_separator = "."
    separator_re = re.compile("([{}{}])".format(
        re.escape(separator), re.escape(parameter_separator)))

    class BrickName(str):
        """The name of a brick in a path."""
        def part(self):
            return Path.separator + self

    class ParameterName(str):
        """The name of a parameter at the end of a path."""
        def part(self):
            return Path.parameter_separator + self

    def __init__(self, nodes):
        if not isinstance(nodes, (list, tuple)):
            raise TypeError("nodes must be a list or tuple of "
                            "Path.BrickName and Path.ParameterName, got "
                            "{!r}".format(nodes))
        wrong = [node for node in nodes
                 if not isinstance(node, (Path.BrickName,
                                          Path.ParameterName))]
        if wrong:
            raise TypeError("nodes must be Path.BrickName or "
                            "Path.ParameterName instances, got {!r} in "
                            "them".format(wrong[0]))
        misplaced = [node for node in nodes[:-1]
                     if isinstance(node, Path.ParameterName)]
        if misplaced:
            raise ValueError("a parameter name can only end a path, got "
                             "{!r} before its end".format(str(misplaced[0])))
        self.nodes = tuple(nodes)

    def __str__(self):
        return "".join([node.part() for node in self.nodes])

    def __repr__(self):
        return "Path({!r})".format(str(self))

    def __add__(self, other):
        return Path(self.nodes + other.nodes)

    def __eq__(self, other):
        if not isinstance(other, Path):
            return NotImplemented
        return (self.nodes == other.nodes and
                [type(node) for node in self.nodes] ==
                [type(node) for node in other.nodes])

    def __hash__(self):
        return hash(self.nodes)

    @staticmethod
    def parse(string):
        """Constructs a path from its string representation.

        Parameters
        ----------
        string : str
            String representation of the path: brick names each preceded
            by ``/``, optionally followed by ``.`` and a parameter name.

        Raises
        ------
        ValueError
            If `string` does not start with a separator, has an empty
            name in it, or has a parameter name before its end.

        Examples
        --------
        >>> [type(node).__name__ for node in Path.parse('/mlp.W').nodes]
        ['BrickName', 'ParameterName']

        """
        if not isinstance(string, str):
            raise TypeError("a path must be a string, got {!r}".format(
                string))
        elements = Path.separator_re.split(string)
        if elements[0] != '' or len(elements) < 3:
            raise ValueError("a path must start with {!r} or {!r}, as in "
                             "'/mlp/linear_0.W', got {!r}".format(
                                 Path.separator, Path.parameter_separator,
                                 string))
        elements = elements[1:]
        separators = elements[::2]
        parts = elements[1::2]
        if any(part == '' for part in parts):
            raise ValueError("a path has a name after each separator, as in "
                             "'/mlp/linear_0.W', got {!r}".format(string))

        nodes = []
        for separator, part in zip(separators, parts):
            if separator == Path.separator:
                nodes.append(Path.BrickName(part))
            else:
                nodes.append(Path.ParameterName(part))
        try:
            return Path(nodes)
        except ValueError:
            raise ValueError("a parameter name can only end a path, as in "
                             "'/mlp/linear_0.W', got {!r}".format(
                                 string)) from None


class Selector:
    """Selection of elements of a hierarchy of bricks.

    Parameters
    ----------
    bricks : list of :class:`~.bricks.Brick`
        The bricks of the selection.

    Examples
    --------
    >>> from blocks.bricks import MLP, Tanh
    >>> mlp = MLP([Tanh(), Tanh()], [3, 4, 2])
    >>> mlp.allocate()
    >>> selection = Selector([mlp]).select('/mlp/linear_1')
    >>> selection.bricks[0] is mlp.linear_transformations[1]
    True
    >>> list(selection.get_parameters())
    ['/linear_1.W', '/linear_1.b']
    >>> Selector(mlp).select('/mlp/linear_1.W')
    [W]

    """
    def __init__(self, bricks):
        if isinstance(bricks, Brick):
            bricks = [bricks]
        bricks = list(bricks)
        wrong = [brick for brick in bricks if not isinstance(brick, Brick)]
        if wrong:
            raise TypeError("bricks must be a list of Brick instances, got "
                            "{!r} in it".format(wrong[0]))
        self.bricks = bricks

    def __repr__(self):
        return "Selector({!r})".format(self.bricks)

    def select(self, path):
        """Select a subset of current selection matching the path given.

        .. warning::

            Current implementation is very inefficient (theoretical
            complexity is :math:`O(n^3)`, where :math:`n` is the number
            of bricks in the hierarchy). It can be sped up easily.

        Parameters
        ----------
        path : :class:`Path` or str
            The path for the desired selection. If a string is given
            it is parsed into a path. Its first brick name is matched
            against the bricks of this selection, the following ones
            against their children.

        Returns
        -------
        Depending on the path given, one of the following:

        * :class:`Selector` with desired bricks.
        * list of :class:`~pytensor.tensor.sharedvar.TensorSharedVariable`.

        Notes
        -----
        A path that ends in a parameter name selects the parameters of
        that name owned by the bricks the path leads to, so that a
        parameter's hierarchical name (:meth:`.Model.get_parameter_dict`)
        selects exactly that parameter. Blocks returned the parameters of
        that name of their descendants too.

        """
        if isinstance(path, str):
            path = Path.parse(path)
        if not isinstance(path, Path):
            raise TypeError("path must be a Path or a string such as "
                            "'/mlp/linear_0', got {!r}".format(path))

        current_bricks = [None]
        for node in path.nodes:
            next_bricks = []
            if isinstance(node, Path.ParameterName):
                return [parameter for brick in current_bricks
                        if brick is not None
                        for parameter in _own_parameters(brick)
                        if parameter.name == node]
            for brick in current_bricks:
                children = brick.children if brick else self.bricks
                matching_bricks = [child for child in children
                                   if child.name == node]
                for match in matching_bricks:
                    if match not in next_bricks:
                        next_bricks.append(match)
            current_bricks = next_bricks
        return Selector(current_bricks)

    def get_parameters(self, parameter_name=None):
        r"""Returns parameters from selected bricks and their descendants.

        Parameters
        ----------
        parameter_name : :class:`Path.ParameterName`, optional
            If given, only parameters with a `name` attribute equal to
            `parameter_name` are returned.

        Returns
        -------
        parameters : OrderedDict
            A dictionary of (`path`, `parameter`) pairs, where `path` is
            a string representation of the path in the brick hierarchy
            to the parameter (i.e. the slash-delimited path to the brick
            that owns the parameter, followed by a dot, followed by the
            parameter's name), and `parameter` is the PyTensor variable
            representing the parameter.

        Raises
        ------
        ValueError
            If two parameters get the same path (two children of a brick
            with one name, or two parameters of a brick with one name).

        Examples
        --------
        >>> from blocks.bricks import MLP, Tanh
        >>> mlp = MLP([Tanh(), Tanh(), Tanh()], [5, 7, 11, 2])
        >>> mlp.allocate()
        >>> selector = Selector([mlp])
        >>> for path, parameter in selector.get_parameters().items():
        ...     print(path, parameter)
        /mlp/linear_0.W W
        /mlp/linear_0.b b
        /mlp/linear_1.W W
        /mlp/linear_1.b b
        /mlp/linear_2.W W
        /mlp/linear_2.b b

        Or, select just the weights of the MLP by passing the parameter
        name `W`:

        >>> w_select = Selector([mlp])
        >>> list(w_select.get_parameters('W'))
        ['/mlp/linear_0.W', '/mlp/linear_1.W', '/mlp/linear_2.W']

        """
        def recursion(brick):
            result = OrderedDict()
            for parameter in _own_parameters(brick):
                if parameter_name and parameter.name != parameter_name:
                    continue
                path = Path([Path.BrickName(brick.name),
                             Path.ParameterName(parameter.name)])
                if path in result:
                    raise ValueError(name_collision_error_message.format(str(path)))
                result[path] = parameter
            for child in brick.children:
                for path, parameter in recursion(child).items():
                    new_path = Path([Path.BrickName(brick.name)]) + path
                    if new_path in result:
                        raise ValueError(name_collision_error_message.format(
                            str(new_path)))
                    result[new_path] = parameter
            return result

        result = OrderedDict()
        for brick in self.bricks:
            for path, parameter in recursion(brick).items():
                if path in result:
                    raise ValueError(name_collision_error_message.format(str(path)))
                result[path] = parameter
        return OrderedDict((str(key), value) for key, value in result.items())
