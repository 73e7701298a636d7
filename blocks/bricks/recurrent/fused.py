"""Fused recurrences: the whole loop as one Op, with a hand-written gradient.

``LSTM(dim, fused=True)`` iterates with :class:`FusedLSTM` and
``GatedRecurrent(dim, fused=True)`` with :class:`FusedGRU` instead of
:func:`pytensor.scan`. Why: in the scan, each step of the 50 x 64 x 256
benchmark LSTM (``benchmarks/recurrent.py``) spends 0.8 ms in its matrix
product and 2.6 ms in the fused elementwise C loop that computes the gates
(the C library's ``exp`` and ``tanh``, one element at a time), and the
gradient's scan likewise; the scan LSTM trained 1.8x (float64) to 2.9x
(float32) slower than ``torch.nn.LSTM``. Here each step is one BLAS
matrix product (``numpy.dot``) and one call of a C kernel
(:mod:`blocks.bricks.recurrent.kernels`) that does all the gate arithmetic
in one pass with vectorized ``exp`` and ``tanh`` (the GRU: two of each);
the gradient runs the recurrence backwards the same way, accumulates the
peephole gradients in its kernel and computes the weight gradients of all
steps as one matrix product after the loop. The large arrays are handed
out again call after call once they are free
(:func:`blocks.ops.scratch.scratch`, shared with the convolutions).
The fused LSTM and GRU then train about as fast as PyTorch's
(``benchmarks/README.md``). Without the kernels (no C++ compiler, or
``BLOCKS_C_KERNELS=0``) the same steps run as NumPy ufunc calls on whole
gate blocks, 1.3 to 1.5x slower; both ways compute the same values
(``tests/bricks/test_fused_recurrent.py`` compares them). Compiling is
cheap as well: there is no inner function.

What it gives up: the variables of the step (gates, cells before the mask)
are not graph variables, so :attr:`.ComputationGraph.scan_variables` has
none for a fused brick and a :class:`.VariableFilter` cannot select them;
the JAX mode has no implementation of these Ops. Only the default
activations (:class:`.Tanh`, :class:`.Logistic`) are fused; a brick with
other activations iterates with scan even when ``fused=True``.

The math is that of :meth:`.LSTM.apply` (peepholes, masks) and of
:meth:`.GatedRecurrent.apply`; ``tests/bricks/test_fused_recurrent.py``
checks the fused Ops against the scans (which are checked against NumPy loops and
finite differences), values and gradients, masked, reversed and with the
initial states returned.
"""

import numpy
from pytensor import tensor
from pytensor.gradient import disconnected_type, DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op

from blocks.bricks.recurrent import numpy_steps
from blocks.bricks.recurrent.kernels import (
    address, kernels, row_stride, unit_last)
from blocks.ops.scratch import scratch


def _steps(array):
    """The address of ``array[0]`` and the step to ``array[1]``, in bytes.

    Kernel calls compute their addresses from these (integer arithmetic is
    cheaper than a view's ``ctypes.data`` in the loop); ``(0, 0)`` (null
    pointers) for ``None``.
    """
    if array is None:
        return 0, 0
    return array.ctypes.data, array.strides[0]


