"""Cost bricks."""
import numbers

import pytensor
from pytensor import tensor
from pytensor.scalar.basic import Identity as ScalarIdentity
from pytensor.scalar.math import Sigmoid as ScalarSigmoid
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.special import log_softmax, Softmax as SoftmaxOp

from blocks.bricks.base import application, Brick
from blocks.bricks.simple import select_classes


def _strip_copies(variable):
    """Follow the identity copies that brick annotations insert."""
    while (variable.owner is not None and
           isinstance(variable.owner.op, Elemwise) and
           isinstance(variable.owner.op.scalar_op, ScalarIdentity)):
        variable = variable.owner.inputs[0]
    return variable


def _log_of_true_class(y_hat, y):
    """``log(y_hat[arange(n), y])``, the log-probability of each row's label.

    The true class is indexed before the log is taken, so the other
    classes' probabilities (exact zeros included) take no part in the cost
    or its gradient. After a softmax, the log-softmax of its input is
    indexed instead: PyTensor's fast-compiling modes skip the rewrites that
    turn ``log(softmax(x))`` into ``log_softmax(x)``, so the cost does it
    itself to stay finite for confident predictions in every mode.

    """
    source = _softmax_input(y_hat)
    if source is not None:
        return select_classes(log_softmax(source, axis=-1), y)
    return tensor.log(select_classes(y_hat, y))


def _weighted_log(y, y_hat):
    """``y * log(y_hat)``, with 0 where the target weight `y` is exactly 0.

    A class the target gives no weight contributes nothing, even when its
    predicted probability is exactly 0 (``0 * log(0)`` would be NaN, in the
    cost and in its gradient).

    """
    source = _softmax_input(y_hat)
    if source is not None:
        log_probabilities = log_softmax(source, axis=-1)
        return tensor.switch(tensor.eq(y, 0), 0, y * log_probabilities)
    return y * tensor.log(tensor.switch(tensor.eq(y, 0), 1, y_hat))


def _softmax_input(probabilities):
    """Return ``x`` if `probabilities` is ``softmax(x)`` over the last axis, else ``None``."""
    source = _strip_copies(probabilities)
    if (source.owner is not None and isinstance(source.owner.op, SoftmaxOp)
            and _normalizes_last_axis(source.owner.op.axis, source.ndim)):
        return source.owner.inputs[0]
    return None


def _normalizes_last_axis(axis, ndim):
    """Whether a ``Softmax`` op's `axis` (int, tuple or None) is the last."""
    if axis is None:
        return ndim == 1
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(int(a) % ndim for a in axes) == (ndim - 1,)


def _logits_of_sigmoid(probabilities):
    """Return ``x`` if ``probabilities`` is ``sigmoid(x)``, else ``None``."""
    source = _strip_copies(probabilities)
    if (source.owner is not None and isinstance(source.owner.op, Elemwise)
            and isinstance(source.owner.op.scalar_op, ScalarSigmoid)):
        return source.owner.inputs[0]
    return None


class Cost(Brick):
    """A brick whose ``apply`` returns a scalar cost."""
    @application
    def apply(self, *args, **kwargs):
        raise NotImplementedError


class CostMatrix(Cost):
    """Base class for costs which can be calculated element-wise.

    Assumes that the data has format (batch, features).

    """
    @application(outputs=["cost"])
    def apply(self, *args, **kwargs):
        return self.cost_matrix(*args, **kwargs).sum(axis=1).mean()

    @application
    def cost_matrix(self, *args, **kwargs):
        raise NotImplementedError


class BinaryCrossEntropy(CostMatrix):
    """Binary cross-entropy of targets `y` and probabilities `y_hat`.

    When `y_hat` is the output of a :class:`~blocks.bricks.Logistic`, the
    cost is computed from its input with softplus, which stays finite for
    saturated units.

    Examples
    --------
    >>> x, t = tensor.matrix('x'), tensor.matrix('t')
    >>> cost = BinaryCrossEntropy().apply(t, tensor.sigmoid(x))
    >>> round(float(cost.eval({x: [[0., 0.]], t: [[1., 0.]]})), 4)
    1.3863

    """
    @application
    def cost_matrix(self, y, y_hat):
        logits = _logits_of_sigmoid(y_hat)
        if logits is not None:
            return (y * tensor.softplus(-logits) +
                    (1 - y) * tensor.softplus(logits))
        # A term whose target weight is exactly 0 is left out rather than
        # computed as 0 * log(0) = NaN: the log sees 1 (or 0) there instead,
        # so that neither the cost nor its gradient becomes NaN.
        positive = y * tensor.log(tensor.switch(tensor.eq(y, 0), 1, y_hat))
        negative = (1 - y) * tensor.log1p(
            -tensor.switch(tensor.eq(y, 1), 0, y_hat))
        return -(positive + negative)


