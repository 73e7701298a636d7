"""Recurrent architectures: :class:`SimpleRecurrent`, :class:`LSTM`, :class:`GatedRecurrent`.

Each brick implements one step of its transition, decorated with
:func:`~blocks.bricks.recurrent.base.recurrent`; the input projections
(``W x_t + b``) are not part of the bricks, so that they can be computed
for the whole sequence at once, outside the loop (a :class:`.Linear` or a
:class:`.Fork` applied to the sequence, as the tutorial shows).

"""
import numpy
from pytensor import tensor

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.recurrent.fused import FusedGRU, FusedLSTM
from blocks.bricks.simple import Logistic, Tanh
from blocks.roles import add_role, INITIAL_STATE, WEIGHT
from blocks.utils import shared_floatx_nans, shared_floatx_zeros


def _keep_masked(mask, next_value, value):
    """Where `mask` is 0 the previous `value` is carried through the step."""
    mask = tensor.cast(mask, next_value.dtype)[:, None]
    return mask * next_value + (1 - mask) * value


def _repeat_initial(parameter, batch_size):
    """The learned initial `parameter`, one row per example of the batch."""
    return tensor.repeat(parameter[None, :], batch_size, 0)


class SimpleRecurrent(BaseRecurrent, Initializable):
    """The traditional recurrent transition.

    The most well-known recurrent transition: a matrix multiplication,
    optionally followed by a non-linearity,
    :math:`h_t = f(x_t + h_{t-1} W)`.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state.
    activation : :class:`.Brick`
        The brick to apply as activation.

    Notes
    -----
    See :class:`.Initializable` for initialization parameters. The
    initial state is a parameter (role :const:`.INITIAL_STATE`),
    initialized with zeros.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.bricks import Identity
    >>> from blocks.initialization import Identity as IdentityInit
    >>> rnn = SimpleRecurrent(dim=2, activation=Identity(),
    ...                       weights_init=IdentityInit())
    >>> rnn.initialize()
    >>> x = tensor.tensor3('x')
    >>> rnn.apply(x).eval({x: numpy.ones((3, 1, 2), x.dtype)})[:, 0].tolist()
    [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]

    """
    @lazy(allocation=['dim'])
    def __init__(self, dim, activation, **kwargs):
        self.dim = dim
        children = [activation]
        kwargs.setdefault('children', []).extend(children)
        super().__init__(**kwargs)

    @property
    def W(self):
        return self.parameters[0]

    def get_dim(self, name):
        if name == 'mask':
            return 0
        if name in (SimpleRecurrent.apply.sequences +
                    SimpleRecurrent.apply.states):
            return self.dim
        return super().get_dim(name)

    def _allocate(self):
        self.parameters.append(shared_floatx_nans((self.dim, self.dim),
                                                  name="W"))
        add_role(self.parameters[0], WEIGHT)
        self.parameters.append(shared_floatx_zeros((self.dim,),
                                                   name="initial_state"))
        add_role(self.parameters[1], INITIAL_STATE)

    def _initialize(self):
        self._initialize_parameter(self.W, 'weights_init')

    @recurrent(sequences=['inputs', 'mask'], states=['states'],
               outputs=['states'], contexts=[])
    def apply(self, inputs, states, mask=None):
        """Apply the simple transition.

        Parameters
        ----------
        inputs : :class:`~tensor.TensorVariable`
            The 2D inputs, in the shape (batch, features).
        states : :class:`~tensor.TensorVariable`
            The 2D states, in the shape (batch, features).
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if
            there is data available, 0 if not. Assumed to be 1s
            only if not given.

        """
        next_states = inputs + tensor.dot(states, self.W)
        next_states = self.children[0].apply(next_states)
        if mask is not None:
            next_states = _keep_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return _repeat_initial(self.parameters[1], batch_size)


