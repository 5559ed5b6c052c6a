/* run_series.c - the sampler of one rep: positions, depths and latency intervals (run_series.h). */
#include "run_series.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_clock.h"
#include "qtp_deploy.h"
#include "qtp_hist.h"
#include "qtp_hlog.h"
#include "qtp_text.h"

struct sample {
    uint64_t t_ns, produced, finished;
};
struct ival {
    uint64_t t0, t1; /* CLOCK_MONOTONIC */
    size_t off, len; /* its slot deltas in qtp_series.sd */
};
struct slot_delta {
    uint32_t slot;
    uint64_t by;
};

struct qtp_series {
    struct qtp_deploy *d;
    uint32_t period_ms;
    bool latency;
    unsigned nstages;
    _Atomic uint64_t opened; /* window start, 0 until it opens */
    size_t n, cap;
    struct sample *s;
    uint64_t *done, *depth; /* cap x nstages */
    struct qtp_hist *prev;  /* the latency so far (qtp_hist_sample_live) */
    uint64_t last_t;        /* end of the last interval */
    struct ival *iv;
    size_t niv, capiv;
    struct slot_delta *sd;
    size_t nsd, capsd;
    bool oom; /* a sample was lost for memory: said in the summary */
};

int qtp_series_create(struct qtp_series **out, struct qtp_deploy *d, uint32_t period_ms,
                      bool latency)
{
    struct qtp_series *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    s->d = d;
    s->period_ms = period_ms;
    s->latency = latency;
    struct qtp_positions p;
    qtp_deploy_positions(d, &p);
    s->nstages = p.nstages;
    if (latency && qtp_hist_create(&s->prev)) {
        free(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

void qtp_series_open(struct qtp_series *s, uint64_t mono_ns)
{
    atomic_store_explicit(&s->opened, mono_ns, memory_order_release);
}

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need)
        c *= 2;
    void *n = realloc(*v, c * size);
    if (!n)
        return false;
    *v = n;
    *cap = c;
    return true;
}

static void add_positions(struct qtp_series *s, uint64_t now)
{
    size_t cap = s->cap;
    if (!grow((void **)&s->s, &cap, s->n + 1, sizeof *s->s)) {
        s->oom = true;
        return;
    }
    if (cap != s->cap) {
        uint64_t *dn = realloc(s->done, cap * s->nstages * sizeof *dn);
        if (dn)
            s->done = dn;
        uint64_t *dp = dn ? realloc(s->depth, cap * s->nstages * sizeof *dp) : NULL;
        if (dp)
            s->depth = dp;
        if (!dn || !dp) {
            s->oom = true;
            return;
        }
        s->cap = cap;
    }
    struct qtp_positions p;
    qtp_deploy_positions(s->d, &p);
    s->s[s->n] = (struct sample){now, p.produced, p.finished};
    memcpy(s->done + s->n * s->nstages, p.done, s->nstages * sizeof *p.done);
    memcpy(s->depth + s->n * s->nstages, p.depth, s->nstages * sizeof *p.depth);
    s->n++;
}

static void grew(void *ctx, uint32_t slot, uint64_t by)
{
    struct qtp_series *s = ctx;
    if (!grow((void **)&s->sd, &s->capsd, s->nsd + 1, sizeof *s->sd)) {
        s->oom = true;
        return;
    }
    s->sd[s->nsd++] = (struct slot_delta){slot, by};
}

static void add_interval(struct qtp_series *s, uint64_t now)
{
    if (!s->latency)
        return;
    if (!grow((void **)&s->iv, &s->capiv, s->niv + 1, sizeof *s->iv)) {
        s->oom = true;
        return;
    }
    const struct qtp_hist *live[QTP_TOPO_MAX_INSTANCES];
    size_t nl = qtp_deploy_latency_live(s->d, live, QTP_TOPO_MAX_INSTANCES);
    size_t off = s->nsd;
    qtp_hist_sample_live(s->prev, live, nl, grew, s);
    s->iv[s->niv++] = (struct ival){s->last_t, now, off, s->nsd - off};
    s->last_t = now;
}

void qtp_series_sample(void *arg)
{
    struct qtp_series *s = arg;
    uint64_t opened = atomic_load_explicit(&s->opened, memory_order_acquire);
    if (!opened)
        return;
    uint64_t now = qtp_clock_mono_ns();
    if (!s->last_t)
        s->last_t = opened;
    add_positions(s, now);
    add_interval(s, now);
}

void qtp_series_finish(struct qtp_series *s, uint64_t window_end_ns)
{
    uint64_t opened = atomic_load_explicit(&s->opened, memory_order_acquire);
    if (!opened)
        return;
    if (!s->last_t)
        s->last_t = opened;
    uint64_t end = window_end_ns ? window_end_ns : qtp_clock_mono_ns();
    if (window_end_ns) {
        while (s->n && s->s[s->n - 1].t_ns > end)
            s->n--;
        if (s->period_ms)
            add_positions(s, end);
        /* Intervals that began after the window closed: their deltas (normally none) join the
         * last one that began inside it, which ends at the window's end. */
        size_t keep = s->niv;
        while (keep > 1 && s->iv[keep - 1].t0 >= end)
            keep--;
        if (keep) {
            s->iv[keep - 1].len = s->nsd - s->iv[keep - 1].off;
            if (s->iv[keep - 1].t1 > end)
                s->iv[keep - 1].t1 = end;
            s->niv = keep;
            s->last_t = s->iv[keep - 1].t1;
        }
    }
    if (!s->latency)
        return;
    if (s->last_t < end || !s->niv) {
        add_interval(s, end > s->last_t ? end : s->last_t);
        return;
    }
    /* The last interval reaches the end already: what the terminals recorded after its sample
     * joins it. */
    const struct qtp_hist *live[QTP_TOPO_MAX_INSTANCES];
    size_t nl = qtp_deploy_latency_live(s->d, live, QTP_TOPO_MAX_INSTANCES);
    qtp_hist_sample_live(s->prev, live, nl, grew, s);
    s->iv[s->niv - 1].len = s->nsd - s->iv[s->niv - 1].off;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void qtp_series_summary(const struct qtp_series *s, struct qtp_series_stats *out)
{
    memset(out, 0, sizeof *out);
    out->period_ms = s->period_ms;
    out->samples = s->n;
    out->bottleneck_depth = out->median_interval_eps = out->worst_interval_eps = NAN;
    out->worst_ratio = NAN;
    if (!s->n || !s->nstages)
        return;
    /* Behind a bottleneck every queue in front of it fills up too (backpressure): what marks it
     * is a full input with room after it, so each stage scores what waits in front of it beyond
     * what waits in front of the fullest stage it feeds. */
    double mean[QTP_TOPO_MAX_INSTANCES] = {0}, score[QTP_TOPO_MAX_INSTANCES] = {0};
    for (unsigned k = 0; k < s->nstages; k++) {
        unsigned outs[QTP_TOPO_MAX_INSTANCES];
        size_t no = qtp_deploy_stage_outs(s->d, k, outs, QTP_TOPO_MAX_INSTANCES);
        for (size_t i = 0; i < s->n; i++) {
            const uint64_t *dep = s->depth + i * s->nstages;
            uint64_t after = 0;
            for (size_t o = 0; o < no; o++)
                after = dep[outs[o]] > after ? dep[outs[o]] : after;
            mean[k] += (double)dep[k];
            score[k] += dep[k] > after ? (double)(dep[k] - after) : 0;
        }
        mean[k] /= (double)s->n;
    }
    unsigned b = 0;
    for (unsigned k = 1; k < s->nstages; k++)
        b = score[k] > score[b] ? k : b;
    if (score[b] > 0) {
        qtp_fmt(out->bottleneck, sizeof out->bottleneck, "%s", qtp_deploy_stage_role(s->d, b));
        out->bottleneck_depth = mean[b];
    }
    if (s->n < 2)
        return;
    double *eps = malloc((s->n - 1) * sizeof *eps);
    if (!eps)
        return;
    size_t m = 0;
    for (size_t i = 1; i < s->n; i++) {
        uint64_t dt = s->s[i].t_ns - s->s[i - 1].t_ns;
        if (dt)
            eps[m++] = (double)(s->s[i].finished - s->s[i - 1].finished) * 1e9 / (double)dt;
    }
    if (m) {
        qsort(eps, m, sizeof *eps, cmp_double);
        out->worst_interval_eps = eps[0];
        out->median_interval_eps = m % 2 ? eps[m / 2] : (eps[m / 2 - 1] + eps[m / 2]) / 2;
        out->worst_ratio =
            out->median_interval_eps > 0 ? out->worst_interval_eps / out->median_interval_eps : NAN;
    }
    free(eps);
}

int qtp_series_write_csv(const struct qtp_series *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return errno ? errno : EIO;
    fputs("t_ms,produced,finished", f);
    for (int pass = 0; pass < 2; pass++)
        for (unsigned k = 0; k < s->nstages; k++)
            fprintf(f, ",%s_%s", pass ? "depth" : "done", qtp_deploy_stage_role(s->d, k));
    fputs(",eps\n", f);
    uint64_t opened = atomic_load_explicit(&s->opened, memory_order_acquire);
    for (size_t i = 0; i < s->n; i++) {
        const struct sample *x = &s->s[i];
        fprintf(f, "%.3f,%" PRIu64 ",%" PRIu64, (double)(x->t_ns - opened) / 1e6, x->produced,
                x->finished);
        for (int pass = 0; pass < 2; pass++)
            for (unsigned k = 0; k < s->nstages; k++)
                fprintf(f, ",%" PRIu64, (pass ? s->depth : s->done)[i * s->nstages + k]);
        uint64_t dt = i ? x->t_ns - s->s[i - 1].t_ns : 0;
        if (dt)
            fprintf(f, ",%.1f\n", (double)(x->finished - s->s[i - 1].finished) * 1e9 / (double)dt);
        else
            fputs(",\n", f);
    }
    int bad = ferror(f);
    if (fclose(f) || bad)
        return EIO;
    return 0;
}

int qtp_series_write_hlog(const struct qtp_series *s, FILE *f, const char *tag,
                          uint64_t base_mono_ns)
{
    if (!s->latency || !s->niv)
        return 0;
    struct qtp_hist *h;
    if (qtp_hist_create(&h))
        return ENOMEM;
    int rc = 0;
    for (size_t i = 0; !rc && i < s->niv; i++) {
        const struct ival *v = &s->iv[i];
        if (!v->len)
            continue;
        qtp_hist_reset(h);
        for (size_t k = 0; k < v->len; k++)
            qtp_hist_add_slot(h, s->sd[v->off + k].slot, s->sd[v->off + k].by);
        double start = v->t0 > base_mono_ns ? (double)(v->t0 - base_mono_ns) / 1e9 : 0;
        rc = qtp_hlog_write_interval(f, tag, start, (double)(v->t1 - v->t0) / 1e9, h);
    }
    qtp_hist_destroy(h);
    return rc;
}

size_t qtp_series_intervals(const struct qtp_series *s)
{
    return s->niv;
}

void qtp_series_destroy(struct qtp_series *s)
{
    if (!s)
        return;
    if (s->prev)
        qtp_hist_destroy(s->prev);
    free(s->s);
    free(s->done);
    free(s->depth);
    free(s->iv);
    free(s->sd);
    free(s);
}