class AbsoluteError(CostMatrix):
    """Absolute error ``|y - y_hat|``, summed over features, averaged over the batch.

    >>> y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    >>> float(AbsoluteError().apply(y, y_hat).eval({y: [[1., 2.]], y_hat: [[0., 0.]]}))
    3.0

    """
    @application
    def cost_matrix(self, y, y_hat):
        return abs(y - y_hat)


class SquaredError(CostMatrix):
    """Squared error ``(y - y_hat)^2``, summed over features, averaged over the batch.

    >>> y, y_hat = tensor.matrix('y'), tensor.matrix('y_hat')
    >>> float(SquaredError().apply(y, y_hat).eval({y: [[1., 2.]], y_hat: [[0., 0.]]}))
    5.0

    """
    @application
    def cost_matrix(self, y, y_hat):
        return tensor.sqr(y - y_hat)


class CategoricalCrossEntropy(Cost):
    """Mean cross-entropy of class labels `y` and predicted probabilities `y_hat`.

    `y` is a vector of integer labels, or a matrix with a distribution per
    row. When `y_hat` is the output of a :class:`~blocks.bricks.Softmax`,
    the log-probabilities are computed from the softmax's input
    (``log_softmax``), which is stable in every compile mode.

    Examples
    --------
    >>> x, y = tensor.matrix('x'), tensor.lvector('y')
    >>> from pytensor.tensor.special import softmax
    >>> cost = CategoricalCrossEntropy().apply(y, softmax(x, axis=-1))
    >>> round(float(cost.eval({x: [[0., 0.]], y: [1]})), 4)
    0.6931

    """
    @application(outputs=["cost"])
    def apply(self, y, y_hat):
        if y.ndim == y_hat.ndim - 1:
            return -_log_of_true_class(y_hat, y).mean()
        if y.ndim == y_hat.ndim:
            return -_weighted_log(y, y_hat).sum(axis=-1).mean()
        raise TypeError("rank mismatch between y ({} dimensions) and y_hat "
                        "({} dimensions): y holds labels (one dimension "
                        "less) or distributions (as many)".format(
                            y.ndim, y_hat.ndim))


class MisclassificationRate(Cost):
    """Calculates the misclassification rate for a mini-batch.

    Parameters
    ----------
    top_k : int, optional
        If the ground truth class is within the `top_k` highest
        responses for a given example, the model is considered
        to have predicted correctly. Default: 1.

    Notes
    -----
    Ties for `top_k`-th place are broken pessimistically, i.e.
    in the (in practice, rare) case that there is a tie for `top_k`-th
    highest output for a given example, it is considered an incorrect
    prediction.

    Examples
    --------
    >>> y, y_hat = tensor.lvector('y'), tensor.matrix('y_hat')
    >>> rate = MisclassificationRate().apply(y, y_hat)
    >>> float(rate.eval({y: [0, 1], y_hat: [[.75, .25], [.5, .25]]}))
    0.5

    """
    def __init__(self, top_k=1, **kwargs):
        if not isinstance(top_k, numbers.Integral) or top_k < 1:
            raise ValueError("top_k must be a positive integer, got "
                             "{!r}".format(top_k))
        self.top_k = top_k
        super().__init__(**kwargs)

    @application(outputs=["error_rate"])
    def apply(self, y, y_hat):
        # As in Blocks: a checkpoint of an earlier release has no top_k.
        top_k = getattr(self, 'top_k', 1)
        if top_k == 1:
            mistakes = tensor.neq(y, y_hat.argmax(axis=1))
        else:
            truth_score = select_classes(y_hat, y)
            # Greater than _or equal_: the model must have its guess in the
            # top k, and cannot extend its effective "list of predictions"
            # by tying lots of things for k-th place.
            higher_scoring = tensor.ge(y_hat, truth_score[:, None])
            # Because we used greater-than-or-equal we have to correct for
            # counting the true label.
            num_higher = higher_scoring.sum(axis=1) - 1
            mistakes = tensor.ge(num_higher, top_k)
        return mistakes.mean(dtype=pytensor.config.floatX)
