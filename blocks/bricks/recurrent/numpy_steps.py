"""The fused recurrent Ops' steps in NumPy, for when there are no C kernels.

:class:`~blocks.bricks.recurrent.fused.FusedLSTM`, :class:`~blocks.bricks.
recurrent.fused.FusedGRU` and their gradients run these functions when
:func:`blocks.bricks.recurrent.kernels.kernels` gives ``None`` (no C++
compiler, or ``BLOCKS_C_KERNELS=0``). They take the Ops' inputs and return
their outputs, with the same workspace layouts as the C paths. Each step is
one BLAS product and a dozen ufunc calls on whole gate blocks; the
gradients compute the local derivatives of all steps at once before their
loops (large arrays, few calls), so that the loops only chain them.
"""
import numpy


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


def lstm_forward(x, W, p_in, p_forget, p_out, h, c, mask=None):
    """The recurrence in NumPy: the outputs of the Op."""
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
    return states, cells, work


def lstm_backward(x, W, p_in, p_forget, p_out, h0, c0, mask,
                  states, cells, work, d_states, d_cells):
    """The gradient in NumPy: the outputs of the gradient Op."""
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
    return d_x, d_W, d_p_in, d_p_forget, d_p_out, d_h, d_c


def gru_forward(x, x_gates, U, U_gates, h, mask=None):
    """The recurrence in NumPy: the outputs of the Op."""
    steps, batch, dim = x.shape
    dtype = x.dtype
    states = numpy.empty((steps, batch, dim), dtype=dtype)
    work = numpy.empty((steps, batch, 4 * dim), dtype=dtype)
    gate_activation = numpy.empty((batch, 2 * dim), dtype=dtype)
    candidate = numpy.empty((batch, dim), dtype=dtype)
    scratch = numpy.empty((batch, dim), dtype=dtype)
    for t in range(steps):
        numpy.dot(h, U_gates, out=gate_activation)
        gate_activation += x_gates[t]
        gates = work[t]
        _sigmoid(gate_activation, gates[:, :2 * dim])
        update, reset = gates[:, :dim], gates[:, dim:2 * dim]
        numpy.multiply(h, reset, out=gates[:, 3 * dim:])
        numpy.dot(gates[:, 3 * dim:], U, out=candidate)
        candidate += x[t]
        numpy.tanh(candidate, out=gates[:, 2 * dim:3 * dim])
        # h + update * (candidate - h)
        numpy.subtract(gates[:, 2 * dim:3 * dim], h, out=scratch)
        scratch *= update
        numpy.add(h, scratch, out=states[t])
        if mask is not None:
            keep = mask[t][:, None]
            states[t] = keep * states[t] + (1 - keep) * h
        h = states[t]
    return states, work


def gru_backward(x, x_gates, U, U_gates, h0, mask, states, work,
                 d_states):
    """The gradient in NumPy: the outputs of the gradient Op."""
    steps, batch, dim = x.shape
    dtype = x.dtype
    # Local derivatives of all steps at once (see FusedLSTMGrad)
    previous = numpy.concatenate([h0[None], states[:-1]], axis=0)
    update, reset = work[..., :dim], work[..., dim:2 * dim]
    candidate = work[..., 2 * dim:3 * dim]
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
    d_U = reset_states_gradient(work, d_x)
    d_U_gates = numpy.dot(previous.reshape(-1, dim).T,
                          d_x_gates.reshape(-1, 2 * dim))
    return d_x, d_x_gates, d_U, d_U_gates, d_h


def reset_states_gradient(work, d_x):
    """``sum_t (reset_t * h_{t-1})^T d_x_t``: the gradient of ``U``.

    The reset states are every fourth block of `work`'s rows: OpenBLAS
    multiplies by them in place as the right operand, but 2-3x slower
    as the transposed left one, so the product is computed transposed.
    """
    dim = d_x.shape[-1]
    reset_states = work[..., 3 * dim:].reshape(-1, dim)
    return numpy.ascontiguousarray(
        numpy.dot(d_x.reshape(-1, dim).T, reset_states).T)


__all__ = ['gru_backward', 'gru_forward', 'lstm_backward', 'lstm_forward',
           'reset_states_gradient']
