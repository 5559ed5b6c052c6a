/* cmd_run.c - qtopo run: validate everything, create (or reopen) the results directory, run the
 * cells, print the table. Everything is validated before the results directory is created, so bad
 * input leaves nothing behind.
 *
 * Exit status: 0 every run rep verified; 1 some rep failed (the results are complete and say
 * why); 2 bad input, nothing written; 130 interrupted by SIGINT/SIGTERM (what was done is
 * written; `qtopo run --resume DIR` finishes it).
 *
 * Test-only environment (not in --help): QTOPO_TEST_STALL=STAGE:AFTER[:TOPOLOGY] makes stage
 * number STAGE stop after AFTER events (the watchdog test), QTOPO_TEST_FAULT=STAGE:SEQ[:TOPOLOGY]
 * corrupts one field of event SEQ (a failed model check); with TOPOLOGY only that topology's
 * cells. QTOPO_TEST_TTY=0|1 forces the progress display mode.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "qtp_clock.h"
#include "qtp_text.h"
#include "qtp_work.h"
#include "run_int.h"

/* SIGINT/SIGTERM count: 1 = stop after the rep in flight, 2 = halt it now (the watchdog polls). */
static _Atomic int interrupted;
static _Atomic int last_signal;

static void on_signal(int sig)
{
    atomic_store(&last_signal, sig);
    atomic_fetch_add(&interrupted, 1);
}

static void usage(FILE *out)
{
    fprintf(out,
            "NAME\n"
            "    qtopo run - run a matrix of topology x queue x wait x placement x parameters\n"
            "\n"
            "SYNOPSIS\n"
            "    qtopo run [OPTIONS]\n"
            "    qtopo run --matrix FILE [OPTIONS]\n"
            "    qtopo run --resume DIR\n"
            "\n"
            "DESCRIPTION\n"
            "    Expands the matrix into cells and runs each: plans the placement, places the\n"
            "    ring/queue storage, builds the deployment, warms up, runs --reps timed reps\n"
            "    (each a fresh deployment) and checks every rep against the sequential model;\n"
            "    a rep that disagrees is recorded failed with its reason, never as a number.\n"
            "    Results go to a new directory: meta.json, results.jsonl (one row per rep,\n"
            "    appended and fsync'd per cell), summary.csv (one row per cell) and\n"
            "    hist/<cell>.hgrm (latency percentiles in HdrHistogram's format).\n"
            "\n"
            "    With no options it runs the default matrix: every topology over every queue\n"
            "    kind and wait strategy and every placement policy (those this machine cannot\n"
            "    give, those that would repeat an earlier placement's PUs, and busy-spin cells\n"
            "    with more spinning threads than PUs are recorded as skipped with the reason),\n"
            "    400K events x 5 reps per cell, round trips (pingpong) 40K, about 3 minutes on\n"
            "    a 2-core machine; --quick (20K x 3, pingpong 4K) takes well under a minute.\n"
            "\n"
            "    LIST is comma-separated; every list-valued option sweeps (--fanout 3,6,12 makes\n"
            "    three cells per fanout cell). fanout, shards and stages sweep only the\n"
            "    topologies whose shape they change. Mutex queues always block: for them the\n"
            "    wait axis is one cell, \"block\". Counts take K/M/G suffixes (1000s; 1024s for\n"
            "    --ring-size, --batch and --payload).\n"
            "\n"
            "OPTIONS\n");
    qtp_cli_print_options(out);
    fprintf(out,
            "\n"
            "MATRIX FILE\n"
            "    A JSON object whose keys are the long option names above (\"ring_size\" and\n"
            "    \"work_ns\" are accepted too), each a string, a count or an array of them:\n"
            "      {\"topology\": [\"diamond\"], \"queue\": \"all\", \"events\": \"1M\",\n"
            "       \"fanout\": [3, 6], \"oversubscribe\": false}\n"
            "    or an array of such objects, whose cells are run together (each with its own\n"
            "    counts; a cell two of them give runs once):\n"
            "      [{\"topology\": \"diamond\", \"events\": \"1M\"},\n"
            "       {\"topology\": \"pingpong\", \"events\": \"50K\"}]\n"
            "    Flags given with --matrix override its keys in every object. Unknown keys are\n"
            "    errors; errors name FILE:LINE:COLUMN.\n"
            "\n"
            "PROGRESS\n"
            "    On stderr: cells done of total, the current cell and rep, elapsed and estimated\n"
            "    remaining time; a bar redrawn in place when stderr is a terminal, one line per\n"
            "    cell otherwise. At the end, where the results went and a summary table.\n"
            "\n"
            "ISOLATION\n"
            "    Each cell's reps run in a child process: a rep that crashes (SIGSEGV, SIGABRT)\n"
            "    is a failed row naming the signal and the rep's last progress, the cell's later\n"
            "    reps are left for --resume, and the matrix goes on. QTOPO_ISOLATE=0 runs the\n"
            "    cells in this process instead.\n"
            "\n"
            "SIGNALS\n"
            "    SIGINT/SIGTERM: the rep in flight finishes, what is done is written, exit 130;\n"
            "    a second signal halts the rep in flight. After kill -9 at most the cell in\n"
            "    flight is lost. Either way `qtopo run --resume DIR` runs what is missing.\n"
            "\n"
            "EXIT STATUS\n"
            "    0    every rep that ran was verified (skipped cells do not count)\n"
            "    1    some rep failed (model check, watchdog, error); see results.jsonl\n"
            "    2    bad input: one line on stderr names it; nothing was written\n"
            "    130  interrupted; resume with --resume DIR\n"
            "\n"
            "EXAMPLES\n"
            "    qtopo run                          # the default matrix\n"
            "    qtopo run --quick -o /tmp/q1       # a quick one, into /tmp/q1\n"
            "    qtopo run -t diamond,shard -q ring -w yield,block -p compact -n 1M -r 7\n"
            "    qtopo run -t fanout -q all --fanout 1,2,4,8 -w block\n"
            "    qtopo run -t unicast -q ring --rate 100K,1M   # paced latency\n"
            "    qtopo run --matrix experiments/diamond.json\n"
            "    qtopo run --resume results/runs/20240101T120000Z-host\n");
}