class LSTM(BaseRecurrent, Initializable):
    u"""Long Short Term Memory.

    Every unit of an LSTM is equipped with input, forget and output gates.
    This implementation is based on code by Mohammad Pezeshki that
    implements the architecture used in [GSS03]_ and [Grav13]_. It aims to
    do as many computations in parallel as possible and expects the last
    dimension of the input to be four times the output dimension.

    Unlike a vanilla LSTM as described in [HS97]_, this model has peephole
    connections from the cells to the gates. The output gates receive
    information about the cells at the current time step, while the other
    gates only receive information about the cells at the previous time
    step. All 'peephole' weight matrices are diagonal.

    .. [GSS03] Gers, Felix A., Nicol N. Schraudolph, and Jürgen
        Schmidhuber, *Learning precise timing with LSTM recurrent
        networks*, Journal of Machine Learning Research 3 (2003),
        pp. 115-143.
    .. [Grav13] Graves, Alex, *Generating sequences with recurrent neural
        networks*, arXiv preprint arXiv:1308.0850 (2013).
    .. [HS97] Sepp Hochreiter, and Jürgen Schmidhuber, *Long Short-Term
        Memory*, Neural Computation 9(8) (1997), pp. 1735-1780.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state.
    activation : :class:`.Brick`, optional
        The activation function. The default and by far the most popular
        is :class:`.Tanh`.
    gate_activation : :class:`.Brick` or None
        The brick to apply as activation for gates (input/output/forget).
        If ``None`` a :class:`.Logistic` brick is used.
    fused : bool, optional
        Iterate the whole sequence with one Op and its hand-written
        gradient (:class:`~blocks.bricks.recurrent.fused.FusedLSTM`)
        instead of :func:`pytensor.scan`: about twice as fast to train and
        much faster to compile, but the step's variables are not in the
        graph and the JAX mode cannot run it. ``False`` by default (an
        addition of this port).

    Notes
    -----
    See :class:`.Initializable` for initialization parameters. The brick
    has no biases: the gates' biases belong to the input projection
    (a :class:`.Linear` or :class:`.Fork` of output dimension
    ``4 * dim`` before the LSTM), where a positive forget-gate bias goes
    in the second quarter. The initial state and the initial cells are
    parameters (role :const:`.INITIAL_STATE`) initialized with zeros.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> lstm = LSTM(dim=1, weights_init=Constant(0.))
    >>> lstm.initialize()
    >>> x = tensor.tensor3('x')
    >>> states, cells = lstm.apply(x)
    >>> values = cells.eval({x: numpy.zeros((2, 1, 4), x.dtype)})
    >>> [round(float(v), 4) for v in values.ravel()]  # c = c / 2 + 0
    [0.0, 0.0]

    """
    @lazy(allocation=['dim'])
    def __init__(self, dim, activation=None, gate_activation=None,
                 fused=False, **kwargs):
        self.dim = dim
        self.fused = fused

        if not activation:
            activation = Tanh()
        if not gate_activation:
            gate_activation = Logistic()
        self.activation = activation
        self.gate_activation = gate_activation

        children = [self.activation, self.gate_activation]
        kwargs.setdefault('children', []).extend(children)
        super().__init__(**kwargs)

    def get_dim(self, name):
        if name == 'inputs':
            return self.dim * 4
        if name in ['states', 'cells']:
            return self.dim
        if name == 'mask':
            return 0
        return super().get_dim(name)

    def _allocate(self):
        self.W_state = shared_floatx_nans((self.dim, 4 * self.dim),
                                          name='W_state')
        self.W_cell_to_in = shared_floatx_nans((self.dim,),
                                               name='W_cell_to_in')
        self.W_cell_to_forget = shared_floatx_nans((self.dim,),
                                                   name='W_cell_to_forget')
        self.W_cell_to_out = shared_floatx_nans((self.dim,),
                                                name='W_cell_to_out')
        # The underscore is required to prevent collision with
        # the `initial_state` application method
        self.initial_state_ = shared_floatx_zeros((self.dim,),
                                                  name="initial_state")
        self.initial_cells = shared_floatx_zeros((self.dim,),
                                                 name="initial_cells")
        add_role(self.W_state, WEIGHT)
        add_role(self.W_cell_to_in, WEIGHT)
        add_role(self.W_cell_to_forget, WEIGHT)
        add_role(self.W_cell_to_out, WEIGHT)
        add_role(self.initial_state_, INITIAL_STATE)
        add_role(self.initial_cells, INITIAL_STATE)

        self.parameters = [
            self.W_state, self.W_cell_to_in, self.W_cell_to_forget,
            self.W_cell_to_out, self.initial_state_, self.initial_cells]

    def _initialize(self):
        for weights in self.parameters[:4]:
            self._initialize_parameter(weights, 'weights_init')

    @recurrent(sequences=['inputs', 'mask'], states=['states', 'cells'],
               contexts=[], outputs=['states', 'cells'])
    def apply(self, inputs, states, cells, mask=None):
        """Apply the Long Short Term Memory transition.

        Parameters
        ----------
        states : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current states in the shape
            (batch_size, features). Required for `one_step` usage.
        cells : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current cells in the shape
            (batch_size, features). Required for `one_step` usage.
        inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs in the shape (batch_size,
            features * 4). The `inputs` needs to be four times the
            dimension of the LSTM brick to insure each four gates receive
            different transformations of the input. See [Grav13]_
            equations 7 to 10 for more details. The `inputs` are then split
            in this order: Input gates, forget gates, cells and output
            gates.
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if there is
            data available, 0 if not. Assumed to be 1s only if not given.

        Returns
        -------
        states : :class:`~tensor.TensorVariable`
            Next states of the network.
        cells : :class:`~tensor.TensorVariable`
            Next cell activations of the network.

        """
        def slice_last(x, no):
            return x[:, no * self.dim: (no + 1) * self.dim]

        activation = tensor.dot(states, self.W_state) + inputs
        in_gate = self.gate_activation.apply(
            slice_last(activation, 0) + cells * self.W_cell_to_in)
        forget_gate = self.gate_activation.apply(
            slice_last(activation, 1) + cells * self.W_cell_to_forget)
        next_cells = (
            forget_gate * cells +
            in_gate * self.activation.apply(slice_last(activation, 2)))
        out_gate = self.gate_activation.apply(
            slice_last(activation, 3) + next_cells * self.W_cell_to_out)
        next_states = out_gate * self.activation.apply(next_cells)

        if mask is not None:
            next_states = _keep_masked(mask, next_states, states)
            next_cells = _keep_masked(mask, next_cells, cells)

        return next_states, next_cells

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return [_repeat_initial(self.initial_state_, batch_size),
                _repeat_initial(self.initial_cells, batch_size)]

    def fused_iteration(self, application, sequences, states, contexts,
                        reverse):
        """Iterate :meth:`apply` with :class:`.FusedLSTM`, if it may.

        Called by :func:`.recurrent` instead of building a scan; returns
        ``None`` (build the scan) unless the brick was made with
        ``fused=True``, uses the default activations, and `application` is
        :meth:`apply`.

        """
        if not (getattr(self, 'fused', False) and
                application.name == 'apply' and
                type(self.activation) is Tanh and
                type(self.gate_activation) is Logistic):
            return None
        inputs, mask = sequences['inputs'], sequences.get('mask')
        if reverse:
            inputs = inputs[::-1]
            mask = None if mask is None else mask[::-1]
        op = FusedLSTM(masked=mask is not None)
        arguments = [inputs, self.W_state, self.W_cell_to_in,
                     self.W_cell_to_forget, self.W_cell_to_out,
                     states['states'], states['cells']]
        if mask is not None:
            arguments.append(mask)
        next_states, next_cells, _ = op(*arguments)
        return [next_states, next_cells]


