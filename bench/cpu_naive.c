/* Naive C loops for the CPU benchmark's kernels: what a programmer writes
 * first, with no blocking, packing, intrinsics or threads. bench/cpu.py
 * builds this file with `gcc -O3 -march=native` and calls it with ctypes.
 * Layouts match ptensor: row-major matrices, NHWC input, HWCF filter. */

#include <math.h>
#include <stddef.h>

/* c[m][n] = sum_k a[m][k] * b[k][n]: the textbook i-j-k triple loop. */
void naive_matmul(const float *a, const float *b, float *c, int m, int n, int k)
{
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
            float sum = 0.0f;
            for (int p = 0; p < k; p++)
                sum += a[(size_t)i * k + p] * b[(size_t)p * n + j];
            c[(size_t)i * n + j] = sum;
        }
    }
}

/* out = relu(a*b + c)*d - e, one pass. */
void naive_chain(const float *a, const float *b, const float *c, const float *d,
                 const float *e, float *out, int count)
{
    for (int i = 0; i < count; i++) {
        float t = a[i] * b[i] + c[i];
        t = t > 0.0f ? t : 0.0f;
        out[i] = t * d[i] - e[i];
    }
}

/* Softmax of each row of x[rows][cols]: max, exp and sum, divide. */
void naive_softmax(const float *x, float *out, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * cols;
        float *dst = out + (size_t)r * cols;
        float top = row[0];
        for (int j = 1; j < cols; j++)
            top = row[j] > top ? row[j] : top;
        float sum = 0.0f;
        for (int j = 0; j < cols; j++) {
            dst[j] = expf(row[j] - top);
            sum += dst[j];
        }
        for (int j = 0; j < cols; j++)
            dst[j] /= sum;
    }
}

/* Stride-1, dilation-1 convolution with symmetric zero padding `pad`:
 * x[n][h][w][c] (NHWC), f[kh][kw][c][oc] (HWCF), out[n][oh][ow][oc]. */
void naive_conv2d(const float *x, const float *f, float *out, int batch, int h, int w,
                  int channels, int out_channels, int kh, int kw, int pad)
{
    int oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1;
    for (int n = 0; n < batch; n++)
        for (int y = 0; y < oh; y++)
            for (int xo = 0; xo < ow; xo++)
                for (int o = 0; o < out_channels; o++) {
                    float sum = 0.0f;
                    for (int i = 0; i < kh; i++) {
                        int iy = y + i - pad;
                        if (iy < 0 || iy >= h)
                            continue;
                        for (int j = 0; j < kw; j++) {
                            int ix = xo + j - pad;
                            if (ix < 0 || ix >= w)
                                continue;
                            for (int c = 0; c < channels; c++)
                                sum += x[(((size_t)n * h + iy) * w + ix) * channels + c] *
                                       f[(((size_t)i * kw + j) * channels + c) * out_channels + o];
                        }
                    }
                    out[(((size_t)n * oh + y) * ow + xo) * out_channels + o] = sum;
                }
}