static int bad_input(const char *msg)
{
    return qtp_bad_input("run", "%s", msg);
}

/* Default directory: results/runs/<UTC time>-<host>, made unique if two runs start together. */
static void default_out(char *buf, size_t len, const struct qtp_machine *mach)
{
    char now[32], host[64];
    qtp_utc_now(now, sizeof now, true);
    qtp_fmt(host, sizeof host, "%s", mach->hostname[0] ? mach->hostname : "host");
    for (char *p = host; *p; p++)
        if (!(*p == '-' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    qtp_fmt(buf, len, "results/runs/%s-%s", now, host);
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 100; i++)
        qtp_fmt(buf, len, "results/runs/%s-%s-%d", now, host, i);
}

static int load_resume(const char *dir, struct qtp_run_opts *o, json_t **meta,
                       struct qtp_rows *rows, const struct qtp_machine *mach)
{
    char err[1024], msg[1400];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        qtp_fmt(msg, sizeof msg,
                "--resume %s: no such directory (accepted: a results directory written by "
                "qtopo run)",
                dir);
        return bad_input(msg);
    }
    int rc = qtp_results_read_meta(dir, meta, err, sizeof err);
    if (rc) {
        qtp_fmt(msg, sizeof msg, "--resume %s: %s (accepted: a results directory with meta.json)",
                dir, rc == ENOENT ? "no meta.json" : err);
        return bad_input(msg);
    }
    json_t *mj = json_object_get(*meta, "matrix");
    if (!(json_is_object(mj) || json_is_array(mj)) ||
        qtp_matrix_parts_from_json(mj, "meta.json \"matrix\"", &o->parts, &o->nparts, err,
                                   sizeof err)) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged matrix in meta.json: %s", dir,
                mj ? err : "no \"matrix\"");
        return bad_input(msg);
    }
    for (size_t i = 0; i < o->nparts; i++) {
        qtp_matrix_defaults(&o->parts[i]);
        if (qtp_matrix_check(&o->parts[i], mach, err, sizeof err)) {
            qtp_fmt(msg, sizeof msg, "--resume %s: %s", dir, err);
            return bad_input(msg);
        }
    }
    struct qtp_results_load_info info = {0};
    rc = qtp_results_load(dir, rows, &info, err, sizeof err);
    if (rc && rc != ENOENT) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged results: %s", dir, err);
        return bad_input(msg);
    }
    return 0;
}

