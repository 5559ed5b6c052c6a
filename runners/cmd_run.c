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
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "qtp_clock.h"
#include "qtp_text.h"
#include "qtp_work.h"
#include "run_int.h"
#include "slice.h"

/* SIGINT/SIGTERM count: 1 = stop after the rep in flight, 2 = halt it now (the watchdog polls).
 * Signals closer together than SIGNAL_MERGE_NS count as one: GNU timeout (and a terminal's ^C
 * with a supervisor) sends one signal to qtopo and again to its process group. */
#define SIGNAL_MERGE_NS 250000000LL
static _Atomic int interrupted;
static _Atomic int last_signal;
static _Atomic long long last_signal_ns;

static void on_signal(int sig)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
    long long now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    long long last = atomic_exchange(&last_signal_ns, now);
    atomic_store(&last_signal, sig);
    if (atomic_load(&interrupted) == 0 || now - last >= SIGNAL_MERGE_NS)
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
            "    appended and fsync'd per cell), summary.csv (one row per cell),\n"
            "    hist/<cell>.hgrm (latency percentiles in HdrHistogram's format),\n"
            "    hist/<cell>.hlog (HdrHistogram interval log: tag rep<k>, one interval per\n"
            "    sample period), hist/<cell>.hiccup.hgrm (the platform's own lateness on the\n"
            "    cell's PUs, measured for 50 ms before its reps) and series/<cell>.r<k>.csv\n"
            "    (every stage's position and input depth per sample period). meta.json records\n"
            "    the machine's state (governor, turbo, SMT, isolated CPUs, THP, VM,\n"
            "    mitigations: unknown ones with the reason) and each row the load before and\n"
            "    after its cell and the kernel's event counters over its window.\n"
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
            "    errors; errors name FILE:LINE:COLUMN. A matrix has at most %d objects and\n"
            "    expands to at most %d cells.\n"
            "\n"
            "PROGRESS\n"
            "    On stderr: cells done of total, the current cell and rep, elapsed and estimated\n"
            "    remaining time; a bar redrawn in place when stderr is a terminal, one line per\n"
            "    cell otherwise. At the end, where the results went and a summary table.\n"
            "\n"
            "SLICES\n"
            "    --slice K/N runs the K-th of N slices of the matrix's cells, cut so that each\n"
            "    takes about the same expected time (a cost model: a cost per event by queue\n"
            "    family, wait strategy and round trip, times events and reps); every slice of\n"
            "    one matrix on one kind of machine computes the same cut. meta.json's \"slice\"\n"
            "    says which (k, n, matrix_hash, cell_index). --slice-plan N prints each slice's\n"
            "    cells and estimated time and runs nothing. `qtopo merge` joins the slices.\n"
            "ISOLATION\n"
            "    Each cell's reps run in a child process: a rep that crashes (SIGSEGV, SIGABRT)\n"
            "    is a failed row naming the signal and the rep's last progress, the cell's later\n"
            "    reps are left for --resume, and the matrix goes on. QTOPO_ISOLATE=0 runs the\n"
            "    cells in this process instead.\n"
            "\n"
            "SIGNALS\n"
            "    SIGINT/SIGTERM: the rep in flight finishes, what is done is written, exit 130;\n"
            "    a second signal halts the rep in flight; signals within 0.25 s count as one\n"
            "    (GNU timeout sends two). The model check before a cell's reps stops at the\n"
            "    first. After kill -9 at most the cell in flight is lost. Either way\n"
            "    `qtopo run --resume DIR` runs what is missing.\n"
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
            "    qtopo run --resume results/runs/20240101T120000.000Z-host\n"
            "    qtopo run --quick --slice-plan 4           # what each of 4 slices would take\n"
            "    qtopo run --quick --slice 2/4 -o /tmp/s2   # then qtopo merge OUT /tmp/s1 ...\n",
            QTP_MATRIX_MAX_PARTS, QTP_MATRIX_MAX_CELLS);
}

static int bad_input(const char *msg)
{
    return qtp_bad_input("run", "%s", msg);
}

/* Anything but bad input that stops the run before it began (out of memory, above all): one
 * line naming what, never a silent exit 1. */
static int failed(const char *what, int rc)
{
    qtp_message("run", "%s: %s", what, strerror(rc));
    return QTP_EXIT_FAILED;
}

/* Default directory: results/runs/<UTC time to the millisecond>-<host>[-N]: N is the first free
 * suffix, found by mkdir itself (open_new), so two runs started together get two directories. */
