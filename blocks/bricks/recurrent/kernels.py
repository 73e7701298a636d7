"""The pointwise work of one recurrent step, as C kernels.

:mod:`blocks.bricks.recurrent.fused` runs each step of a fused LSTM or GRU
as a BLAS matrix product (``numpy.dot``) followed by the gate arithmetic.
In NumPy that arithmetic is some fifteen short passes over the 64 x 1024
gates of a step (20-40 us each); the kernels here do it in one pass per
step, forward and backward, with the peephole gradients accumulated on the
way. They are compiled on first use by
:func:`blocks.compile.c_kernels.load_kernels`; without them
(:func:`library` returns ``None``) the NumPy code runs instead, and
computes the same thing.

Transcendentals: the C library's ``tanhf``/``expf`` run one element at a
time (``tanhf``: 240 us for the 16384 elements of one gate block, against
5 us for NumPy's vectorized ``tanh``), which would make the kernels slower
than the NumPy passes they replace. So ``exp`` is computed here by a
branch-free range reduction (``x = n log 2 + r``, ``|r| <= log(2) / 2``,
``n`` rounded by adding and subtracting ``1.5 2^mantissa``) and a Taylor
polynomial of ``exp(r) - 1`` (degree 7 for ``float``, 13 for ``double``,
evaluated with ``fma``), which g++ vectorizes (with 512-bit vectors where
the processor has them). The sigmoid is ``1 / (1 + e)`` for ``x >= 0`` and
``e / (1 + e)`` otherwise, with ``e = exp(-|x|)`` (it never overflows);
``tanh(x)`` is ``-m / (2 + m)`` with ``m = exp(-2|x|) - 1 = 2^n (p + 1) -
1``, which for ``|x| <= log(2) / 4`` is the polynomial ``p`` itself (no
cancellation), and the sign of `x`. Measured over ``[-20, 20]`` and down to
``1e-30`` against the exact values (:func:`sigmoid` and :func:`tanh` below
run the kernels' own functions; ``tests/bricks/test_fused_recurrent.py``
checks a bound of 3.5), the largest errors are 2.5 units in the last place
for both functions in ``float32``, 2.7 (``tanh``) and 2.5 (sigmoid) in
``float64``; NumPy's are 1.3 and 3.2 (``float32``), 1.2 and 2.0
(``float64``). The largest relative differences from NumPy are ``3e-7``
(``float32``) and ``5e-16`` (``float64``). Speed, for the 16384 elements
of one gate block: ``tanh`` 9 us and sigmoid 8 us in ``float32`` (NumPy: 4
and, in four passes, 15 us), 18 and 17 us in ``float64`` (NumPy: 19 and
29 us); in the kernels they share their passes over memory with the rest
of the step. Sums and products are rounded as NumPy rounds them: no
``-ffast-math``, no contraction into ``fma`` outside the polynomials, and
the same order of operations as the NumPy code, except that the gradients
add some terms in another order (the peephole gradients step by step).

Kernels index rows with strides counted in elements (a reversed sequence is
a view with a negative stride); the last axis must be contiguous.
"""
import ctypes

import numpy

from blocks.compile.c_kernels import load_kernels

