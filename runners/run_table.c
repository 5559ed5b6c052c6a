/* run_table.c - the table `qtopo run` prints at the end: one line per cell that ran, from the
 * cells' summaries; skipped cells counted by reason. */
#include <errno.h>
#include <string.h>

#include "qtp_format.h"
#include "qtp_summary.h"
#include "qtp_text.h"
#include "run_int.h"

int qtp_run_print_table(FILE *out, const struct qtp_rows *rows)
{
    struct qtp_summary s;
    if (qtp_summary_build(&s, rows->v, rows->n))
        return ENOMEM;
    bool vary[QTP_NPARAMS];
    qtp_params_varying(rows->v, rows->n, vary);
    fprintf(out, "%-10s %-12s %-5s %-10s %-7s %-16s %-8s %9s %9s %8s\n", "topology", "queue",
            "wait", "placement", "memory", "params", "status", "events/s", "p99", "alloc/ev");
    size_t nskipped = 0;
    struct {
        char reason[160];
        size_t n;
    } reasons[16];
    size_t nreasons = 0;
    for (size_t c = 0; c < s.ncells; c++) {
        const struct qtp_cell_summary *cs = &s.cells[c];
        const struct qtp_rep_record *r = cs->first;
        if (cs->status == QTP_STATUS_SKIPPED) {
            nskipped++;
            size_t k;
            for (k = 0; k < nreasons; k++)
                if (strncmp(reasons[k].reason, cs->reason, sizeof reasons[k].reason - 1) == 0)
                    break;
            if (k == nreasons && nreasons < 16) {
                qtp_fmt(reasons[k].reason, sizeof reasons[k].reason, "%s", cs->reason);
                reasons[k].n = 0;
                nreasons++;
            }
            if (k < nreasons)
                reasons[k].n++;
            continue;
        }
        char status[32], t[32], l[32], a[32], params[64];
        if (cs->failed)
            qtp_fmt(status, sizeof status, "FAIL %zu/%zu", cs->failed, cs->reps);
        else
            qtp_fmt(status, sizeof status, "ok %zu", cs->reps);
        qtp_format_rate(cs->stat[QTP_METRIC_THROUGHPUT].median, QTP_STYLE_TERMINAL, t, sizeof t);
        qtp_format_ns(cs->stat[QTP_METRIC_P99].median, QTP_STYLE_TERMINAL, l, sizeof l);
        qtp_format_num(cs->stat[QTP_METRIC_ALLOC].median, QTP_STYLE_TERMINAL, a, sizeof a);
        qtp_params_short_label(&r->params, vary, params, sizeof params);
        fprintf(out, "%-10s %-12s %-5s %-10s %-7s %-16s %-8s %9s %9s %8s%s\n", r->topology,
                r->queue, r->wait, r->placement, r->memory, params[0] ? params : "-", status, t, l,
                a, cs->oversubscribed ? "  (oversubscribed)" : "");
    }
    if (nskipped) {
        fprintf(out, "skipped cells: %zu\n", nskipped);
        for (size_t k = 0; k < nreasons; k++)
            fprintf(out, "  %4zu  %s\n", reasons[k].n, reasons[k].reason);
    }
    qtp_summary_free(&s);
    return 0;
}
