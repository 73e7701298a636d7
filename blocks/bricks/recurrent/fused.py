"""Fused recurrences: the whole loop as one Op, with a hand-written gradient.

``LSTM(dim, fused=True)`` iterates with :class:`FusedLSTM` and
``GatedRecurrent(dim, fused=True)`` with :class:`FusedGRU` instead of
:func:`pytensor.scan`. Why: in the scan, each step of the 50 x 64 x 256
benchmark LSTM (``benchmarks/recurrent.py``) spends 0.8 ms in its matrix
product and 2.6 ms in the fused elementwise C loop that computes the gates
(the C library's ``exp`` and ``tanh``, one element at a time), and the
gradient's scan likewise; the scan LSTM trained 1.8x (float64) to 2.9x
(float32) slower than ``torch.nn.LSTM``. Here the steps run in NumPy:
one BLAS matrix product per step and NumPy's vectorized ``exp``/``tanh``
on whole gate blocks, with every buffer allocated once per call; the
gradient runs the recurrence backwards the same way and computes the
weight gradient of all steps as one matrix product after the loop.
Compiling is cheap as well: there is no inner function.

What it gives up: the variables of the step (gates, cells before the mask)
are not graph variables, so :attr:`.ComputationGraph.scan_variables` has
none for a fused brick and a :class:`.VariableFilter` cannot select them;
the JAX mode has no implementation of these Ops. Only the default
activations (:class:`.Tanh`, :class:`.Logistic`) are fused; a brick with
other activations iterates with scan even when ``fused=True``.

The math is that of :meth:`.LSTM.apply` (peepholes, masks) and of
:meth:`.GatedRecurrent.apply`; ``tests/bricks/test_recurrent.py`` checks
the fused Ops against the scans (which are checked against NumPy loops and
finite differences), values and gradients, masked, reversed and with the
initial states returned.
"""
import numpy
from pytensor import tensor
from pytensor.gradient import disconnected_type, DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op


def _sigmoid(x, out):
    """``1 / (1 + exp(-x))`` into `out`, with NumPy's vectorized ``exp``.

    ``exp`` overflows to ``inf`` for very negative `x`, and the result is
    then exactly 0, as it should be; the warning is silenced, as compiled
    PyTensor functions are silent.
    """
    with numpy.errstate(over='ignore'):
        numpy.negative(x, out=out)
        numpy.exp(out, out=out)
        out += 1
        numpy.reciprocal(out, out=out)
    return out


