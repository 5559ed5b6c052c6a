/* fuzz_results: results.jsonl as `report`, `compare` and `--resume` read it - the rows, then
 * the one summary of rows into cells that every reader builds from them. */
#include "fuzz_util.h"
#include "qtp_results.h"
#include "qtp_summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/results.jsonl", fuzz_workdir());
    fuzz_write(path, data, size);
    struct qtp_rows rows = {0};
    struct qtp_results_load_info info = {0};
    char err[1024] = "";
    int rc = qtp_results_load_file(path, &rows, &info, err, sizeof(err));
    static const int ok[] = {EINVAL, EIO, ENOMEM};
    fuzz_expect("results.jsonl", rc, ok, 3, err);
    if (!rc && rows.n) {
        struct qtp_summary s;
        if (qtp_summary_build(&s, rows.v, rows.n) == 0)
            qtp_summary_free(&s);
    }
    qtp_rows_free(&rows);
    return 0;
}
