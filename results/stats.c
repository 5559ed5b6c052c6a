/* stats.c - Mann-Whitney U and Hodges-Lehmann (qtp_stats.h). */
#include "qtp_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Copy of the non-NaN values, sorted; *m gets their count. NULL with *m = 0 if none or ENOMEM. */
static double *sorted_copy(const double *x, size_t n, size_t *m)
{
    *m = 0;
    double *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            c[(*m)++] = x[i];
    qsort(c, *m, sizeof *c, cmp_double);
    return c;
}

static double median_sorted(const double *s, size_t m)
{
    return m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

double qtp_stats_median(const double *x, size_t n)
{
    size_t m;
    double *s = sorted_copy(x, n, &m);
    double r = m ? median_sorted(s, m) : NAN;
    free(s);
    return r;
}

double qtp_stats_min(const double *x, size_t n)
{
    double r = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && (isnan(r) || x[i] < r))
            r = x[i];
    return r;
}

double qtp_stats_max(const double *x, size_t n)
{
    double r = NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]) && (isnan(r) || x[i] > r))
            r = x[i];
    return r;
}

static int check_sample(const double *x, size_t n)
{
    if (n == 0)
        return EINVAL;
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return EINVAL;
    return 0;
}

/* P(U = u) for u in 0..n1*n2 under H0 without ties, U = #{x > y}: the recurrence on the largest
 * element (an x beats all j y's, a y beats none), p(i,j,u) = i/(i+j) p(i-1,j,u-j)
 * + j/(i+j) p(i,j-1,u), in probabilities so nothing overflows. Caller frees. */