class FusedLSTM(Op):
    """The LSTM recurrence over a whole sequence.

    Inputs: ``inputs`` (time, batch, 4 dim), ``W_state`` (dim, 4 dim), the
    three peephole vectors (dim), the initial states and cells (batch,
    dim) and, when `masked`, the mask (time, batch). Outputs: the states
    and the cells (time, batch, dim), and a workspace (time, batch,
    6 dim) holding the gates, the cells before masking (only when
    `masked`: otherwise they are the cells) and their ``tanh``, which the
    gradient reads.

    """
    __props__ = ('masked',)

    def __init__(self, masked=False):
        self.masked = bool(masked)

    def make_node(self, inputs, W_state, W_cell_to_in, W_cell_to_forget,
                  W_cell_to_out, initial_states, initial_cells, mask=None):
        dtype = tensor.as_tensor_variable(inputs).dtype
        variables = [tensor.as_tensor_variable(v).astype(dtype) for v in (
            inputs, W_state, W_cell_to_in, W_cell_to_forget, W_cell_to_out,
            initial_states, initial_cells)]
        if self.masked:
            variables.append(tensor.as_tensor_variable(mask).astype(dtype))
        expected = [3, 2, 1, 1, 1, 2, 2] + ([2] if self.masked else [])
        for variable, ndim in zip(variables, expected):
            if variable.ndim != ndim:
                raise TypeError("FusedLSTM expects inputs of {} dimensions "
                                "(in this order), got {}".format(
                                    expected, [v.ndim for v in variables]))
        outputs = [tensor.tensor3(dtype=dtype) for _ in range(3)]
        return Apply(self, variables, outputs)

    def perform(self, node, inputs, output_storage):
        x, W, p_in, p_forget, p_out, h, c = inputs[:7]
        mask = inputs[7] if self.masked else None
        steps, batch, four_dim = x.shape
        dim = four_dim // 4
        dtype = x.dtype
        states = numpy.empty((steps, batch, dim), dtype=dtype)
        cells = numpy.empty((steps, batch, dim), dtype=dtype)
        work = numpy.empty((steps, batch, 6 * dim), dtype=dtype)
        activation = numpy.empty((batch, 4 * dim), dtype=dtype)
        scratch = numpy.empty((batch, dim), dtype=dtype)
        scratch_two = numpy.empty((batch, 2, dim), dtype=dtype)
        peepholes = numpy.stack([p_in, p_forget])
        for t in range(steps):
            numpy.dot(h, W, out=activation)
            activation += x[t]
            gates = work[t]
            in_gate, forget_gate = gates[:, :dim], gates[:, dim:2 * dim]
            cell_input, out_gate = gates[:, 2 * dim:3 * dim], gates[:, 3 * dim:4 * dim]
            # the cells before masking go to the outputs' buffer directly
            raw_cells, tanh_cells = cells[t], gates[:, 5 * dim:]
            # input and forget gates together: one ufunc call per operation
            numpy.multiply(c[:, None, :], peepholes, out=scratch_two)
            scratch_two += activation[:, :2 * dim].reshape(batch, 2, dim)
            _sigmoid(scratch_two.reshape(batch, 2 * dim), gates[:, :2 * dim])
            numpy.tanh(activation[:, 2 * dim:3 * dim], out=cell_input)
            numpy.multiply(forget_gate, c, out=raw_cells)
            numpy.multiply(in_gate, cell_input, out=scratch)
            raw_cells += scratch
            numpy.multiply(raw_cells, p_out, out=scratch)
            scratch += activation[:, 3 * dim:]
            _sigmoid(scratch, out_gate)
            numpy.tanh(raw_cells, out=tanh_cells)
            numpy.multiply(out_gate, tanh_cells, out=states[t])
            if mask is not None:
                gates[:, 4 * dim:5 * dim] = raw_cells  # the gradient needs them
                keep = mask[t][:, None]
                states[t] = keep * states[t] + (1 - keep) * h
                cells[t] = keep * cells[t] + (1 - keep) * c
            h, c = states[t], cells[t]
        output_storage[0][0] = states
        output_storage[1][0] = cells
        output_storage[2][0] = work

    def connection_pattern(self, node):
        connected = [[True, True, False]] * 7
        return connected + ([[False, False, False]] if self.masked else [])

    def pullback(self, inputs, outputs, cotangents):
        states, cells, work = outputs
        gradients = []
        for cotangent, output in zip(cotangents[:2], (states, cells)):
            if isinstance(cotangent.type, DisconnectedType):
                cotangent = tensor.zeros_like(output)
            gradients.append(cotangent)
        grads = FusedLSTMGrad(self.masked)(*inputs, states, cells, work,
                                           *gradients)
        return list(grads) + ([disconnected_type()] if self.masked else [])

    def L_op(self, inputs, outputs, output_grads):
        return self.pullback(inputs, outputs, output_grads)