def _mask_arguments(mask):
    """The kernels' ``masked`` flag and the mask's batch stride."""
    if mask is None:
        return 0, 0
    return 1, mask.strides[1] // mask.itemsize


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
        compiled = kernels(inputs[0].dtype)
        outputs = (self._perform_c(compiled, *inputs) if compiled is not None
                   else numpy_steps.lstm_forward(*inputs))
        for storage, value in zip(output_storage, outputs):
            storage[0] = value

    def _perform_c(self, compiled, x, W, p_in, p_forget, p_out, h, c,
                   mask=None):
        """The steps with one C kernel call after each product."""
        steps, batch, four_dim = x.shape
        dim = four_dim // 4
        dtype = x.dtype
        x, h, c = unit_last(x), unit_last(h), unit_last(c)
        peepholes = [numpy.ascontiguousarray(p) for p in (p_in, p_forget, p_out)]
        states = scratch((steps, batch, dim), dtype)
        cells = scratch((steps, batch, dim), dtype)
        work = scratch((steps, batch, 6 * dim), dtype)
        activation = numpy.empty((batch, 4 * dim), dtype=dtype)
        masked, mask_stride = _mask_arguments(mask)
        kernel = compiled.lstm_forward
        # addresses as integers: step t of `a` is at a_base + t * a_step
        (x_base, x_step), (mask_base, mask_step) = _steps(x), _steps(mask)
        (work_base, work_step), (cells_base, cells_step), (
            states_base, states_step) = _steps(work), _steps(cells), _steps(states)
        activation_address, x_rows = activation.ctypes.data, row_stride(x)
        p_addresses = [p.ctypes.data for p in peepholes]
        h_address, h_rows = h.ctypes.data, row_stride(h)
        c_address, c_rows = c.ctypes.data, row_stride(c)
        for t in range(steps):
            numpy.dot(h, W, out=activation)
            kernel(masked, batch, dim, activation_address,
                   x_base + t * x_step, x_rows, h_address, h_rows,
                   c_address, c_rows, *p_addresses,
                   mask_base + t * mask_step, mask_stride,
                   work_base + t * work_step, cells_base + t * cells_step,
                   states_base + t * states_step)
            h = states[t]
            h_address, c_address = (states_base + t * states_step,
                                    cells_base + t * cells_step)
            h_rows = c_rows = dim
        return states, cells, work

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


class _FusedGrad(Op):
    """The gradient of a fused recurrence with respect to its inputs.

    Inputs: the forward Op's inputs (the mask last, when `masked`), then
    what its gradient reads (its outputs, workspace and their gradients);
    outputs: the gradients of the forward inputs but the mask. The C
    kernels run the steps (:meth:`_perform_c`), or the NumPy code
    (:attr:`numpy_backward`) where they are unavailable.

    """
    __props__ = ('masked',)
    #: The forward inputs, the mask excepted.
    num_inputs = None
    #: The NumPy steps backwards (:mod:`numpy_steps`).
    numpy_backward = None

    def __init__(self, masked=False):
        self.masked = bool(masked)

    def make_node(self, *variables):
        variables = [tensor.as_tensor_variable(v) for v in variables]
        return Apply(self, variables,
                     [v.type() for v in variables[:self.num_inputs]])

    def perform(self, node, inputs, output_storage):
        n = self.num_inputs
        forward_inputs = list(inputs[:n]) + [inputs[n] if self.masked
                                             else None]
        rest = inputs[n + self.masked:]
        compiled = kernels(inputs[0].dtype)
        if compiled is not None:
            gradients = self._perform_c(compiled, *forward_inputs, *rest)
        else:
            gradients = type(self).numpy_backward(*forward_inputs, *rest)
        dtype = inputs[0].dtype
        for storage, value in zip(output_storage, gradients):
            storage[0] = value.astype(dtype, copy=False)