/* A new results directory: dir (or the default name), which must not exist yet; its meta.json.
 * Everything has been validated: only now does anything get written. */
static int open_new(struct qtp_run_opts *o, const struct qtp_machine *mach,
                    const struct qtp_cell *cells, size_t ncells, int argc, char **argv,
                    json_t **meta)
{
    char dir[PATH_MAX], err[PATH_MAX + 256];
    if (o->out[0])
        qtp_fmt(dir, sizeof dir, "%s", o->out);
    else
        default_out(dir, sizeof dir, mach);
    struct stat st;
    if (stat(dir, &st) == 0) {
        qtp_fmt(err, sizeof err,
                "-o/--out %s: exists (accepted: a new directory; qtopo never writes into an old "
                "one; use --resume DIR to finish an interrupted run)",
                dir);
        return bad_input(err);
    }
    qtp_clock_init(0);
    int rc = qtp_results_create(dir);
    if (rc) {
        fprintf(stderr, "qtopo run: cannot create %s: %s\n", dir, strerror(rc));
        return rc == EEXIST ? QTP_EXIT_BAD : QTP_EXIT_FAILED;
    }
    qtp_fmt(o->out, sizeof o->out, "%s", dir);
    *meta = qtp_run_meta(mach, o->parts, o->nparts, cells, ncells, argc, argv);
    return 0;
}

/* The cells, one after the other, until done or interrupted; the run's status. */
static int run_cells(struct qtp_run *run, const struct qtp_cell *cells, size_t ncells)
{
    struct qtp_meter meter;
    double work = 0;
    uint32_t max_reps = 1;
    size_t skipped = 0;
    for (size_t i = 0; i < ncells; i++) {
        max_reps = cells[i].reps > max_reps ? cells[i].reps : max_reps;
        work += qtp_run_cell_work(&cells[i]);
        skipped += cells[i].skip;
    }
    if (!(run->recs = calloc(max_reps, sizeof *run->recs)))
        return QTP_EXIT_FAILED;
    qtp_meter_init(&meter, STDERR_FILENO, ncells, work);
    const char *tty = getenv("QTOPO_TEST_TTY");
    if (tty && *tty)
        qtp_meter_set_tty(&meter, atoi(tty) != 0);
    char line[PATH_MAX + 128];
    qtp_fmt(line, sizeof line, "qtopo run: %zu cells (%zu skipped), %u reps each, into %s", ncells,
            skipped, max_reps, run->dir);
    qtp_meter_note(&meter, line);
    run->meter = &meter;
    int status = QTP_EXIT_OK;
    for (size_t ci = 0; ci < ncells && !status && !atomic_load(&interrupted); ci++)
        status = qtp_run_cell(run, &cells[ci], ci);
    if (!status)
        qtp_meter_finish(&meter);
    qtp_meter_destroy(&meter);
    run->meter = NULL;
    free(run->recs);
    run->recs = NULL;
    return status;
}