class FusedLSTMGrad(Op):
    """The gradient of :class:`FusedLSTM` with respect to its inputs."""
    __props__ = ('masked',)

    def __init__(self, masked=False):
        self.masked = bool(masked)

    def make_node(self, *variables):
        variables = [tensor.as_tensor_variable(v) for v in variables]
        forward_inputs = variables[:8 if self.masked else 7]
        outputs = [v.type() for v in forward_inputs[:7]]
        return Apply(self, variables, outputs)

    def perform(self, node, inputs, output_storage):
        n = 8 if self.masked else 7
        x, W, p_in, p_forget, p_out, h0, c0 = inputs[:7]
        mask = inputs[7] if self.masked else None
        states, cells, work, d_states, d_cells = inputs[n:]
        steps, batch, four_dim = x.shape
        dim = four_dim // 4
        dtype = x.dtype
        d_x = numpy.empty_like(x)
        d_h = numpy.zeros((batch, dim), dtype=dtype)
        d_c = numpy.zeros((batch, dim), dtype=dtype)
        d_raw = numpy.empty((batch, dim), dtype=dtype)
        scratch = numpy.empty((batch, 2, dim), dtype=dtype)
        W_transposed = numpy.ascontiguousarray(W.T)
        peepholes = numpy.stack([p_in, p_forget])
        # The local derivatives of every step, computed for all steps at
        # once (large arrays, few calls), so that the loop, which cannot be
        # vectorized over time, only chains them: one ufunc call per
        # operation on all three of the input, forget and cell-input blocks.
        in_gate, forget_gate = work[..., :dim], work[..., dim:2 * dim]
        cell_input, out_gate = work[..., 2 * dim:3 * dim], work[..., 3 * dim:4 * dim]
        tanh_cells = work[..., 5 * dim:]
        previous_cells = numpy.concatenate([c0[None], cells[:-1]], axis=0)
        # d_out = d_h * tanh(c) * o (1 - o)
        out_factor = tanh_cells * out_gate * (1 - out_gate)
        # d_raw = d_h * o (1 - tanh(c)^2) + d_c + d_out * p_out
        raw_factor = out_gate * (1 - tanh_cells * tanh_cells)
        # [d_in, d_forget, d_cell_input] = d_raw * gate_factors
        gate_factors = numpy.empty((steps, batch, 3, dim), dtype=dtype)
        gate_factors[:, :, 0] = cell_input * in_gate * (1 - in_gate)
        gate_factors[:, :, 1] = previous_cells * forget_gate * (1 - forget_gate)
        gate_factors[:, :, 2] = in_gate * (1 - cell_input * cell_input)
        for t in range(steps - 1, -1, -1):
            d_h += d_states[t]
            d_c += d_cells[t]
            if mask is not None:
                keep = mask[t][:, None]
                d_h_raw, d_c_raw_out = keep * d_h, keep * d_c
                d_h_prev_direct = (1 - keep) * d_h
                d_c_prev_direct = (1 - keep) * d_c
            else:
                d_h_raw, d_c_raw_out = d_h, d_c
            d_a = d_x[t]
            d_out = d_a[:, 3 * dim:]
            # states = out_gate * tanh(raw_cells)
            numpy.multiply(d_h_raw, out_factor[t], out=d_out)
            numpy.multiply(d_h_raw, raw_factor[t], out=d_raw)
            d_raw += d_c_raw_out
            numpy.multiply(d_out, p_out, out=scratch[:, 0])
            d_raw += scratch[:, 0]
            # raw_cells = forget_gate * c_prev + in_gate * cell_input
            numpy.multiply(d_raw[:, None, :], gate_factors[t],
                           out=d_a[:, :3 * dim].reshape(batch, 3, dim))
            # the gradients flowing to the previous step
            numpy.multiply(d_raw, forget_gate[t], out=d_c)
            numpy.multiply(d_a[:, :2 * dim].reshape(batch, 2, dim), peepholes,
                           out=scratch)
            d_c += scratch[:, 0]
            d_c += scratch[:, 1]
            numpy.dot(d_a, W_transposed, out=d_h)
            if mask is not None:
                d_h += d_h_prev_direct
                d_c += d_c_prev_direct
        # The weight and peephole gradients of all steps at once
        previous_states = numpy.concatenate([h0[None], states[:-1]], axis=0)
        d_W = numpy.dot(previous_states.reshape(-1, dim).T,
                        d_x.reshape(-1, 4 * dim))
        d_p_in = numpy.einsum('tbd,tbd->d', d_x[:, :, :dim], previous_cells)
        d_p_forget = numpy.einsum('tbd,tbd->d', d_x[:, :, dim:2 * dim],
                                  previous_cells)
        raw_cells = work[:, :, 4 * dim:5 * dim] if mask is not None else cells
        d_p_out = numpy.einsum('tbd,tbd->d', d_x[:, :, 3 * dim:], raw_cells)
        for storage, value in zip(output_storage, (
                d_x, d_W, d_p_in, d_p_forget, d_p_out, d_h, d_c)):
            storage[0] = value.astype(dtype, copy=False)


class FusedGRU(Op):
    """The gated recurrence of :class:`.GatedRecurrent` over a whole sequence.

    Inputs: ``inputs`` (time, batch, dim), ``gate_inputs`` (time, batch,
    2 dim), ``state_to_state`` (dim, dim), ``state_to_gates`` (dim,
    2 dim), the initial states (batch, dim) and, when `masked`, the mask
    (time, batch). Outputs: the states (time, batch, dim) and a workspace
    (time, batch, 3 dim) holding the update and reset gates and the
    candidate states, which the gradient reads.

    """
    __props__ = ('masked',)

    def __init__(self, masked=False):
        self.masked = bool(masked)

    def make_node(self, inputs, gate_inputs, state_to_state, state_to_gates,
                  initial_states, mask=None):
        dtype = tensor.as_tensor_variable(inputs).dtype
        variables = [tensor.as_tensor_variable(v).astype(dtype) for v in (
            inputs, gate_inputs, state_to_state, state_to_gates,
            initial_states)]
        if self.masked:
            variables.append(tensor.as_tensor_variable(mask).astype(dtype))
        expected = [3, 3, 2, 2, 2] + ([2] if self.masked else [])
        if [v.ndim for v in variables] != expected:
            raise TypeError("FusedGRU expects inputs of {} dimensions (in "
                            "this order), got {}".format(
                                expected, [v.ndim for v in variables]))
        return Apply(self, variables, [tensor.tensor3(dtype=dtype),
                                       tensor.tensor3(dtype=dtype)])

    def perform(self, node, inputs, output_storage):
        x, x_gates, U, U_gates, h = inputs[:5]
        mask = inputs[5] if self.masked else None
        steps, batch, dim = x.shape
        dtype = x.dtype
        states = numpy.empty((steps, batch, dim), dtype=dtype)
        work = numpy.empty((steps, batch, 3 * dim), dtype=dtype)
        gate_activation = numpy.empty((batch, 2 * dim), dtype=dtype)
        candidate = numpy.empty((batch, dim), dtype=dtype)
        scratch = numpy.empty((batch, dim), dtype=dtype)
        for t in range(steps):
            numpy.dot(h, U_gates, out=gate_activation)
            gate_activation += x_gates[t]
            gates = work[t]
            _sigmoid(gate_activation, gates[:, :2 * dim])
            update, reset = gates[:, :dim], gates[:, dim:2 * dim]
            numpy.multiply(h, reset, out=scratch)
            numpy.dot(scratch, U, out=candidate)
            candidate += x[t]
            numpy.tanh(candidate, out=gates[:, 2 * dim:])
            # h + update * (candidate - h)
            numpy.subtract(gates[:, 2 * dim:], h, out=scratch)
            scratch *= update
            numpy.add(h, scratch, out=states[t])
            if mask is not None:
                keep = mask[t][:, None]
                states[t] = keep * states[t] + (1 - keep) * h
            h = states[t]
        output_storage[0][0] = states
        output_storage[1][0] = work

    def connection_pattern(self, node):
        connected = [[True, False]] * 5
        return connected + ([[False, False]] if self.masked else [])

    def pullback(self, inputs, outputs, cotangents):
        states, work = outputs
        d_states = cotangents[0]
        if isinstance(d_states.type, DisconnectedType):
            d_states = tensor.zeros_like(states)
        grads = FusedGRUGrad(self.masked)(*inputs, states, work, d_states)
        return list(grads) + ([disconnected_type()] if self.masked else [])

    def L_op(self, inputs, outputs, output_grads):
        return self.pullback(inputs, outputs, output_grads)


