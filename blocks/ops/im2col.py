"""im2col and col2im: the image laid out as columns for a matrix product.

A convolution is one matrix product once every window the filters see is
a column: :func:`im2col` copies them into an array ``(channels,
kernel_rows, kernel_columns, batch, out_rows, out_columns)``, and
:func:`col2im` adds such an array back onto an image (the gradient with
respect to the input, and the transposed convolution).

Both run as one C pass (:mod:`blocks.compile.c_kernels`) when a compiler
is available, and as one strided NumPy copy (or addition) per filter tap
otherwise. The two compute the same numbers: :func:`col2im` adds the taps
to each pixel in the same order, so both give bit-identical results.

"""
import ctypes

import numpy

from blocks.compile.c_kernels import (pointer, strides_in_elements,
                                      typed_kernel)

_SOURCE = r'''
#include <cstring>

// The window geometry shared by both kernels. Sizes in elements.
struct Geometry {
    long batch, channels, height, width;      // the image
    long kernel_rows, kernel_cols;
    long out_rows, out_cols;
    long top, left;                           // zero padding before
    long step_rows, step_cols, dil_rows, dil_cols;
};

// The range [first, last) of output columns s whose input column
// x = x0 + s * step falls inside [0, width).
static inline void inside(long x0, long step, long width, long count,
                          long *first, long *last) {
    long lo = x0 >= 0 ? 0 : (-x0 + step - 1) / step;
    long hi = x0 >= width ? 0 : (width - 1 - x0) / step + 1;
    if (lo > count) lo = count;
    if (hi > count) hi = count;
    if (hi < lo) hi = lo;
    *first = lo;
    *last = hi;
}

// into[s] += from[s] for s < n, 32 bytes at a time: rows are short (the
// output's width), too short for the compiler's vector loop.
template <typename T>
static inline void add_row(T *__restrict__ into, const T *__restrict__ from,
                           long n) {
    typedef T Vector __attribute__((vector_size(32)));
    const long lanes = 32 / sizeof(T);
    long s = 0;
    for (; s + lanes <= n; s += lanes) {
        Vector a, b;
        std::memcpy(&a, into + s, 32);
        std::memcpy(&b, from + s, 32);
        a += b;
        std::memcpy(into + s, &a, 32);
    }
    for (; s < n; ++s) into[s] += from[s];
}

// columns[c, i, j, b, r, s] = image[b, c, r*step + i*dil - top, ...],
// 0 outside the image. image is addressed through its strides.
template <typename T>
static void im2col(const T *image, const long *strides, T *columns,
                   const Geometry &g) {
    T *out = columns;
    const long step = g.step_cols * strides[3];
    for (long c = 0; c < g.channels; ++c)
    for (long i = 0; i < g.kernel_rows; ++i)
    for (long j = 0; j < g.kernel_cols; ++j) {
        const long x0 = j * g.dil_cols - g.left;
        long first, last;
        inside(x0, g.step_cols, g.width, g.out_cols, &first, &last);
        // The output rows [top_row, bottom_row) read rows of the image.
        const long y0 = i * g.dil_rows - g.top;
        long top_row, bottom_row;
        inside(y0, g.step_rows, g.height, g.out_rows, &top_row, &bottom_row);
        const long rows_step = g.step_rows * strides[2];
        const bool interior = step == 1 && first == 0 && last == g.out_cols;
        for (long b = 0; b < g.batch; ++b) {
            const T *source = image + b * strides[0] + c * strides[1] +
                              y0 * strides[2] + x0 * strides[3];
            T *__restrict__ into = out;
            std::memset(into, 0, sizeof(T) * top_row * g.out_cols);
            if (interior) {
                for (long r = top_row; r < bottom_row; ++r) {
                    const T *__restrict__ row = source + r * rows_step;
                    T *__restrict__ line = into + r * g.out_cols;
                    for (long s = 0; s < g.out_cols; ++s) line[s] = row[s];
                }
            } else {
                for (long r = top_row; r < bottom_row; ++r) {
                    const T *__restrict__ row = source + r * rows_step;
                    T *__restrict__ line = into + r * g.out_cols;
                    for (long s = 0; s < first; ++s) line[s] = T(0);
                    for (long s = first; s < last; ++s)
                        line[s] = row[s * step];
                    for (long s = last; s < g.out_cols; ++s) line[s] = T(0);
                }
            }
            std::memset(into + bottom_row * g.out_cols, 0,
                        sizeof(T) * (g.out_rows - bottom_row) * g.out_cols);
            out += g.out_rows * g.out_cols;
        }
    }
}

// image[b, c, y, x] += columns[c, i, j, b, r, s] for every tap (i, j) in
// order, onto a contiguous zeroed image (padding positions dropped).
template <typename T>
static void col2im(const T *columns, T *image, const Geometry &g) {
    // Columns are read in their memory order; for each (channel, tap) the
    // batch's image planes of that channel are revisited, which stay in
    // the cache. Each pixel gets its taps added in (i, j) order.
    const long plane = g.out_rows * g.out_cols;
    const long step = g.step_cols;
    const long rows_step = g.step_rows * g.width;
    const T *source = columns;
    for (long c = 0; c < g.channels; ++c)
    for (long i = 0; i < g.kernel_rows; ++i)
    for (long j = 0; j < g.kernel_cols; ++j) {
        const long x0 = j * g.dil_cols - g.left;
        const long y0 = i * g.dil_rows - g.top;
        long first, last, top_row, bottom_row;
        inside(x0, step, g.width, g.out_cols, &first, &last);
        inside(y0, g.step_rows, g.height, g.out_rows, &top_row, &bottom_row);
        for (long b = 0; b < g.batch; ++b, source += plane) {
            T *origin = image + (b * g.channels + c) * g.height * g.width +
                        y0 * g.width + x0;
            for (long r = top_row; r < bottom_row; ++r) {
                T *__restrict__ row = origin + r * rows_step;
                const T *__restrict__ values = source + r * g.out_cols;
                if (step == 1) {
                    add_row(row + first, values + first, last - first);
                } else {
                    for (long s = first; s < last; ++s)
                        row[s * step] += values[s];
                }
            }
        }
    }
}

extern "C" {
void im2col_float(const float *image, const long *strides, float *columns,
                  const Geometry *g) { im2col(image, strides, columns, *g); }
void im2col_double(const double *image, const long *strides,
                   double *columns, const Geometry *g) {
    im2col(image, strides, columns, *g);
}
void col2im_float(const float *columns, float *image, const Geometry *g) {
    col2im(columns, image, *g);
}
void col2im_double(const double *columns, double *image, const Geometry *g) {
    col2im(columns, image, *g);
}
}
'''