class GatedRecurrent(BaseRecurrent, Initializable):
    u"""Gated recurrent neural network.

    Gated recurrent neural network (GRNN) as introduced in [CvMG14]_. Every
    unit of a GRNN is equipped with update and reset gates that facilitate
    better gradient propagation.

    Parameters
    ----------
    dim : int
        The dimension of the hidden state.
    activation : :class:`.Brick` or None
        The brick to apply as activation. If ``None`` a
        :class:`.Tanh` brick is used.
    gate_activation : :class:`.Brick` or None
        The brick to apply as activation for gates. If ``None`` a
        :class:`.Logistic` brick is used.
    fused : bool, optional
        Iterate with one Op and its hand-written gradient
        (:class:`~blocks.bricks.recurrent.fused.FusedGRU`) instead of
        :func:`pytensor.scan`, as :class:`LSTM` does. ``False`` by default
        (an addition of this port).

    Notes
    -----
    See :class:`.Initializable` for initialization parameters. The
    recurrent weights of the two gates are initialized as two separate
    ``dim x dim`` matrices, side by side in :attr:`state_to_gates`.

    .. [CvMG14] Kyunghyun Cho, Bart van Merriënboer, Çağlar Gülçehre,
       Dzmitry Bahdanau, Fethi Bougares, Holger Schwenk, and Yoshua
       Bengio, *Learning Phrase Representations using RNN Encoder-Decoder
       for Statistical Machine Translation*, EMNLP (2014), pp. 1724-1734.

    Examples
    --------
    >>> import numpy
    >>> from pytensor import tensor
    >>> from blocks.initialization import Constant
    >>> gru = GatedRecurrent(dim=1, weights_init=Constant(0.))
    >>> gru.initialize()
    >>> x, gates = tensor.tensor3('x'), tensor.tensor3('gates')
    >>> h = gru.apply(inputs=x, gate_inputs=gates)
    >>> values = h.eval({x: numpy.ones((2, 1, 1), x.dtype),
    ...                  gates: numpy.zeros((2, 1, 2), x.dtype)})
    >>> [round(float(v), 4) for v in values.ravel()]  # h = (h + tanh 1) / 2
    [0.3808, 0.5712]

    """
    @lazy(allocation=['dim'])
    def __init__(self, dim, activation=None, gate_activation=None,
                 fused=False, **kwargs):
        self.dim = dim
        self.fused = fused

        if not activation:
            activation = Tanh()
        if not gate_activation:
            gate_activation = Logistic()
        self.activation = activation
        self.gate_activation = gate_activation

        children = [activation, gate_activation]
        kwargs.setdefault('children', []).extend(children)
        super().__init__(**kwargs)

    @property
    def state_to_state(self):
        return self.parameters[0]

    @property
    def state_to_gates(self):
        return self.parameters[1]

    def get_dim(self, name):
        if name == 'mask':
            return 0
        if name in ['inputs', 'states']:
            return self.dim
        if name == 'gate_inputs':
            return 2 * self.dim
        return super().get_dim(name)

    def _allocate(self):
        self.parameters.append(shared_floatx_nans((self.dim, self.dim),
                               name='state_to_state'))
        self.parameters.append(shared_floatx_nans((self.dim, 2 * self.dim),
                               name='state_to_gates'))
        self.parameters.append(shared_floatx_zeros((self.dim,),
                               name="initial_state"))
        for i in range(2):
            add_role(self.parameters[i], WEIGHT)
        add_role(self.parameters[2], INITIAL_STATE)

    def _initialize(self):
        self._initialize_parameter(self.state_to_state, 'weights_init')
        state_to_update = self.weights_init.generate(
            self.rng, (self.dim, self.dim))
        state_to_reset = self.weights_init.generate(
            self.rng, (self.dim, self.dim))
        self.state_to_gates.set_value(
            numpy.hstack([state_to_update, state_to_reset]).astype(
                self.state_to_gates.dtype))

    @recurrent(sequences=['mask', 'inputs', 'gate_inputs'],
               states=['states'], outputs=['states'], contexts=[])
    def apply(self, inputs, gate_inputs, states, mask=None):
        """Apply the gated recurrent transition.

        Parameters
        ----------
        states : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of current states in the shape
            (batch_size, dim). Required for `one_step` usage.
        inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs in the shape (batch_size,
            dim)
        gate_inputs : :class:`~tensor.TensorVariable`
            The 2 dimensional matrix of inputs to the gates in the
            shape (batch_size, 2 * dim).
        mask : :class:`~tensor.TensorVariable`
            A 1D binary array in the shape (batch,) which is 1 if there is
            data available, 0 if not. Assumed to be 1s only if not given.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            Next states of the network.

        """
        gate_values = self.gate_activation.apply(
            states.dot(self.state_to_gates) + gate_inputs)
        update_values = gate_values[:, :self.dim]
        reset_values = gate_values[:, self.dim:]
        states_reset = states * reset_values
        next_states = self.activation.apply(
            states_reset.dot(self.state_to_state) + inputs)
        next_states = (next_states * update_values +
                       states * (1 - update_values))
        if mask is not None:
            next_states = _keep_masked(mask, next_states, states)
        return next_states

    @application(outputs=apply.states)
    def initial_states(self, batch_size, *args, **kwargs):
        return [_repeat_initial(self.parameters[2], batch_size)]

    def fused_iteration(self, application, sequences, states, contexts,
                        reverse):
        """Iterate :meth:`apply` with :class:`.FusedGRU`, if it may.

        As :meth:`.LSTM.fused_iteration`: ``None`` (build the scan) unless
        the brick was made with ``fused=True``, uses the default
        activations and `application` is :meth:`apply`.

        """
        if not (getattr(self, 'fused', False) and
                application.name == 'apply' and
                type(self.activation) is Tanh and
                type(self.gate_activation) is Logistic):
            return None
        inputs, gate_inputs = sequences['inputs'], sequences['gate_inputs']
        mask = sequences.get('mask')
        if reverse:
            inputs, gate_inputs = inputs[::-1], gate_inputs[::-1]
            mask = None if mask is None else mask[::-1]
        arguments = [inputs, gate_inputs, self.state_to_state,
                     self.state_to_gates, states['states']]
        if mask is not None:
            arguments.append(mask)
        next_states, _ = FusedGRU(masked=mask is not None)(*arguments)
        return [next_states]