class FusedGRUGrad(Op):
    """The gradient of :class:`FusedGRU` with respect to its inputs."""
    __props__ = ('masked',)

    def __init__(self, masked=False):
        self.masked = bool(masked)

    def make_node(self, *variables):
        variables = [tensor.as_tensor_variable(v) for v in variables]
        return Apply(self, variables, [v.type() for v in variables[:5]])

    def perform(self, node, inputs, output_storage):
        n = 6 if self.masked else 5
        x, x_gates, U, U_gates, h0 = inputs[:5]
        mask = inputs[5] if self.masked else None
        states, work, d_states = inputs[n:]
        steps, batch, dim = x.shape
        dtype = x.dtype
        # Local derivatives of all steps at once (see FusedLSTMGrad)
        previous = numpy.concatenate([h0[None], states[:-1]], axis=0)
        update, reset = work[..., :dim], work[..., dim:2 * dim]
        candidate = work[..., 2 * dim:]
        update_factor = (candidate - previous) * update * (1 - update)
        candidate_factor = update * (1 - candidate * candidate)
        reset_factor = previous * reset * (1 - reset)
        keep_factor = 1 - update
        d_x = numpy.empty_like(x)
        d_x_gates = numpy.empty_like(x_gates)
        d_h = numpy.zeros((batch, dim), dtype=dtype)
        d_reset_input = numpy.empty((batch, dim), dtype=dtype)
        scratch = numpy.empty((batch, dim), dtype=dtype)
        U_transposed = numpy.ascontiguousarray(U.T)
        U_gates_transposed = numpy.ascontiguousarray(U_gates.T)
        for t in range(steps - 1, -1, -1):
            d_h += d_states[t]
            if mask is not None:
                keep = mask[t][:, None]
                d_new = keep * d_h
                d_direct = (1 - keep) * d_h
            else:
                d_new = d_h.copy()
            d_candidate = d_x[t]
            numpy.multiply(d_new, candidate_factor[t], out=d_candidate)
            numpy.dot(d_candidate, U_transposed, out=d_reset_input)
            d_gates = d_x_gates[t]
            numpy.multiply(d_new, update_factor[t], out=d_gates[:, :dim])
            numpy.multiply(d_reset_input, reset_factor[t],
                           out=d_gates[:, dim:])
            # the gradient flowing to the previous state
            numpy.dot(d_gates, U_gates_transposed, out=d_h)
            numpy.multiply(d_new, keep_factor[t], out=scratch)
            d_h += scratch
            numpy.multiply(d_reset_input, reset[t], out=scratch)
            d_h += scratch
            if mask is not None:
                d_h += d_direct
        d_U = numpy.dot((previous * reset).reshape(-1, dim).T,
                        d_x.reshape(-1, dim))
        d_U_gates = numpy.dot(previous.reshape(-1, dim).T,
                              d_x_gates.reshape(-1, 2 * dim))
        for storage, value in zip(output_storage, (
                d_x, d_x_gates, d_U, d_U_gates, d_h)):
            storage[0] = value.astype(dtype, copy=False)
