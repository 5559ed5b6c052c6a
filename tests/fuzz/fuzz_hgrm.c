/* fuzz_hgrm: the HdrHistogram percentile text reader `qtopo report` uses on hist/ files. */
#include "fuzz_util.h"
#include "report_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct qtp_rpt_hpoint *pts = NULL;
    size_t n = 0;
    char err[512] = "";
    int rc = qtp_rpt_parse_hgrm(text, "fuzz.hgrm", &pts, &n, err, sizeof(err));
    static const int ok[] = {EINVAL, ENOMEM};
    fuzz_expect("hgrm", rc, ok, 2, err);
    free(pts);
    free(text);
    return 0;
}