static void default_out(char *buf, size_t len, const struct qtp_machine *mach, int attempt)
{
    char now[32], host[64];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(now, sizeof now, "%Y%m%dT%H%M%S", &tm);
    qtp_fmt(host, sizeof host, "%s", mach->hostname[0] ? mach->hostname : "host");
    for (char *p = host; *p; p++)
        if (!(*p == '-' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    if (attempt)
        qtp_fmt(buf, len, "results/runs/%s.%03ldZ-%s-%d", now, ts.tv_nsec / 1000000, host,
                attempt + 1);
    else
        qtp_fmt(buf, len, "results/runs/%s.%03ldZ-%s", now, ts.tv_nsec / 1000000, host);
}

/* The results directory's lock, held until the process ends (a cell's child process closes its
 * copy, run_cell.c). */
static int held_lock = -1;

static int lock_dir(const char *dir, const char *flag)
{
    long holder;
    int rc = qtp_results_lock(dir, &held_lock, &holder);
    if (rc == EWOULDBLOCK && holder)
        return qtp_bad_input("run",
                             "%s %s: in use by another qtopo run (pid %ld); wait for it to "
                             "finish (accepted: a results directory no run holds)",
                             flag, dir, holder);
    if (rc == EWOULDBLOCK)
        return qtp_bad_input("run",
                             "%s %s: in use by another qtopo run (accepted: a results "
                             "directory no run holds)",
                             flag, dir);
    if (rc)
        return qtp_bad_input("run", "%s %s: cannot lock: %s", flag, dir, strerror(rc));
    return 0;
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
    /* Before reading what is done: two resumes at once would both run the missing reps. */
    if (lock_dir(dir, "--resume"))
        return QTP_EXIT_BAD;
    int rc = qtp_results_read_meta(dir, meta, err, sizeof err);
    if (rc) {
        qtp_fmt(msg, sizeof msg, "--resume %s: %s (accepted: a results directory with meta.json)",
                dir, rc == ENOENT ? "no meta.json" : err);
        return bad_input(msg);
    }
    json_t *mj = json_object_get(*meta, "matrix");
    /* Each way the matrix can be damaged says which, so the message never ends at its colon. */
    if (!mj)
        qtp_fmt(err, sizeof err, "no \"matrix\"");
    else if (!json_is_object(mj) && !json_is_array(mj))
        qtp_fmt(err, sizeof err, "\"matrix\" is not a JSON object or array");
    if (!(json_is_object(mj) || json_is_array(mj)) ||
        qtp_matrix_parts_from_json(mj, "meta.json \"matrix\"", &o->parts, &o->nparts, err,
                                   sizeof err)) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged matrix in meta.json: %s", dir, err);
        return bad_input(msg);
    }
    for (size_t i = 0; i < o->nparts; i++) {
        qtp_matrix_defaults(&o->parts[i]);
        if (qtp_matrix_check(&o->parts[i], mach, err, sizeof err)) {
            qtp_fmt(msg, sizeof msg, "--resume %s: %s", dir, err);
            return bad_input(msg);
        }
    }
    /* A slice resumes as that slice: the same cut of the same cells. */
    json_t *slice = json_object_get(*meta, "slice");
    int k = 0, n = 0;
    if (slice && (json_unpack(slice, "{s:i, s:i}", "k", &k, "n", &n) || n < 1 ||
                  n > QTP_SLICE_MAX || k < 1 || k > n)) {
        qtp_fmt(msg, sizeof msg, "--resume %s: damaged \"slice\" in meta.json", dir);
        return bad_input(msg);
    }
    o->slice_k = (unsigned)k;
    o->slice_n = (unsigned)n;
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
        default_out(dir, sizeof dir, mach, 0);
    struct stat st;
    if (o->out[0] && stat(dir, &st) == 0) {
        qtp_fmt(err, sizeof err,
                "-o/--out %s: exists (accepted: a new directory; qtopo never writes into an old "
                "one; use --resume DIR to finish an interrupted run)",
                dir);
        return bad_input(err);
    }
    qtp_clock_init(0);
    int rc = qtp_results_create(dir);
    for (int i = 1; rc == EEXIST && !o->out[0] && i < 100; i++) {
        default_out(dir, sizeof dir, mach, i);
        rc = qtp_results_create(dir);
    }
    if (rc) {
        /* A path the user cannot have (a parent that is a file, read-only, too long) is bad
         * input like an existing one; only a failing device is the run's failure. */
        bool bad = rc != EIO && rc != ENOSPC && rc != EDQUOT && rc != ENOMEM;
        qtp_message("run", "-o/--out %s: cannot create: %s%s", dir, strerror(rc),
                    bad ? " (accepted: a new directory in a writable place)" : "");
        return bad ? QTP_EXIT_BAD : QTP_EXIT_FAILED;
    }
    qtp_fmt(o->out, sizeof o->out, "%s", dir);
    if (lock_dir(dir, "-o/--out"))
        return QTP_EXIT_BAD;
    *meta = qtp_run_meta(mach, o->parts, o->nparts, cells, ncells, argc, argv);
    return 0;
}

/* --slice-plan N: what each slice would run and how long the cost model expects it to take. */
static int plan_slices(const struct qtp_run_opts *o, const struct qtp_machine *mach,
                       const struct qtp_cell *cells, size_t ncells)
{
    char hash[QTP_MATRIX_HASH_LEN];
    json_t *matrix = qtp_matrix_parts_to_json(o->parts, o->nparts);
    qtp_matrix_hash(matrix, hash);
    json_decref(matrix);
    return qtp_slice_print_plan(stdout, cells, ncells, mach->npus, o->slice_plan, hash)
               ? QTP_EXIT_FAILED
               : QTP_EXIT_OK;
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
        return failed("the rows of a cell", ENOMEM);
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
        qtp_message("run", "cannot write summary.csv: %s", err);
    if (run->rss_source[0] && !json_object_get(meta, "rss_peak_source")) {
        json_object_set_new(meta, "rss_peak_source", json_string(run->rss_source));
        qtp_results_write_meta(dir, meta);
    }
    /* The whole results (a resumed run prints the earlier cells too). */
    struct qtp_rows all = {0};
    if (qtp_results_load(dir, &all, NULL, err, sizeof err) == 0) {
        printf("\n");
        if (qtp_run_print_table(stdout, &all))
            qtp_message("run", "out of memory for the summary table");
    }
    qtp_rows_free(&all);
    int status = run->any_failed ? QTP_EXIT_FAILED : QTP_EXIT_OK;
    if (atomic_load(&interrupted)) {
        qtp_message("run", "interrupted by %s; what is done is in %s",
                    atomic_load(&last_signal) == SIGTERM ? "SIGTERM" : "SIGINT", dir);
        qtp_message("run", "finish it with: qtopo run --resume %s", dir);
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
    size_t *index = NULL; /* --slice: each cell's index in the whole matrix */
    int status = QTP_EXIT_OK, rc;
    if (!o)
        return failed("the options", ENOMEM);
    if (qtp_machine_load_env(&mach, err, sizeof err)) {
        qtp_message("run", "cannot read this machine's topology: %s", err);
        free(o);
        return QTP_EXIT_FAILED;
    }
    if ((rc = qtp_cli_parse_run(argc, argv, o, mach, err, sizeof err))) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : failed("reading the matrix", rc);
        goto out;
    }
    if (o->help) {
        usage(stdout);
        goto out;
    }
    /* From here on a signal is counted, never the default action: one that comes before the
     * first cell leaves nothing behind, one during the cells leaves what is done. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The results are the product and stdout only a view of them: a reader that goes away
     * (qtopo run | head) makes writes to stdout fail with EPIPE, never stops the run. */
    signal(SIGPIPE, SIG_IGN);
    bool resuming = o->resume[0] != 0;
    if (resuming && (status = load_resume(o->resume, o, &meta, &done, mach)))
        goto out;
    rc = qtp_matrix_expand_parts(o->parts, o->nparts, mach, &cells, &ncells, err, sizeof err);
    if (rc) {
        status = rc == QTP_CLI_BAD ? bad_input(err) : failed("expanding the matrix", rc);
        goto out;
    }
    if (atomic_load(&interrupted)) {
        qtp_message("run", "interrupted by %s before the run began; nothing was written",
                    atomic_load(&last_signal) == SIGTERM ? "SIGTERM" : "SIGINT");
        status = QTP_EXIT_INTERRUPTED;
        goto out;
    }
    if (o->slice_plan) {
        status = plan_slices(o, mach, cells, ncells);
        goto out;
    }
    size_t ntotal = ncells;
    if (o->slice_n &&
        (!(index = malloc((ncells + 1) * sizeof *index)) ||
         qtp_slice_select(cells, &ncells, mach->npus, o->slice_k, o->slice_n, index))) {
        status = QTP_EXIT_FAILED;
        goto out;
    }
    if (resuming) {
        qtp_clock_init(0);
        qtp_run_meta_resumed(meta, argc, argv);
    } else if ((status = open_new(o, mach, cells, ncells, argc, argv, &meta))) {
        goto out;
    } else if (o->slice_n) {
        json_object_set_new(meta, "slice",
                            qtp_slice_meta(o->parts, o->nparts, o->slice_k, o->slice_n, cells,
                                           ncells, index, ntotal, mach->npus));
    }
    struct qtp_run run = {.mach = mach,
                          .dir = resuming ? o->resume : o->out,
                          .done = &done,
                          .interrupted = &interrupted,
                          .rss_source = "",
                          .lock_fd = held_lock};
    qtp_work_calibrate();
    if ((rc = qtp_results_lock_record(run.dir)) || (rc = qtp_results_write_meta(run.dir, meta))) {
        qtp_message("run", "cannot write %s/meta.json: %s", run.dir, strerror(rc));
        status = QTP_EXIT_FAILED;
        goto out;
    }
    if (!(status = run_cells(&run, cells, ncells)))
        status = finish(&run, meta);
out:
    json_decref(meta);
    qtp_rows_free(&done);
    free(cells);
    free(index);
    qtp_run_opts_free(o);
    free(o);
    qtp_machine_free(mach);
    return status;
}
