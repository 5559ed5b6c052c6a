/* fuzz_matrix: matrix files (`qtopo run --matrix FILE`): the JSON reader, then the defaults and
 * the check against this machine that every part goes through before expansion. */
#include "fuzz_util.h"
#include "machine.h"
#include "qtp_cli.h"

static struct qtp_machine *mach;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    if (qtp_machine_load_env(&mach, err, sizeof(err))) {
        fprintf(stderr, "cannot read this machine: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct qtp_matrix *parts = NULL;
    size_t n = 0;
    char err[1024] = "";
    int rc = qtp_matrix_parts_from_json_text(text, "fuzz.json", &parts, &n, err, sizeof(err));
    static const int ok[] = {QTP_CLI_BAD, ENOMEM};
    fuzz_expect("matrix", rc, ok, 2, err);
    for (size_t i = 0; !rc && i < n; i++) {
        qtp_matrix_defaults(&parts[i]);
        err[0] = 0;
        fuzz_expect("matrix check", qtp_matrix_check(&parts[i], mach, err, sizeof(err)), ok, 2,
                    err);
    }
    free(parts);
    free(text);
    return 0;
}
