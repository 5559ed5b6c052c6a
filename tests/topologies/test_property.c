/* topo_property: random nested descriptions (depth <= 3, fan-out <= 4, shards <= 4), random ring
 * sizes, batches and event counts; both deployments must agree with the model. Then, with
 * --qtopo PATH, a few of them as expressions through `qtopo run` end to end: every queue kind
 * (so every family), a wait strategy that does not spin, each rep checked against the model by
 * the run and every row read back (ok, verified, its topology the canonical expression).
 * Options: --seed N (or QTOPO_SEED), --cases N (or QTOPO_PROPERTY_CASES; default 200),
 * --qtopo PATH, --runs N (expressions run through qtopo; default 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qtp_lang.h"
#include "qtp_wait.h"
#include "topo_util.h"

static uint64_t seed;
static unsigned ncases = 200;
static unsigned stage_names;
static const char *qtopo;
static unsigned nruns = 3;

#if TOPO_SANITIZED
#define MAX_INST 12
#define MAX_EVENTS 120
#else
#define MAX_INST 20
#define MAX_EVENTS 400
#endif

static unsigned pick(uint64_t *rs, unsigned n)
{
    return (unsigned)(topo_rand(rs) % n);
}

static struct qtp_node *gen(uint64_t *rs, unsigned depth, bool shards)
{
    if (depth == 0 || pick(rs, 100) < 30) {
        char name[16];
        snprintf(name, sizeof(name), "g%u", ++stage_names);
        struct qtp_stage_params p = {name, pick(rs, 10) == 0 ? pick(rs, 2000) : 0, 0};
        return qtp_stage(&p);
    }
    switch (pick(rs, shards ? 3 : 2)) {
    case 0: {
        unsigned n = 2 + pick(rs, 2);
        struct qtp_node *v[3];
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards);
        return qtp_seqv(n, v);
    }
    case 1: {
        unsigned n = 1 + pick(rs, 4);
        struct qtp_node *v[4];
        for (unsigned i = 0; i < n; i++)
            v[i] = gen(rs, depth - 1, shards);
        return qtp_fanout(n, v);
    }
    default:
        return qtp_shard(gen(rs, depth - 1, shards), 1u << pick(rs, 3));
    }
}

/* A random description that fits the limits of this build. */
static void gen_topology(uint64_t *rs, struct qtp_topology *t)
{
    for (;;) {
        stage_names = 0;
        bool multi = pick(rs, 10) == 0;
        struct qtp_node *root;
        if (multi) {
            struct qtp_stage_params p = {"first", 0, 0};
            root = qtp_seq(qtp_stage(&p), gen(rs, 3, false));
        } else {
            root = gen(rs, 3, true);
            if (pick(rs, 2)) {
                struct qtp_stage_params p = {"last", 0, 0};
                root = qtp_seq(root, qtp_stage(&p));
            }
        }
        static const size_t payloads[] = {0, 8, 16, 24, 100, 1024};
        if (qtp_topology_init(t, "random", root, multi ? 3 : 1, payloads[pick(rs, 6)]) != 0)
            continue;
        if (t->ninstances <= MAX_INST)
            return;
        qtp_topology_fini(t);
    }
}

static void test_property(void **state)
{
    (void)state;
    uint64_t rs = seed;
    unsigned runs = 0, max_threads = 0;
    uint64_t events = 0;
    double t0 = topo_now();
    for (unsigned c = 0; c < ncases; c++) {
        struct qtp_topology t;
        gen_topology(&rs, &t);
        if (t.nthreads > max_threads)
            max_threads = t.nthreads;
        uint32_t ring = 1u << pick(&rs, 7);
        struct topo_run base = {0};
        base.ring_size = ring;
        base.batch = 1 + pick(&rs, ring);
        base.consumer_batch = pick(&rs, 4) == 0 ? 1 + pick(&rs, 3) : 0;
        base.warmup = pick(&rs, 4);
        base.events = pick(&rs, 5) == 0 ? pick(&rs, 6) : pick(&rs, MAX_EVENTS);
        base.seed = topo_rand(&rs);
        base.record_latency = pick(&rs, 2);
        base.timeout_s = 60;
        /* Busy-spinning more threads than cores is slow, not wrong: only with small counts. */
        bool spin_ok = t.nthreads <= 3 && base.warmup + base.events <= 50;
        unsigned ring_cfg = spin_ok ? pick(&rs, 3) : 1 + pick(&rs, 2);
        unsigned mutex_cfg = 3 + pick(&rs, 2);
        unsigned ck_cfg = spin_ok ? 7 + pick(&rs, 3) : 8 + pick(&rs, 2);
        unsigned cfgs[3] = {ring_cfg, mutex_cfg, ck_cfg};
        for (unsigned k = 0; k < 3; k++) {
            struct topo_run r = base;
            topo_config(cfgs[k], &r);
            int rc = topo_run(&t, &r);
            if (rc != 0 || !r.verified || r.events_done != r.events * t.producers) {
                char desc[4096];
                qtp_topology_describe(&t, desc, sizeof(desc));
                print_error("case %u (seed %llu) over %s: ring %u batch %u consumer batch %u "
                            "warmup %llu events %llu (done %llu) payload %zu: rc %d: "
                            "%s\n%s\nprogress: %s\n",
                            c, (unsigned long long)seed, topo_config_name(cfgs[k]), ring, r.batch,
                            r.consumer_batch, (unsigned long long)r.warmup,
                            (unsigned long long)r.events, (unsigned long long)r.events_done,
                            t.payload, rc, r.reason, desc, r.progress);
                fail();
            }
            assert_int_equal(r.events_done, r.events * t.producers);
            runs++;
            events += (r.warmup + r.events) * t.producers;
        }
        qtp_topology_fini(&t);
    }
    printf("  %u cases, %u runs, %llu events, up to %u threads, %.2f s\n", ncases, runs,
           (unsigned long long)events, max_threads, topo_now() - t0);
}

