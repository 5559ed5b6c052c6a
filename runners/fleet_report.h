/* fleet_report.h - `qtopo report` over a merge of several machines (qtopo merge): each machine's
 * own report in its directory (DIR/machines/KEY/report/), and a page with the machine axis:
 * the machines' descriptions, the missing slices and why, throughput and p99 per topology x
 * queue/wait side by side per machine, the ring's speed-up per machine and the best placement
 * per machine. */
#ifndef QTP_FLEET_REPORT_H
#define QTP_FLEET_REPORT_H

#include <stddef.h>

#include <jansson.h>

/* meta is DIR/meta.json (with "machines"); out_dir NULL: DIR/report (an earlier report there is
 * replaced). index gets the page's absolute path. 0, or an errno value with err: EINVAL no
 * machine has rows, EEXIST out_dir is something else, ENOMEM, write errors. */
int qtp_fleet_report(const char *dir, const json_t *meta, const char *out_dir,
                     const json_t *registries, char *index, size_t index_len, char *err,
                     size_t errlen);

#endif