SOURCE = r'''
// a * b + c rounded twice, as NumPy does (g++ contracts to fma otherwise)
#pragma GCC optimize ("fp-contract=off")
// the widest vectors where there are (AVX-512): the gate arithmetic is
// bound by the exp polynomials, 1.3-1.4x faster than with 256 bits
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC target ("prefer-vector-width=512")
#endif
#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

template <typename T> struct Constants;

template <> struct Constants<float> {
    typedef std::int32_t Bits;
    static constexpr int mantissa = 23;
    static constexpr int bias = 127;
    static constexpr float lowest = -87.0f;  // exp(x) is normal above it
    static constexpr float log2e = 1.44269504088896341f;
    static constexpr float ln2_high = 0.693359375f;  // 9 bits: n ln2_high exact
    static constexpr float ln2_low = -2.12194440e-4f;
    static constexpr int degree = 7;
    static constexpr float shifter = 12582912.0f;  // 1.5 2^23: rounds
};

template <> struct Constants<double> {
    typedef std::int64_t Bits;
    static constexpr int mantissa = 52;
    static constexpr int bias = 1023;
    static constexpr double lowest = -708.0;
    static constexpr double log2e = 1.4426950408889634074;
    static constexpr double ln2_high = 6.93145751953125e-1;  // 16 bits
    static constexpr double ln2_low = 1.42860682030941723212e-6;
    static constexpr int degree = 13;
    static constexpr double shifter = 6755399441055744.0;  // 1.5 2^52
};

// 1 / k! for k = 0 ... 14 (the Taylor coefficients of exp), rounded.
const double inverse_factorials[] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
    1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
    1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0,
    1.0 / 87178291200.0};

// exp(r) - 1 for |r| <= log(2) / 2: r (1 + r/2! + r^2/3! + ...), Horner.
template <typename T> inline T expm1_reduced(T r) {
    T p = T(inverse_factorials[Constants<T>::degree]);
#pragma GCC unroll 16
    for (int k = Constants<T>::degree - 1; k >= 1; --k) {
        p = std::fma(p, r, T(inverse_factorials[k]));
    }
    return r * p;
}

// exp(x) - 1 and exp(x) for x <= 0, as 2^n (1 + p) - 1 and 2^n (1 + p)
// with p = exp(r) - 1, x = n log(2) + r; below Constants<T>::lowest, -1
// and 0. For |x| <= log(2) / 2, n = 0 and r = x: exp(x) - 1 is then the
// polynomial itself, without cancellation.
template <typename T> inline void exp_parts(T x, T &scale, T &p) {
    typedef Constants<T> C;
    const T lowest = C::lowest;
    const T clamped = x < lowest ? lowest : x;
    // n = round(clamped log2(e)) by adding and subtracting 1.5 2^mantissa
    // (std::floor would not be vectorized without -fno-trapping-math)
    const T shifter = C::shifter;
    const T n = (clamped * T(C::log2e) + shifter) - shifter;
    T r = std::fma(-n, T(C::ln2_high), clamped);
    r = std::fma(-n, T(C::ln2_low), r);
    typename C::Bits bits =
        (typename C::Bits(n) + C::bias) << C::mantissa;
    std::memcpy(&scale, &bits, sizeof scale);
    p = expm1_reduced(r);
}

template <typename T> inline T exp_nonpositive(T x) {
    T scale, p;
    exp_parts(x, scale, p);
    const T value = std::fma(scale, p, scale);
    return x < T(Constants<T>::lowest) ? T(0) : value;
}

template <typename T> inline T expm1_nonpositive(T x) {
    T scale, p;
    exp_parts(x, scale, p);
    const T value = std::fma(scale, p, scale - T(1));
    return x < T(Constants<T>::lowest) ? T(-1) : value;
}

template <typename T> inline T sigmoid(T x) {
    T e = exp_nonpositive(-std::fabs(x));
    T s = T(1) / (T(1) + e);
    return x >= T(0) ? s : e * s;
}

template <typename T> inline T tanh_(T x) {
    const T m = expm1_nonpositive(T(-2) * std::fabs(x));
    return std::copysign(-m / (T(2) + m), x);
}

// One LSTM step. act: h_prev W (batch, 4 dim, contiguous); x: the inputs
// of the step; gates: (batch, 6 dim, contiguous) in, forget, cell input,
// out gates, cells before masking (when Masked), tanh of those.
template <typename T, bool Masked>
void lstm_forward(long batch, long dim, const T *__restrict__ act,
                  const T *__restrict__ x, long x_rows,
                  const T *__restrict__ h_prev, long h_rows,
                  const T *__restrict__ c_prev, long c_rows,
                  const T *__restrict__ p_in, const T *__restrict__ p_forget,
                  const T *__restrict__ p_out,
                  const T *__restrict__ mask, long mask_stride,
                  T *__restrict__ gates, T *__restrict__ cells,
                  T *__restrict__ states) {
    for (long b = 0; b < batch; ++b) {
        const T *a = act + b * 4 * dim, *xb = x + b * x_rows;
        const T *hp = h_prev + b * h_rows, *cp = c_prev + b * c_rows;
        T *g = gates + b * 6 * dim, *cb = cells + b * dim;
        T *sb = states + b * dim;
        const T keep = Masked ? mask[b * mask_stride] : T(1);
        for (long j = 0; j < dim; ++j) {
            const T c = cp[j];
            const T in_gate = sigmoid((a[j] + xb[j]) + c * p_in[j]);
            const T forget_gate =
                sigmoid((a[dim + j] + xb[dim + j]) + c * p_forget[j]);
            const T cell_input = tanh_(a[2 * dim + j] + xb[2 * dim + j]);
            const T raw = forget_gate * c + in_gate * cell_input;
            const T out_gate =
                sigmoid(raw * p_out[j] + (a[3 * dim + j] + xb[3 * dim + j]));
            const T tanh_cell = tanh_(raw);
            T h = out_gate * tanh_cell, cell = raw;
            g[j] = in_gate;
            g[dim + j] = forget_gate;
            g[2 * dim + j] = cell_input;
            g[3 * dim + j] = out_gate;
            g[5 * dim + j] = tanh_cell;
            if (Masked) {
                g[4 * dim + j] = raw;
                h = keep * h + (T(1) - keep) * hp[j];
                cell = keep * raw + (T(1) - keep) * c;
            }
            cb[j] = cell;
            sb[j] = h;
        }
    }
}

// One LSTM step backwards. d_h_dot: the gradient of the next step's
// activation times W^T (batch, dim, contiguous); carry_h: the part of the
// states' gradient the mask passed by (Masked only); d_c: the cells'
// gradient from the next step, replaced by this step's. Writes the
// activation's gradient d_a (batch, 4 dim, contiguous) and adds the
// peephole gradients to d_p_in, d_p_forget, d_p_out.
template <typename T, bool Masked>
void lstm_backward(long batch, long dim, const T *__restrict__ d_h_dot,
                   T *__restrict__ carry_h, T *__restrict__ d_c,
                   const T *__restrict__ d_states, long ds_rows,
                   const T *__restrict__ d_cells, long dc_rows,
                   const T *__restrict__ gates,
                   const T *__restrict__ c_prev, long c_rows,
                   const T *__restrict__ raw_cells, long raw_rows,
                   const T *__restrict__ p_in, const T *__restrict__ p_forget,
                   const T *__restrict__ p_out,
                   const T *__restrict__ mask, long mask_stride,
                   T *__restrict__ d_a, T *__restrict__ d_p_in,
                   T *__restrict__ d_p_forget, T *__restrict__ d_p_out) {
    for (long b = 0; b < batch; ++b) {
        const T *dot = d_h_dot + b * dim, *dsb = d_states + b * ds_rows;
        const T *dcb = d_cells + b * dc_rows, *g = gates + b * 6 * dim;
        const T *cp = c_prev + b * c_rows, *rb = raw_cells + b * raw_rows;
        T *ch = carry_h + b * dim, *dc = d_c + b * dim, *da = d_a + b * 4 * dim;
        const T keep = Masked ? mask[b * mask_stride] : T(1);
        for (long j = 0; j < dim; ++j) {
            const T dh = Masked ? (dot[j] + ch[j]) + dsb[j] : dot[j] + dsb[j];
            const T dcell = dc[j] + dcb[j];
            const T dh_raw = Masked ? keep * dh : dh;
            const T dc_raw = Masked ? keep * dcell : dcell;
            const T in_gate = g[j], forget_gate = g[dim + j];
            const T cell_input = g[2 * dim + j], out_gate = g[3 * dim + j];
            const T tanh_cell = g[5 * dim + j], c = cp[j];
            const T d_out =
                dh_raw * ((tanh_cell * out_gate) * (T(1) - out_gate));
            T d_raw = dh_raw * (out_gate * (T(1) - tanh_cell * tanh_cell));
            d_raw += dc_raw;
            d_raw += d_out * p_out[j];
            const T d_in =
                d_raw * ((cell_input * in_gate) * (T(1) - in_gate));
            const T d_forget =
                d_raw * ((c * forget_gate) * (T(1) - forget_gate));
            const T d_cell_input =
                d_raw * (in_gate * (T(1) - cell_input * cell_input));
            T d_c_prev = d_raw * forget_gate;
            d_c_prev += d_in * p_in[j];
            d_c_prev += d_forget * p_forget[j];
            if (Masked) {
                d_c_prev += (T(1) - keep) * dcell;
                ch[j] = (T(1) - keep) * dh;
            }
            dc[j] = d_c_prev;
            da[j] = d_in;
            da[dim + j] = d_forget;
            da[2 * dim + j] = d_cell_input;
            da[3 * dim + j] = d_out;
            d_p_in[j] += d_in * c;
            d_p_forget[j] += d_forget * c;
            d_p_out[j] += d_out * rb[j];
        }
    }
}

// GRU step, first half. gate_act: h_prev U_gates (batch, 2 dim,
// contiguous); x_gates: the gate inputs of the step; work: (batch, 4 dim
// rows work_rows) update, reset gates, candidate, reset * h_prev: this
// writes the gates and reset * h_prev.
template <typename T>
void gru_gates(long batch, long dim, const T *__restrict__ gate_act,
               const T *__restrict__ x_gates, long xg_rows,
               const T *__restrict__ h_prev, long h_rows,
               T *__restrict__ work, long work_rows) {
    for (long b = 0; b < batch; ++b) {
        const T *a = gate_act + b * 2 * dim, *xb = x_gates + b * xg_rows;
        const T *hp = h_prev + b * h_rows;
        T *w = work + b * work_rows;
        for (long j = 0; j < 2 * dim; ++j) {
            w[j] = sigmoid(a[j] + xb[j]);
        }
        for (long j = 0; j < dim; ++j) {
            w[3 * dim + j] = hp[j] * w[dim + j];
        }
    }
}

// GRU step, second half. cand_act: (reset * h_prev) U (batch, dim,
// contiguous); writes the candidate into work and the new states.
template <typename T, bool Masked>
void gru_states(long batch, long dim, const T *__restrict__ cand_act,
                const T *__restrict__ x, long x_rows,
                const T *__restrict__ h_prev, long h_rows,
                const T *__restrict__ mask, long mask_stride,
                T *__restrict__ work, long work_rows,
                T *__restrict__ states) {
    for (long b = 0; b < batch; ++b) {
        const T *a = cand_act + b * dim, *xb = x + b * x_rows;
        const T *hp = h_prev + b * h_rows;
        T *w = work + b * work_rows, *sb = states + b * dim;
        const T keep = Masked ? mask[b * mask_stride] : T(1);
        for (long j = 0; j < dim; ++j) {
            const T candidate = tanh_(a[j] + xb[j]);
            w[2 * dim + j] = candidate;
            const T h = hp[j];
            T next = h + (candidate - h) * w[j];
            if (Masked) next = keep * next + (T(1) - keep) * h;
            sb[j] = next;
        }
    }
}

// GRU step backwards, first half. d_h = (d_h_dot + carry) + d_states;
// writes the candidate's gradient d_x, the update gate's (first half of
// d_gates) and carry = d_new (1 - update) + (1 - keep) d_h.
template <typename T, bool Masked>
void gru_backward_candidate(long batch, long dim,
                            const T *__restrict__ d_h_dot,
                            T *__restrict__ carry,
                            const T *__restrict__ d_states, long ds_rows,
                            const T *__restrict__ h_prev, long h_rows,
                            const T *__restrict__ work, long work_rows,
                            const T *__restrict__ mask, long mask_stride,
                            T *__restrict__ d_x, T *__restrict__ d_gates) {
    for (long b = 0; b < batch; ++b) {
        const T *dot = d_h_dot + b * dim, *dsb = d_states + b * ds_rows;
        const T *hp = h_prev + b * h_rows, *w = work + b * work_rows;
        T *cb = carry + b * dim, *dx = d_x + b * dim;
        T *dg = d_gates + b * 2 * dim;
        const T keep = Masked ? mask[b * mask_stride] : T(1);
        for (long j = 0; j < dim; ++j) {
            const T dh = (dot[j] + cb[j]) + dsb[j];
            const T d_new = Masked ? keep * dh : dh;
            const T update = w[j], candidate = w[2 * dim + j];
            dx[j] = d_new * (update * (T(1) - candidate * candidate));
            dg[j] = d_new * (((candidate - hp[j]) * update) *
                             (T(1) - update));
            T rest = d_new * (T(1) - update);
            if (Masked) rest += (T(1) - keep) * dh;
            cb[j] = rest;
        }
    }
}

// GRU step backwards, second half. d_reset_input: d_x U^T (batch, dim,
// contiguous); writes the reset gate's gradient (second half of d_gates)
// and adds d_reset_input * reset to carry.
template <typename T>
void gru_backward_reset(long batch, long dim,
                        const T *__restrict__ d_reset_input,
                        const T *__restrict__ h_prev, long h_rows,
                        const T *__restrict__ work, long work_rows,
                        T *__restrict__ carry, T *__restrict__ d_gates) {
    for (long b = 0; b < batch; ++b) {
        const T *dr = d_reset_input + b * dim, *hp = h_prev + b * h_rows;
        const T *w = work + b * work_rows;
        T *cb = carry + b * dim, *dg = d_gates + b * 2 * dim;
        for (long j = 0; j < dim; ++j) {
            const T reset = w[dim + j];
            dg[dim + j] = dr[j] * ((hp[j] * reset) * (T(1) - reset));
            cb[j] += dr[j] * reset;
        }
    }
}

template <typename T>
void map_sigmoid(long n, const T *__restrict__ x, T *__restrict__ y) {
    for (long i = 0; i < n; ++i) y[i] = sigmoid(x[i]);
}

template <typename T>
void map_tanh(long n, const T *__restrict__ x, T *__restrict__ y) {
    for (long i = 0; i < n; ++i) y[i] = tanh_(x[i]);
}

}  // namespace

#define BLOCKS_INSTANTIATE(T, SUFFIX)                                      \
extern "C" void lstm_forward_##SUFFIX(                                     \
        long masked, long batch, long dim, const T *act,                   \
        const T *x, long x_rows, const T *h_prev, long h_rows,             \
        const T *c_prev, long c_rows, const T *p_in, const T *p_forget,    \
        const T *p_out, const T *mask, long mask_stride, T *gates,         \
        T *cells, T *states) {                                             \
    (masked ? lstm_forward<T, true> : lstm_forward<T, false>)(             \
        batch, dim, act, x, x_rows, h_prev, h_rows, c_prev, c_rows, p_in,  \
        p_forget, p_out, mask, mask_stride, gates, cells, states);         \
}                                                                          \
extern "C" void lstm_backward_##SUFFIX(                                    \
        long masked, long batch, long dim, const T *d_h_dot, T *carry_h,   \
        T *d_c, const T *d_states, long ds_rows, const T *d_cells,         \
        long dc_rows, const T *gates, const T *c_prev, long c_rows,        \
        const T *raw_cells, long raw_rows, const T *p_in,                  \
        const T *p_forget, const T *p_out, const T *mask,                  \
        long mask_stride, T *d_a, T *d_p_in, T *d_p_forget, T *d_p_out) {  \
    (masked ? lstm_backward<T, true> : lstm_backward<T, false>)(           \
        batch, dim, d_h_dot, carry_h, d_c, d_states, ds_rows, d_cells,     \
        dc_rows, gates, c_prev, c_rows, raw_cells, raw_rows, p_in,         \
        p_forget, p_out, mask, mask_stride, d_a, d_p_in, d_p_forget,       \
        d_p_out);                                                          \
}                                                                          \
extern "C" void gru_gates_##SUFFIX(                                        \
        long batch, long dim, const T *gate_act, const T *x_gates,         \
        long xg_rows, const T *h_prev, long h_rows, T *work,               \
        long work_rows) {                                                  \
    gru_gates<T>(batch, dim, gate_act, x_gates, xg_rows, h_prev, h_rows,   \
                 work, work_rows);                                         \
}                                                                          \
extern "C" void gru_states_##SUFFIX(                                       \
        long masked, long batch, long dim, const T *cand_act, const T *x,  \
        long x_rows, const T *h_prev, long h_rows, const T *mask,          \
        long mask_stride, T *work, long work_rows, T *states) {            \
    (masked ? gru_states<T, true> : gru_states<T, false>)(                 \
        batch, dim, cand_act, x, x_rows, h_prev, h_rows, mask,             \
        mask_stride, work, work_rows, states);                             \
}                                                                          \
extern "C" void gru_backward_candidate_##SUFFIX(                           \
        long masked, long batch, long dim, const T *d_h_dot, T *carry,     \
        const T *d_states, long ds_rows, const T *h_prev, long h_rows,     \
        const T *work, long work_rows, const T *mask, long mask_stride,    \
        T *d_x, T *d_gates) {                                              \
    (masked ? gru_backward_candidate<T, true>                              \
            : gru_backward_candidate<T, false>)(                           \
        batch, dim, d_h_dot, carry, d_states, ds_rows, h_prev, h_rows,     \
        work, work_rows, mask, mask_stride, d_x, d_gates);                 \
}                                                                          \
extern "C" void gru_backward_reset_##SUFFIX(                               \
        long batch, long dim, const T *d_reset_input, const T *h_prev,     \
        long h_rows, const T *work, long work_rows, T *carry,              \
        T *d_gates) {                                                      \
    gru_backward_reset<T>(batch, dim, d_reset_input, h_prev, h_rows,       \
                          work, work_rows, carry, d_gates);                \
}                                                                          \
extern "C" void sigmoid_##SUFFIX(long n, const T *x, T *y) {               \
    map_sigmoid<T>(n, x, y);                                               \
}                                                                          \
extern "C" void tanh_##SUFFIX(long n, const T *x, T *y) {                  \
    map_tanh<T>(n, x, y);                                                  \
}

BLOCKS_INSTANTIATE(float, float32)
BLOCKS_INSTANTIATE(double, float64)
'''

