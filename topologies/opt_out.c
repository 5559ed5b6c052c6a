/* opt_out.c - the opt-out plan's text (qtp_deploy.h): reader:K@X%,producer:J@Y%. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qtp_deploy.h"

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
            return bad(err, len, "opt-out item '%s' names nobody (accepted: " ACCEPTED ")", item,
                       0, 0);
        if (!number(&p, &it.index) || *p++ != '@' || !number(&p, &it.pct) || strcmp(p, "%") != 0)
            return bad(err, len, "opt-out item '%s' is not WHO:INDEX@PERCENT%% (accepted: " ACCEPTED
                       ")", item, 0, 0);
        if (it.pct > 100)
            return bad(err, len, "opt-out item '%s': %u%% is over 100%% (accepted: 0..100)", item,
                       it.pct, 0);
        unsigned most = !t ? (it.producer ? QTP_TOPO_MAX_PRODUCERS : QTP_MAX_TERMINALS)
                        : it.producer ? t->producers
                                      : t->nterminals;
        if (it.index < 1 || it.index > most)
            return bad(err, len, "opt-out item '%s': index %u out of range (accepted: 1..%u)", item,
                       it.index, most);
        for (unsigned k = 0; k < out->n; k++)
            if (out->item[k].producer == it.producer && out->item[k].index == it.index)
                return bad(err, len, "opt-out item '%s' repeats who it names (accepted: each "
                           "reader and producer once)", item, 0, 0);
        if (out->n == QTP_OPT_OUT_MAX)
            return bad(err, len, "opt-out '%s': more than %u items", text, QTP_OPT_OUT_MAX, 0);
        out->item[out->n++] = it;
    }
    return 0;
}