static double *u_pmf(size_t n1, size_t n2)
{
    size_t N = n1 * n2 + 1, stride = N;
    double *prev = calloc((n2 + 1) * stride, sizeof(double));
    double *cur = calloc((n2 + 1) * stride, sizeof(double));
    double *res = malloc(N * sizeof(double));
    if (!prev || !cur || !res) {
        free(prev);
        free(cur);
        free(res);
        return NULL;
    }
    for (size_t j = 0; j <= n2; j++)
        prev[j * stride] = 1.0; /* i = 0: U = 0 */
    for (size_t i = 1; i <= n1; i++) {
        memset(cur, 0, (n2 + 1) * stride * sizeof(double));
        cur[0] = 1.0; /* j = 0: U = 0 */
        for (size_t j = 1; j <= n2; j++) {
            double a = (double)i / (double)(i + j), b = (double)j / (double)(i + j);
            double *c = cur + j * stride, *left = cur + (j - 1) * stride, *up = prev + j * stride;
            for (size_t u = 0; u <= i * j; u++)
                c[u] = (u >= j ? a * up[u - j] : 0.0) + b * left[u];
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    memcpy(res, prev + n2 * stride, N * sizeof(double));
    free(prev);
    free(cur);
    return res;
}

double qtp_stats_norm_isf(double q)
{
    /* Bisection on the upper tail 0.5 erfc(z / sqrt 2): slow but exact to double precision,
     * and called a handful of times per comparison. */
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(mid / M_SQRT2) > q)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

struct ranked {
    double v;
    int side; /* 0: x, 1: y */
};

static int cmp_ranked(const void *a, const void *b)
{
    return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

int qtp_stats_mwu(const double *x, size_t nx, const double *y, size_t ny, struct qtp_mwu *out)
{
    if (check_sample(x, nx) || check_sample(y, ny))
        return EINVAL;
    size_t n = nx + ny;
    struct ranked *all = malloc(n * sizeof *all);
    if (!all)
        return ENOMEM;
    for (size_t i = 0; i < nx; i++)
        all[i] = (struct ranked){x[i], 0};
    for (size_t i = 0; i < ny; i++)
        all[nx + i] = (struct ranked){y[i], 1};
    qsort(all, n, sizeof *all, cmp_ranked);
    /* Mid-ranks; tie term sum(t^3 - t) for the variance. */
    double r1 = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && all[k].v == all[i].v)
            k++;
        double rank = ((double)(i + 1) + (double)k) / 2, t = (double)(k - i);
        tie_term += t * t * t - t;
        for (size_t m = i; m < k; m++)
            if (all[m].side == 0)
                r1 += rank;
        i = k;
    }
    free(all);

    double n1 = (double)nx, n2 = (double)ny;
    double u1 = r1 - n1 * (n1 + 1) / 2, u2 = n1 * n2 - u1;
    double umax = u1 > u2 ? u1 : u2;
    memset(out, 0, sizeof *out);
    out->u = u1;
    out->ties = tie_term > 0;
    if (!out->ties && nx <= QTP_STATS_EXACT_MAX && ny <= QTP_STATS_EXACT_MAX) {
        double *pmf = u_pmf(nx, ny);
        if (!pmf)
            return ENOMEM;
        /* P(U >= umax) by symmetry equals P(U <= umin); two-sided doubles it. */
        double sf = 0;
        for (size_t u = (size_t)umax; u <= nx * ny; u++)
            sf += pmf[u];
        free(pmf);
        out->exact = true;
        out->p = fmin(1.0, 2 * sf);
        return 0;
    }
    double mu = n1 * n2 / 2;
    double var = n1 * n2 / 12 * ((double)(n + 1) - tie_term / ((double)n * (double)(n - 1)));
    if (!(var > 0)) {
        out->p = 1.0; /* every value equal: no evidence of any difference */
        return 0;
    }
    out->z = (umax - mu - 0.5) / sqrt(var);
    out->p = fmin(1.0, 2 * 0.5 * erfc(out->z / M_SQRT2));
    return 0;
}

double qtp_stats_mwu_min_p(size_t n1, size_t n2)
{
    /* 2 / C(n1 + n2, n1), computed as a running product so it never overflows. */
    double p = 2.0;
    size_t k = n1 < n2 ? n1 : n2, n = n1 + n2;
    for (size_t i = 1; i <= k; i++)
        p *= (double)i / (double)(n - k + i);
    return p > 1.0 ? 1.0 : p;
}

size_t qtp_stats_mwu_min_reps(double alpha)
{
    if (!(alpha > 0 && alpha < 1))
        return 0;
    for (size_t n = 1; n < 1000; n++)
        if (qtp_stats_mwu_min_p(n, n) < alpha)
            return n;
    return 0;
}

/* k (1-based) of the confidence interval [D(k), D(N+1-k)]: 0 when no k reaches the level. */
static size_t hl_k(size_t nx, size_t ny, double conf, int *err)
{
    double tail = (1 - conf) / 2;
    size_t N = nx * ny;
    *err = 0;
    if (nx <= QTP_STATS_EXACT_MAX && ny <= QTP_STATS_EXACT_MAX) {
        double *pmf = u_pmf(nx, ny);
        if (!pmf) {
            *err = ENOMEM;
            return 0;
        }
        /* c = the largest value with P(U <= c) <= tail; k = c + 1. */
        size_t k = 0;
        double cdf = 0;
        for (size_t c = 0; c <= N / 2; c++) {
            cdf += pmf[c];
            if (cdf > tail * (1 + 1e-12))
                break;
            k = c + 1;
        }
        free(pmf);
        return k;
    }
    double sigma = sqrt((double)nx * (double)ny * (double)(nx + ny + 1) / 12);
    double c = floor((double)N / 2 - 0.5 - qtp_stats_norm_isf(tail) * sigma);
    return c < 0 ? 0 : (size_t)c + 1;
}

int qtp_stats_hl_shift(const double *x, size_t nx, const double *y, size_t ny, double conf,
                       struct qtp_hl *out)
{
    if (check_sample(x, nx) || check_sample(y, ny) || !(conf > 0 && conf < 1))
        return EINVAL;
    size_t N = nx * ny;
    double *d = malloc(N * sizeof *d);
    if (!d)
        return ENOMEM;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++)
            d[i * ny + j] = y[j] - x[i];
    qsort(d, N, sizeof *d, cmp_double);
    int err;
    size_t k = hl_k(nx, ny, conf, &err);
    if (err) {
        free(d);
        return err;
    }
    out->estimate = median_sorted(d, N);
    out->conf = conf;
    out->lo = k ? d[k - 1] : -INFINITY;
    out->hi = k ? d[N - k] : INFINITY;
    free(d);
    return 0;
}

int qtp_stats_hl_ratio(const double *x, size_t nx, const double *y, size_t ny, double conf,
                       struct qtp_hl *out)
{
    if (check_sample(x, nx) || check_sample(y, ny))
        return EINVAL;
    double *lx = malloc(nx * sizeof *lx), *ly = malloc(ny * sizeof *ly);
    int rc = 0;
    if (!lx || !ly) {
        rc = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nx && !rc; i++)
        rc = x[i] > 0 ? (lx[i] = log(x[i]), 0) : EDOM;
    for (size_t i = 0; i < ny && !rc; i++)
        rc = y[i] > 0 ? (ly[i] = log(y[i]), 0) : EDOM;
    if (!rc)
        rc = qtp_stats_hl_shift(lx, nx, ly, ny, conf, out);
    if (!rc) {
        out->estimate = exp(out->estimate);
        out->lo = exp(out->lo);
        out->hi = exp(out->hi);
    }
out:
    free(lx);
    free(ly);
    return rc;
}