# The argument kinds of each kernel: 'l' a C long, 'p' a pointer.
SIGNATURES = {
    'lstm_forward': 'lll' + 'p' + 'pl' * 3 + 'ppp' + 'pl' + 'ppp',
    'lstm_backward': 'lll' + 'ppp' + 'pl' * 2 + 'p' + 'pl' * 2 + 'ppp' +
                     'pl' + 'pppp',
    'gru_gates': 'll' + 'p' + 'pl' * 3,
    'gru_states': 'lll' + 'p' + 'pl' * 4 + 'p',
    'gru_backward_candidate': 'lll' + 'pp' + 'pl' * 4 + 'pp',
    'gru_backward_reset': 'll' + 'p' + 'pl' * 2 + 'pp',
    'sigmoid': 'lpp',
    'tanh': 'lpp',
}

_KINDS = {'l': ctypes.c_long, 'p': ctypes.c_void_p}
_configured = {}


class Kernels(object):
    """The kernels of one dtype, as ctypes functions with their signatures.

    ``kernels.lstm_forward(...)`` calls ``lstm_forward_float32`` (or
    ``_float64``); pointers are passed as integer addresses (or ``None``).
    """

    def __init__(self, library, dtype):
        self.dtype = numpy.dtype(dtype)
        for name, signature in SIGNATURES.items():
            function = getattr(library, '{}_{}'.format(name, self.dtype.name))
            function.restype = None
            function.argtypes = [_KINDS[kind] for kind in signature]
            setattr(self, name, function)


