/* fuzz_meta: meta.json as its readers take it - `--resume` (the file, then its "matrix") and
 * `qtopo report` (the registries, the machine and the cells, beside a valid results.jsonl). */
#include "fuzz_util.h"
#include "qtp_cli.h"
#include "qtp_results.h"
#include "report_int.h"

#ifndef QTP_FUZZ_ROWS
#error "QTP_FUZZ_ROWS: a valid results.jsonl to read beside the fuzzed meta.json"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_workdir();
    static int ready;
    char path[128];
    if (!ready) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s/results.jsonl' && mkdir -p '%s/hist'",
                 QTP_FUZZ_ROWS, dir, dir);
        if (system(cmd) != 0)
            abort();
        ready = 1;
    }
    snprintf(path, sizeof(path), "%s/meta.json", dir);
    fuzz_write(path, data, size);
    char err[1024] = "";
    json_t *meta = NULL;
    int rc = qtp_results_read_meta(dir, &meta, err, sizeof(err));
    static const int ok[] = {EINVAL, ENOMEM};
    fuzz_expect("meta.json", rc, ok, 2, err);
    json_t *mj = meta ? json_object_get(meta, "matrix") : NULL;
    if (json_is_object(mj) || json_is_array(mj)) {
        struct qtp_matrix *parts = NULL;
        size_t n = 0;
        static const int bad[] = {QTP_CLI_BAD, ENOMEM};
        err[0] = 0;
        fuzz_expect("meta.json matrix",
                    qtp_matrix_parts_from_json(mj, "matrix", &parts, &n, err, sizeof(err)), bad, 2,
                    err);
        free(parts);
    }
    json_decref(meta);
    struct qtp_rpt r;
    memset(&r, 0, sizeof(r));
    err[0] = 0;
    rc = qtp_rpt_load(&r, dir, NULL, err, sizeof(err));
    fuzz_expect("report data", rc, ok, 2, err);
    qtp_rpt_free(&r);
    return 0;
}