class FusedLSTMGrad(_FusedGrad):
    """The gradient of :class:`FusedLSTM` with respect to its inputs."""
    num_inputs = 7
    numpy_backward = staticmethod(numpy_steps.lstm_backward)

    def _perform_c(self, compiled, x, W, p_in, p_forget, p_out, h0, c0, mask,
                   states, cells, work, d_states, d_cells):
        """The steps backwards with one C kernel call before each product."""
        steps, batch, four_dim = x.shape
        dim = four_dim // 4
        dtype = x.dtype
        c0 = unit_last(c0)
        d_states, d_cells = unit_last(d_states), unit_last(d_cells)
        # the forward outputs: contiguous (they are), as indexed below
        states, cells, work = (numpy.ascontiguousarray(a)
                               for a in (states, cells, work))
        peepholes = [numpy.ascontiguousarray(p) for p in (p_in, p_forget, p_out)]
        p_addresses = [p.ctypes.data for p in peepholes]
        masked, mask_stride = _mask_arguments(mask)
        d_x = scratch((steps, batch, four_dim), dtype)
        d_h = numpy.zeros((batch, dim), dtype=dtype)  # d_a W^T of the step after
        carry_h = numpy.zeros((batch, dim), dtype=dtype)
        d_c = numpy.zeros((batch, dim), dtype=dtype)
        d_peepholes = numpy.zeros((3, dim), dtype=dtype)
        # a C-contiguous W^T: OpenBLAS multiplies by it faster than by W.T
        W_transposed = numpy.ascontiguousarray(W.T)
        ds_rows, dc_rows = row_stride(d_states), row_stride(d_cells)
        kernel = compiled.lstm_backward
        (ds_base, ds_step), (dc_base, dc_step) = _steps(d_states), _steps(d_cells)
        (work_base, work_step), (cells_base, cells_step) = _steps(work), _steps(cells)
        (mask_base, mask_step), (d_x_base, d_x_step) = _steps(mask), _steps(d_x)
        buffers = [a.ctypes.data for a in (d_h, carry_h, d_c)]
        d_p_addresses = [address(d_peepholes, i) for i in range(3)]
        if masked:  # the cells before masking
            raw_base, raw_step, raw_rows = (
                work_base + 4 * dim * work.itemsize, work_step, 6 * dim)
        else:
            raw_base, raw_step, raw_rows = cells_base, cells_step, dim
        for t in range(steps - 1, -1, -1):
            if t:
                c_prev, c_rows = cells_base + (t - 1) * cells_step, dim
            else:
                c_prev, c_rows = c0.ctypes.data, row_stride(c0)
            kernel(masked, batch, dim, *buffers, ds_base + t * ds_step, ds_rows,
                   dc_base + t * dc_step, dc_rows, work_base + t * work_step,
                   c_prev, c_rows, raw_base + t * raw_step, raw_rows,
                   *p_addresses, mask_base + t * mask_step, mask_stride,
                   d_x_base + t * d_x_step, *d_p_addresses)
            numpy.dot(d_x[t], W_transposed, out=d_h)
        if masked:
            d_h += carry_h
        # The weight gradient of all steps as one product
        d_W = numpy.dot(h0.T, d_x[0]) if steps else numpy.zeros_like(W)
        if steps > 1:
            d_W += numpy.dot(states[:-1].reshape(-1, dim).T,
                             d_x[1:].reshape(-1, four_dim))
        return (d_x, d_W, d_peepholes[0], d_peepholes[1], d_peepholes[2], d_h,
                d_c)