/* After the cells: summary.csv, meta.json's last word, the table and where everything went. */
static int finish(const struct qtp_run *run, json_t *meta)
{
    char err[2048];
    const char *dir = run->dir;
    /* Skipped cells after the last run one are in results.jsonl but not yet in summary.csv. */
    int rc = qtp_results_update_summary(dir, err, sizeof err);
    if (rc && rc != ENOENT)
        fprintf(stderr, "qtopo run: cannot write summary.csv: %s\n", err);
    if (run->rss_source[0] && !json_object_get(meta, "rss_peak_source")) {
        json_object_set_new(meta, "rss_peak_source", json_string(run->rss_source));
        qtp_results_write_meta(dir, meta);
    }
    /* The whole results (a resumed run prints the earlier cells too). */
    struct qtp_rows all = {0};
    if (qtp_results_load(dir, &all, NULL, err, sizeof err) == 0) {
        printf("\n");
        if (qtp_run_print_table(stdout, &all))
            fprintf(stderr, "qtopo run: out of memory for the summary table\n");
    }
    qtp_rows_free(&all);
    int status = run->any_failed ? QTP_EXIT_FAILED : QTP_EXIT_OK;
    if (atomic_load(&interrupted)) {
        fprintf(stderr,
                "qtopo run: interrupted by %s; what is done is in %s\n"
                "qtopo run: finish it with: qtopo run --resume %s\n",
                atomic_load(&last_signal) == SIGTERM ? "SIGTERM" : "SIGINT", dir, dir);
        status = QTP_EXIT_INTERRUPTED;
    }
    printf("\nresults: %s\n", dir);
    printf("  %s/summary.csv  (one row per cell)\n  %s/results.jsonl  (one row per rep)\n", dir,
           dir);
    printf("  next: qtopo report %s\n", dir);
    return status;
}

int qtp_run_main(int argc, char **argv)
{
    char err[2048];
    struct qtp_machine *mach = NULL;
    struct qtp_run_opts *o = calloc(1, sizeof *o);
    struct qtp_cell *cells = NULL;
    size_t ncells = 0;
    struct qtp_rows done = {0};
    json_t *meta = NULL;
    int status = QTP_EXIT_OK, rc;
    if (!o)
        return QTP_EXIT_FAILED;
    if (qtp_machine_load_env(&mach, err, sizeof err)) {
        fprintf(stderr, "qtopo run: cannot read this machine's topology: %s\n", err);
        free(o);
        return QTP_EXIT_FAILED;
    }
    if ((rc = qtp_cli_parse_run(argc, argv, o, mach, err, sizeof err))) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : QTP_EXIT_FAILED;
        goto out;
    }
    if (o->help) {
        usage(stdout);
        goto out;
    }
    bool resuming = o->resume[0] != 0;
    if (resuming && (status = load_resume(o->resume, o, &meta, &done, mach)))
        goto out;
    rc = qtp_matrix_expand_parts(o->parts, o->nparts, mach, &cells, &ncells, err, sizeof err);
    if (rc) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : QTP_EXIT_FAILED;
        goto out;
    }
    if (resuming) {
        qtp_clock_init(0);
        qtp_run_meta_resumed(meta, argc, argv);
    } else if ((status = open_new(o, mach, cells, ncells, argc, argv, &meta))) {
        goto out;
    }
    struct qtp_run run = {.mach = mach,
                          .dir = resuming ? o->resume : o->out,
                          .done = &done,
                          .interrupted = &interrupted,
                          .rss_source = ""};
    qtp_work_calibrate();
    if ((rc = qtp_results_write_meta(run.dir, meta))) {
        fprintf(stderr, "qtopo run: cannot write %s/meta.json: %s\n", run.dir, strerror(rc));
        status = QTP_EXIT_FAILED;
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!(status = run_cells(&run, cells, ncells)))
        status = finish(&run, meta);
out:
    json_decref(meta);
    qtp_rows_free(&done);
    free(cells);
    qtp_run_opts_free(o);
    free(o);
    qtp_machine_free(mach);
    return status;
}