class _Geometry(ctypes.Structure):
    _fields_ = [(name, ctypes.c_long) for name in (
        'batch', 'channels', 'height', 'width', 'kernel_rows', 'kernel_cols',
        'out_rows', 'out_cols', 'top', 'left', 'step_rows', 'step_cols',
        'dil_rows', 'dil_cols')]


def _kernel(kind, dtype):
    """The C kernel ``kind`` ('im2col' or 'col2im') for `dtype`, or None."""
    return typed_kernel('blocks_im2col', _SOURCE, kind, dtype)


def _geometry(image_shape, kernel_size, output_size, padding, subsample,
              filter_dilation):
    (top, _), (left, _) = padding
    batch, channels, height, width = image_shape
    return _Geometry(batch, channels, height, width, kernel_size[0],
                     kernel_size[1], output_size[0], output_size[1], top,
                     left, subsample[0], subsample[1], filter_dilation[0],
                     filter_dilation[1])


def _taps(kernel_size, output_size, subsample, filter_dilation):
    """The filter taps and the strided window of the padded image of each."""
    (step_rows, step_cols), (dil_rows, dil_cols) = subsample, filter_dilation
    for i in range(kernel_size[0]):
        rows = slice(i * dil_rows,
                     i * dil_rows + step_rows * (output_size[0] - 1) + 1,
                     step_rows)
        for j in range(kernel_size[1]):
            cols = slice(j * dil_cols,
                         j * dil_cols + step_cols * (output_size[1] - 1) + 1,
                         step_cols)
            yield i, j, rows, cols


def _check_out(out, shape, dtype):
    """Raise unless `out` is ``None`` or a contiguous `dtype` array of
    `shape`."""
    if out is not None and (out.shape != shape or out.dtype != dtype or
                            not out.flags.c_contiguous):
        raise ValueError('out must be a contiguous {} array of shape {}, got '
                         'a {} array of shape {}'.format(
                             dtype, shape, out.dtype, out.shape))


