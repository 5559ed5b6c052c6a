/* opt_out.c - the opt-out plan (qtp_deploy.h): its text (reader:K@X%,producer:J@Y%), what it
 * makes of a deployment's producers and readers, and the check of a run that follows it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy_internal.h"

#define ACCEPTED "none, or reader:K@X%% and producer:J@Y%% items, comma-separated"

static int bad(char *err, size_t len, const char *fmt, const char *what, unsigned a, unsigned b)
{
    if (err && len)
        snprintf(err, len, fmt, what, a, b);
    return EINVAL;
}

/* A whole number at *s, advancing it; false when there is none or it is huge. */
static bool number(const char **s, unsigned *v)
{
    if (**s < '0' || **s > '9')
        return false;
    char *end;
    unsigned long x = strtoul(*s, &end, 10);
    if (x > 1000000)
        return false;
    *v = (unsigned)x;
    *s = end;
    return true;
}

int qtp_opt_out_parse(const char *text, const struct qtp_topology *t, struct qtp_opt_out *out,
                      char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (!text || !*text || strcmp(text, "none") == 0)
        return 0;
    if (t && t->pingpong)
        return bad(err, len, "opt-out '%s': a round trip has nobody to opt out (accepted: none)",
                   text, 0, 0);
    size_t tl = strlen(text);
    for (const char *s = text; s < text + tl || text[tl - 1] == ',';) {
        size_t n = strcspn(s, ",");
        char item[64];
        if (n == 0 || n >= sizeof item)
            return bad(err, len, "opt-out '%s': empty or overlong item (accepted: " ACCEPTED ")",
                       text, 0, 0);
        memcpy(item, s, n);
        item[n] = 0;
        s += n + (s[n] == ',');
        struct qtp_opt_out_item it = {0};
        const char *p = item;
        if (strncmp(p, "reader:", 7) == 0)
            p += 7;
        else if (strncmp(p, "producer:", 9) == 0)
            p += 9, it.producer = true;
        else
            return bad(err, len, "opt-out item '%s' names nobody (accepted: " ACCEPTED ")", item, 0,
                       0);
        if (!number(&p, &it.index) || *p++ != '@' || !number(&p, &it.pct) || strcmp(p, "%") != 0)
            return bad(err, len,
                       "opt-out item '%s' is not WHO:INDEX@PERCENT%% (accepted: " ACCEPTED ")",
                       item, 0, 0);
        if (it.pct > 100)
            return bad(err, len, "opt-out item '%s': %u%% is over 100%% (accepted: 0..100)", item,
                       it.pct, 0);
        unsigned most = !t            ? (it.producer ? QTP_TOPO_MAX_PRODUCERS : QTP_MAX_TERMINALS)
                        : it.producer ? t->producers
                                      : t->nterminals;
        if (it.index < 1 || it.index > most)
            return bad(err, len, "opt-out item '%s': index %u out of range (accepted: 1..%u)", item,
                       it.index, most);
        for (unsigned k = 0; k < out->n; k++)
            if (out->item[k].producer == it.producer && out->item[k].index == it.index)
                return bad(err, len,
                           "opt-out item '%s' repeats who it names (accepted: each "
                           "reader and producer once)",
                           item, 0, 0);
        if (out->n == QTP_OPT_OUT_MAX)
            return bad(err, len, "opt-out '%s': more than %u items", text, QTP_OPT_OUT_MAX, 0);
        out->item[out->n++] = it;
    }
    return 0;
}

int qtp__opt_out_check(const struct qtp_deploy_config *cfg, char *err, size_t len)
{
    const struct qtp_topology *t = cfg->topo;
    for (unsigned o = 0; cfg->opt_out && o < cfg->opt_out->n; o++) {
        /* Checked against this topology: the caller may have checked only the syntax. */
        const struct qtp_opt_out_item *it = &cfg->opt_out->item[o];
        unsigned most = it->producer ? t->producers : t->nterminals;
        if (it->index < 1 || it->index > most || it->pct > 100 || t->pingpong) {
            if (err && len)
                snprintf(err, len, "opt-out %s:%u@%u%% does not fit %s (accepted: index 1..%u)",
                         it->producer ? "producer" : "reader", it->index, it->pct, t->name, most);
            return EINVAL;
        }
    }
    return 0;
}

void qtp__opt_out_producers(struct qtp_deploy *d)
{
    if (d->cfg.opt_out)
        d->plan = *d->cfg.opt_out;
    d->cfg.opt_out = &d->plan;
    d->opting = d->plan.n > 0;
    for (unsigned p = 0; p < QTP_TOPO_MAX_PRODUCERS; p++)
        d->stop_after[p] = d->total;
    for (unsigned k = 0; k < d->plan.n; k++)
        if (d->plan.item[k].producer)
            d->stop_after[d->plan.item[k].index - 1] = d->total * d->plan.item[k].pct / 100;
}

void qtp__opt_out_reader(struct qtp_deploy *d, struct qtp__inst *ir)
{
    struct qtp__term *ts = &ir->ts;
    for (unsigned k = 0; k < d->plan.n; k++) {
        const struct qtp_opt_out_item *it = &d->plan.item[k];
        uint64_t share = d->total * d->t->producers * it->pct / 100;
        /* A share of everything it would see, or more, is no leaving at all. */
        if (!it->producer && it->index == (unsigned)ir->gi->terminal + 1 && share < ts->expected) {
            ir->leaves = true;
            ir->leave_after = share;
            ts->expected = share;
            ir->slow = true; /* the generic loop counts its events */
        }
    }
}

/* The check of a run with opt-outs: the model with each producer's events up to where it
 * stopped is what a terminal that stays must have seen; a terminal that left must have seen
 * exactly its share, each producer's stream up to some point, so its model is the one of those
 * prefixes (the inline check has already held every event to per-producer order). */
bool qtp__opt_out_verify(struct qtp_deploy *d, char *reason, size_t len)
{
    const struct qtp_graph *g = d->g;
    struct qtp_expect *want = malloc(sizeof *want), *pre = malloc(sizeof *pre);
    bool ok = want && pre;
    if (!ok)
        snprintf(reason, len, "the model: out of memory");
    if (ok)
        qtp_model_run_counts(d->t, d->cfg.seed, d->stop_after, want);
    for (unsigned k = 0; ok && k < g->nterms; k++) {
        const struct qtp__inst *ir = &d->inst[g->terms[k]];
        if (!ir->leaves)
            continue;
        const struct qtp_expect_term *got = &d->got->term[k];
        uint64_t sum = 0, counts[QTP_TOPO_MAX_PRODUCERS] = {0};
        for (unsigned p = 0; p < d->t->producers; p++) {
            counts[p] = got->count[p] < d->stop_after[p] ? got->count[p] : d->stop_after[p];
            sum += got->count[p];
        }
        if (sum != ir->leave_after) {
            snprintf(reason, len,
                     "terminal %s left after %" PRIu64 " events, its share is %" PRIu64,
                     ir->gi->role, sum, ir->leave_after);
            ok = false;
            break;
        }
        qtp_model_run_counts(d->t, d->cfg.seed, counts, pre);
        want->term[k] = pre->term[k];
    }
    if (ok)
        ok = qtp_expect_check(d->t, want, d->got, reason, len);
    free(want);
    free(pre);
    return ok;
}