class FusedGRU(Op):
    """The gated recurrence of :class:`.GatedRecurrent` over a whole sequence.

    Inputs: ``inputs`` (time, batch, dim), ``gate_inputs`` (time, batch,
    2 dim), ``state_to_state`` (dim, dim), ``state_to_gates`` (dim,
    2 dim), the initial states (batch, dim) and, when `masked`, the mask
    (time, batch). Outputs: the states (time, batch, dim) and a workspace
    (time, batch, 4 dim) holding the update and reset gates, the
    candidate states and the reset gates times the previous states, which
    the gradient reads.

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
        compiled = kernels(inputs[0].dtype)
        outputs = (self._perform_c(compiled, *inputs) if compiled is not None
                   else numpy_steps.gru_forward(*inputs))
        for storage, value in zip(output_storage, outputs):
            storage[0] = value

    def _perform_c(self, compiled, x, x_gates, U, U_gates, h, mask=None):
        """The steps with a C kernel call after each of the two products."""
        steps, batch, dim = x.shape
        dtype = x.dtype
        x, x_gates, h = unit_last(x), unit_last(x_gates), unit_last(h)
        states = scratch((steps, batch, dim), dtype)
        work = scratch((steps, batch, 4 * dim), dtype)
        gate_activation = numpy.empty((batch, 2 * dim), dtype=dtype)
        candidate = numpy.empty((batch, dim), dtype=dtype)
        masked, mask_stride = _mask_arguments(mask)
        x_rows, gates_rows, h_rows = (row_stride(x), row_stride(x_gates),
                                      row_stride(h))
        gates_kernel, states_kernel = compiled.gru_gates, compiled.gru_states
        (x_base, x_step), (xg_base, xg_step) = _steps(x), _steps(x_gates)
        (work_base, work_step), (states_base, states_step) = (
            _steps(work), _steps(states))
        mask_base, mask_step = _steps(mask)
        gate_address, candidate_address = (gate_activation.ctypes.data,
                                           candidate.ctypes.data)
        reset_states = work[:, :, 3 * dim:]
        h_address = h.ctypes.data
        for t in range(steps):
            numpy.dot(h, U_gates, out=gate_activation)
            work_address = work_base + t * work_step
            gates_kernel(batch, dim, gate_address, xg_base + t * xg_step,
                         gates_rows, h_address, h_rows, work_address, 4 * dim)
            numpy.dot(reset_states[t], U, out=candidate)
            states_kernel(masked, batch, dim, candidate_address,
                          x_base + t * x_step, x_rows, h_address, h_rows,
                          mask_base + t * mask_step, mask_stride, work_address,
                          4 * dim, states_base + t * states_step)
            h, h_rows = states[t], dim
            h_address = states_base + t * states_step
        return states, work

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


class FusedGRUGrad(_FusedGrad):
    """The gradient of :class:`FusedGRU` with respect to its inputs."""
    num_inputs = 5
    numpy_backward = staticmethod(numpy_steps.gru_backward)

    def _perform_c(self, compiled, x, x_gates, U, U_gates, h0, mask, states,
                   work, d_states):
        """The steps backwards with two C kernel calls and two products each."""
        steps, batch, dim = x.shape
        dtype = x.dtype
        h0, d_states = unit_last(h0), unit_last(d_states)
        states, work = numpy.ascontiguousarray(states), numpy.ascontiguousarray(work)
        masked, mask_stride = _mask_arguments(mask)
        d_x = scratch((steps, batch, dim), dtype)
        d_x_gates = scratch((steps, batch, 2 * dim), dtype)
        d_h = numpy.zeros((batch, dim), dtype=dtype)  # d_gates U_gates^T after
        carry = numpy.zeros((batch, dim), dtype=dtype)
        d_reset_input = numpy.empty((batch, dim), dtype=dtype)
        U_transposed = numpy.ascontiguousarray(U.T)
        U_gates_transposed = numpy.ascontiguousarray(U_gates.T)
        ds_rows = row_stride(d_states)
        candidate_kernel = compiled.gru_backward_candidate
        reset_kernel = compiled.gru_backward_reset
        (ds_base, ds_step), (states_base, states_step) = (
            _steps(d_states), _steps(states))
        (work_base, work_step), (mask_base, mask_step) = _steps(work), _steps(mask)
        (d_x_base, d_x_step), (d_xg_base, d_xg_step) = (
            _steps(d_x), _steps(d_x_gates))
        d_h_address, carry_address, d_reset_address = (
            d_h.ctypes.data, carry.ctypes.data, d_reset_input.ctypes.data)
        for t in range(steps - 1, -1, -1):
            if t:
                h_prev, h_rows = states_base + (t - 1) * states_step, dim
            else:
                h_prev, h_rows = h0.ctypes.data, row_stride(h0)
            work_address = work_base + t * work_step
            d_xg_address = d_xg_base + t * d_xg_step
            candidate_kernel(
                masked, batch, dim, d_h_address, carry_address,
                ds_base + t * ds_step, ds_rows, h_prev, h_rows, work_address,
                4 * dim, mask_base + t * mask_step, mask_stride,
                d_x_base + t * d_x_step, d_xg_address)
            numpy.dot(d_x[t], U_transposed, out=d_reset_input)
            reset_kernel(batch, dim, d_reset_address, h_prev, h_rows,
                         work_address, 4 * dim, carry_address, d_xg_address)
            numpy.dot(d_x_gates[t], U_gates_transposed, out=d_h)
        d_h += carry
        # The weight gradients of all steps as one product each
        d_U = numpy_steps.reset_states_gradient(work, d_x)
        d_U_gates = numpy.dot(h0.T, d_x_gates[0]) if steps else (
            numpy.zeros_like(U_gates))
        if steps > 1:
            d_U_gates += numpy.dot(states[:-1].reshape(-1, dim).T,
                                   d_x_gates[1:].reshape(-1, 2 * dim))
        return d_x, d_x_gates, d_U, d_U_gates, d_h