def im2col(image, kernel_size, output_size, padding, subsample=(1, 1),
           filter_dilation=(1, 1), out=None):
    """The windows of `image` as columns.

    Parameters
    ----------
    image : numpy.ndarray
        ``(batch, channels, rows, columns)``, any strides.
    kernel_size, output_size : pairs of ints
        The filter size and the output size.
    padding : pair of pairs
        ``((top, bottom), (left, right))`` zeros around the image.
    subsample, filter_dilation : pairs of ints
        The strides and the dilation.
    out : numpy.ndarray, optional
        A contiguous array of the result's shape and `image`'s dtype to
        write into (a scratch buffer reused across calls spares the
        operating system's page faults of a fresh one).

    Returns
    -------
    numpy.ndarray
        ``(channels, kernel_rows, kernel_columns, batch, out_rows,
        out_columns)``, contiguous.

    Examples
    --------
    >>> image = numpy.arange(9.).reshape(1, 1, 3, 3)
    >>> im2col(image, (2, 2), (2, 2), ((0, 0), (0, 0)))[0, :, :, 0]
    array([[[[0., 1.],
             [3., 4.]],
    <BLANKLINE>
            [[1., 2.],
             [4., 5.]]],
    <BLANKLINE>
    <BLANKLINE>
           [[[3., 4.],
             [6., 7.]],
    <BLANKLINE>
            [[4., 5.],
             [7., 8.]]]])

    """
    batch, channels, height, width = image.shape
    shape = (channels,) + tuple(kernel_size) + (batch,) + tuple(output_size)
    _check_out(out, shape, image.dtype)
    columns = numpy.empty(shape, dtype=image.dtype) if out is None else out
    kernel = _kernel('im2col', image.dtype)
    if kernel is not None and columns.size:
        try:
            strides = strides_in_elements(image)
        except ValueError:  # a misaligned view: the NumPy code reads it
            strides = None
        if strides is not None:
            kernel(pointer(image), (ctypes.c_long * 4)(*strides),
                   pointer(columns),
                   ctypes.byref(_geometry(image.shape, kernel_size,
                                          output_size, padding, subsample,
                                          filter_dilation)))
            return columns
    (top, bottom), (left, right) = padding
    if top or bottom or left or right:
        padded = numpy.zeros((channels, batch, height + top + bottom,
                              width + left + right), dtype=image.dtype)
        padded[:, :, top:top + height, left:left + width] = \
            image.transpose(1, 0, 2, 3)
    else:
        padded = image.transpose(1, 0, 2, 3)
    for i, j, rows, cols in _taps(kernel_size, output_size, subsample,
                                  filter_dilation):
        columns[:, i, j] = padded[:, :, rows, cols]
    return columns


def col2im(columns, image_size, padding, subsample=(1, 1),
           filter_dilation=(1, 1), out=None):
    """Add `columns` back onto a zero image: the adjoint of :func:`im2col`.

    Parameters
    ----------
    columns : numpy.ndarray
        ``(channels, kernel_rows, kernel_columns, batch, out_rows,
        out_columns)``.
    image_size : pair of ints
        The image's rows and columns (without padding).
    padding, subsample, filter_dilation
        As for :func:`im2col`.
    out : numpy.ndarray, optional
        A contiguous array of the result's shape and `columns`' dtype to
        write the result into (its contents are overwritten).

    Returns
    -------
    numpy.ndarray
        ``(batch, channels, rows, columns)``, contiguous.

    Examples
    --------
    >>> columns = numpy.ones((1, 2, 2, 1, 2, 2))
    >>> col2im(columns, (3, 3), ((0, 0), (0, 0)))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])

    """
    channels, kernel_rows, kernel_cols, batch = columns.shape[:4]
    output_size = columns.shape[4:]
    height, width = image_size
    shape = (batch, channels, height, width)
    _check_out(out, shape, columns.dtype)
    kernel = _kernel('col2im', columns.dtype)
    if kernel is not None and columns.size:
        columns = numpy.ascontiguousarray(columns)
        if out is None:
            image = numpy.zeros(shape, dtype=columns.dtype)
        else:
            image = out
            image.fill(0)
        kernel(pointer(columns), pointer(image), ctypes.byref(_geometry(
            image.shape, (kernel_rows, kernel_cols), output_size, padding,
            subsample, filter_dilation)))
        return image
    (top, bottom), (left, right) = padding
    padded = numpy.zeros((channels, batch, height + top + bottom,
                          width + left + right), dtype=columns.dtype)
    for i, j, rows, cols in _taps((kernel_rows, kernel_cols), output_size,
                                  subsample, filter_dilation):
        padded[:, :, rows, cols] += columns[:, i, j]
    image = padded[:, :, top:top + height, left:left + width].transpose(
        1, 0, 2, 3)
    if out is None:
        return numpy.ascontiguousarray(image)
    out[...] = image
    return out