/* ---- through qtopo run ---- */

/* Run argv with stdout and stderr into log, for at most timeout_s (then killed). Exit status,
 * or -1. */
static int run_logged(char *const argv[], const char *log, int timeout_s)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        FILE *f = freopen(log, "w", stdout);
        if (!f || dup2(fileno(stdout), 2) < 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    for (long ms = 0;; ms += 10) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0)
            return -1;
        if (ms >= timeout_s * 1000L) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (cap - n < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

/* Every row of dir's results.jsonl ok and verified, of topology expr, one per queue kind. */
static bool rows_ok(const char *dir, const char *expr, char *why, size_t len)
{
    char path[4200], want[QTP_TOPO_EXPR_MAX + 32];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    char *text = slurp(path);
    if (!text) {
        snprintf(why, len, "no %.900s", path);
        return false;
    }
    snprintf(want, sizeof want, "\"topology\":\"%s\"", expr);
    unsigned rows = 0, kinds = 0;
    bool ok = true;
    for (char *line = strtok(text, "\n"); line && ok; line = strtok(NULL, "\n"), rows++) {
        if (!strstr(line, want) || !strstr(line, "\"status\":\"ok\"") ||
            !strstr(line, "\"verified\":true")) {
            snprintf(why, len, "row %u: %.600s", rows + 1, line);
            ok = false;
        }
        for (const struct qtp_queue_kind *q = qtp_queue_kinds; q->name; q++) {
            char kq[96];
            snprintf(kq, sizeof kq, "\"queue\":\"%s\"", q->name);
            kinds += strstr(line, kq) != NULL;
        }
    }
    unsigned nkinds = 0;
    while (qtp_queue_kinds[nkinds].name)
        nkinds++;
    if (ok && (rows != nkinds || kinds != nkinds)) {
        snprintf(why, len, "%u rows over %u queue kinds, expected one per kind (%u)", rows, kinds,
                 nkinds);
        ok = false;
    }
    free(text);
    return ok;
}

static void test_qtopo_run(void **state)
{
    (void)state;
    if (!qtopo)
        skip();
    uint64_t rs = seed ^ 0x9e3779b97f4a7c15ull;
    const struct qtp_wait_ops *calm[16];
    unsigned ncalm = 0;
    for (const struct qtp_wait_ops *w = qtp_wait_strategies; w->name && ncalm < 16; w++)
        if (!w->spins) /* spinning threads beyond the PUs would be skipped cells */
            calm[ncalm++] = w;
    assert_true(ncalm > 0);
    char tmpl[] = "/tmp/qtopo-property.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    double t0 = topo_now();
    for (unsigned c = 0; c < nruns; c++) {
        struct qtp_topology t;
        gen_topology(&rs, &t);
        char expr[QTP_TOPO_EXPR_MAX];
        assert_int_equal(qtp_topo_print(&t, expr, sizeof expr), 0);
        qtp_topology_fini(&t);
        char dir[64], log[64], n[24], ring[24];
        snprintf(dir, sizeof dir, "%s/run%u", tmpl, c);
        snprintf(log, sizeof log, "%s/run%u.log", tmpl, c);
        snprintf(n, sizeof n, "%u", 1 + pick(&rs, MAX_EVENTS));
        unsigned ring_size = 1u << (2 + pick(&rs, 9));
        snprintf(ring, sizeof ring, "%u", ring_size);
        const char *wait = calm[pick(&rs, ncalm)]->name;
        char *argv[] = {(char *)qtopo, "run",        "-t",          expr, "-q",     "all",
                        "-w",          (char *)wait, "-p",          "os", "-n",     n,
                        "--warmup",    "0",          "--ring-size", ring, "--reps", "1",
                        "--timeout",   "60",         "-o",          dir,  NULL};
        printf("  run %u: %s over every queue kind, wait %s, %s events, ring %s\n", c, expr, wait,
               n, ring);
        fflush(stdout);
        int rc = run_logged(argv, log, 300);
        char why[1024] = "";
        if (rc != 0 || !rows_ok(dir, expr, why, sizeof why)) {
            char *out = slurp(log);
            print_error("qtopo run of %s (seed %llu, run %u) exited %d: %s\n%s\n", expr,
                        (unsigned long long)seed, c, rc, why, out ? out : "");
            free(out);
            fail();
        }
    }
    printf("  %u expressions through qtopo run, %.2f s\n", nruns, topo_now() - t0);
    char *rm[] = {"/bin/rm", "-rf", tmpl, NULL};
    run_logged(rm, "/dev/null", 60);
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    const char *e = getenv("QTOPO_PROPERTY_CASES");
    if (e && *e)
        ncases = (unsigned)strtoul(e, NULL, 0);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--cases") == 0)
            ncases = (unsigned)strtoul(argv[i + 1], NULL, 0);
        else if (strcmp(argv[i], "--qtopo") == 0)
            qtopo = argv[i + 1];
        else if (strcmp(argv[i], "--runs") == 0)
            nruns = (unsigned)strtoul(argv[i + 1], NULL, 0);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_property),
                                       cmocka_unit_test(test_qtopo_run)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