def library():
    """The compiled kernels, or ``None`` (disabled or no compiler)."""
    return load_kernels('blocks_recurrent', SOURCE)


def kernels(dtype):
    """The :class:`Kernels` for `dtype`, or ``None`` without C kernels."""
    dtype = numpy.dtype(dtype)
    if dtype.name not in ('float32', 'float64'):
        return None
    compiled = library()
    if compiled is None:
        return None
    key = (id(compiled), dtype.name)
    if key not in _configured:
        _configured[key] = Kernels(compiled, dtype)
    return _configured[key]


def _map(name, x):
    x = numpy.ascontiguousarray(x)
    compiled = kernels(x.dtype)
    if compiled is None:
        raise RuntimeError('the C kernels are not available (disabled, or no '
                           'C++ compiler); {} needs them'.format(name))
    out = numpy.empty_like(x)
    getattr(compiled, name)(x.size, x.ctypes.data, out.ctypes.data)
    return out


def sigmoid(x):
    """The kernels' sigmoid of a float32 or float64 array (for tests).

    >>> import numpy
    >>> if kernels('float64') is not None:
    ...     print(sigmoid(numpy.array([-800., 0., 3.])).round(6))
    ... else:
    ...     print(numpy.array([0., 0.5, 0.952574]))
    [0.       0.5      0.952574]
    """
    return _map('sigmoid', x)


def tanh(x):
    """The kernels' ``tanh`` of a float32 or float64 array (for tests)."""
    return _map('tanh', x)


def address(array, index=0):
    """The address of ``array[index]`` (along the first axis)."""
    return array.ctypes.data + index * array.strides[0]


def row_stride(array):
    """The stride of `array`'s second-to-last axis, counted in elements."""
    return array.strides[-2] // array.itemsize


def unit_last(array):
    """`array`, copied if its last axis is not contiguous."""
    if array.shape[-1] > 1 and array.strides[-1] != array.itemsize:
        return numpy.ascontiguousarray(array)
    return array


__all__ = ['Kernels', 'SOURCE', 'address', 'kernels', 'library',
           'row_stride', 'sigmoid', 'tanh', 'unit_last']
