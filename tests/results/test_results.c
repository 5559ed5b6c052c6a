/* results_files: the results directory - create never overwrites, meta.json, JSON round trip
 * of a full row, cell ids, append + load with a truncated last line and a damaged line,
 * summary.csv, hist/<cell>.hgrm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qtp_results.h"

/* Test paths and names are short; truncation would fail the test visibly anyway. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static char base[256];

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

static void spit(const char *path, const char *mode, const char *text)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void new_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", base, name);
    assert_int_equal(qtp_results_create(buf), 0);
}

/* A row with every field set to something distinct. */
static void full_row(struct qtp_rep_record *r, const char *topo, int rep, double tp)
{
    memset(r, 0, sizeof *r);
    strcpy(r->topology, topo);
    strcpy(r->queue, "ring");
    strcpy(r->wait, "spin");
    strcpy(r->placement, "cpus:0,1");
    strcpy(r->memory, "node:0");
    r->params = (struct qtp_cell_params){.events = 1000000,
                                         .warmup = 10000,
                                         .ring_size = 1024,
                                         .batch = 16,
                                         .payload = 64,
                                         .work_ns = 250,
                                         .fanout = 2,
                                         .shards = 4,
                                         .stages = 3,
                                         .rate = 1e5};
    assert_int_equal(qtp_cell_id(r->cell, sizeof r->cell, r->topology, r->queue, r->wait,
                                 r->placement, r->memory, &r->params),
                     0);
    r->rep = rep;
    r->status = QTP_STATUS_OK;
    r->verified = true;
    r->oversubscribed = rep % 2;
    r->throughput_eps = tp;
    r->elapsed_s = 0.123456789012345;
    r->latency_ns = (struct qtp_latency){123456, 234.5678901, 200, 300,  1000,  5000,
                                         20000,  123456,      7,   35.0, 1234.5};
    r->alloc = (struct qtp_alloc_stats){7, 4096, 6, 7e-6, 4.096e-3};
    r->cpu = (struct qtp_cpu_stats){1.25, 0.5, 12, 3, 1750.5};
    r->rss_peak_kb = 65432;
    r->nthreads = 3;
    const char *roles[] = {"producer", "stage:c1", "shard:w[1]"};
    for (size_t i = 0; i < 3; i++) {
        strcpy(r->threads[i].role, roles[i]);
        r->threads[i].cpu_wanted = i == 2 ? -1 : (int)i;
        r->threads[i].ncpus_seen = i + 1;
        for (size_t k = 0; k <= i; k++)
            r->threads[i].cpus_seen[k] = (int)(k * 2);
        r->threads[i].node = i == 2 ? -1 : 0;
    }
    r->nstages = 2;
    r->stages[0] = (struct qtp_stage_batching_record){"c1", 1000, 1000000, 1000.0, 0.1};
    r->stages[1] = (struct qtp_stage_batching_record){"w[1]", 4000, 1000000, 250.0, 0.4};
    r->nbuffer_nodes = 2;
    r->buffer_nodes[0] = 0;
    r->buffer_nodes[1] = 1;
    snprintf(r->hist_file, sizeof r->hist_file, "hist/%s.hgrm", r->cell);
}

static void test_create_never_overwrites(void **state)
{
    (void)state;
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/deep/er/run1", base);
    assert_int_equal(qtp_results_create(dir), 0);
    path_of(p, sizeof p, dir, "hist");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    path_of(p, sizeof p, dir, "results.jsonl");
    spit(p, "w", "precious\n");
    assert_int_equal(qtp_results_create(dir), EEXIST);
    char *s = slurp(p);
    assert_string_equal(s, "precious\n");
    free(s);
    /* An existing empty directory is refused too; so is an existing file. */
    snprintf(dir, sizeof dir, "%s/deep", base);
    assert_int_equal(qtp_results_create(dir), EEXIST);
    assert_int_equal(qtp_results_create(p), EEXIST);
    assert_int_equal(qtp_results_create(""), EINVAL);
}

static void test_meta(void **state)
{
    (void)state;
    char dir[512], err[256];
    new_dir(dir, sizeof dir, "meta");
    json_t *meta = json_pack("{s:s,s:{s:i,s:[i,i]},s:s}", "cpu_model", "Test CPU", "numa", "nodes",
                             2, "distances", 10, 21, "clock", "tsc");
    assert_int_equal(qtp_results_write_meta(dir, meta), 0);
    json_t *back = NULL;
    assert_int_equal(qtp_results_read_meta(dir, &back, err, sizeof err), 0);
    assert_true(json_equal(meta, back));
    json_decref(back);
    /* Replaced whole, and no temporary file left behind. */
    json_object_set_new(meta, "clock", json_string("clock_monotonic"));
    assert_int_equal(qtp_results_write_meta(dir, meta), 0);
    assert_int_equal(qtp_results_read_meta(dir, &back, err, sizeof err), 0);
    assert_string_equal(json_string_value(json_object_get(back, "clock")), "clock_monotonic");
    json_decref(back);
    json_decref(meta);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", dir); /* hist, meta.json */
    assert_int_equal(system(cmd), 0);

    char p[600];
    path_of(p, sizeof p, dir, "meta.json");
    spit(p, "w", "{\n  \"a\": 1,\n  \"b\": \n}\n");
    assert_int_equal(qtp_results_read_meta(dir, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "meta.json line 4 column 1: unexpected token"));
    new_dir(dir, sizeof dir, "meta-missing");
    assert_int_equal(qtp_results_read_meta(dir, &back, err, sizeof err), ENOENT);
}

static void test_cell_id(void **state)
{
    (void)state;
    char id[512];
    struct qtp_cell_params p = {.events = 1000000, .ring_size = 1024, .batch = 1};
    assert_int_equal(qtp_cell_id(id, sizeof id, "diamond", "ring", "spin", "compact", "local", &p),
                     0);
    assert_string_equal(id, "diamond.ring.spin.compact.local.n1M.r1024.b1.p0.w0");
    p.warmup = 5000; /* not part of the id */
    assert_int_equal(qtp_cell_id(id, sizeof id, "diamond", "ring", "spin", "compact", "local", &p),
                     0);
    assert_string_equal(id, "diamond.ring.spin.compact.local.n1M.r1024.b1.p0.w0");
    p = (struct qtp_cell_params){.events = 2500000000ULL,
                                 .ring_size = 65536,
                                 .batch = 16,
                                 .payload = 1000,
                                 .work_ns = 100,
                                 .fanout = 4,
                                 .shards = 8,
                                 .stages = 3,
                                 .rate = 1e6};
    assert_int_equal(
        qtp_cell_id(id, sizeof id, "shard", "mutex-array", "block", "cpus:0-3,6", "node:1", &p), 0);
    assert_string_equal(id, "shard.mutex-array.block.cpus_0-3+6.node_1.n2500M.r65536.b16.p1K.w100."
                            "f4.s8.l3.rate1M");
    p.rate = 12.5;
    assert_int_equal(qtp_cell_id(id, sizeof id, "a.b/c", "q", "w", "x", "y", &p), 0);
    assert_non_null(strstr(id, "a~2eb~2fc.q.w.x.y."));
    assert_non_null(strstr(id, ".rate12p5"));
    for (const char *c = id; *c; c++)
        assert_non_null(
            strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+~.", *c));
    char small[20];
    assert_int_equal(qtp_cell_id(small, sizeof small, "diamond", "ring", "spin", "os", "local", &p),
                     ENAMETOOLONG);
    assert_true(strlen(small) < sizeof small);
    /* Every parameter that differs gives a different id. */
    struct qtp_cell_params q0 = {.events = 1000, .ring_size = 8, .batch = 1};
    char a[512], b[512];
    qtp_cell_id(a, sizeof a, "t", "q", "w", "p", "m", &q0);
    for (int f = 0; f < 9; f++) {
        struct qtp_cell_params q = q0;
        switch (f) {
        case 0:
            q.events++;
            break;
        case 1:
            q.ring_size *= 2;
            break;
        case 2:
            q.batch++;
            break;
        case 3:
            q.payload++;
            break;
        case 4:
            q.work_ns++;
            break;
        case 5:
            q.fanout++;
            break;
        case 6:
            q.shards++;
            break;
        case 7:
            q.stages++;
            break;
        default:
            q.rate = 1;
            break;
        }
        qtp_cell_id(b, sizeof b, "t", "q", "w", "p", "m", &q);
        assert_string_not_equal(a, b);
    }
}

static void test_json_round_trip(void **state)
{
    (void)state;
    static struct qtp_rep_record r, back;
    char err[256];
    full_row(&r, "diamond", 3, 12345678.901234567);
    strcpy(r.reason, "a \"quoted\", multi\nline reason \xc3\xa9");
    json_t *j = qtp_rep_to_json(&r);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_null(strchr(text, '\n'));
    /* The field names of the results format. */
    const char *names[] = {"\"cell\":",
                           "\"topology\":",
                           "\"queue\":",
                           "\"wait\":",
                           "\"placement\":",
                           "\"memory\":",
                           "\"params\":",
                           "\"events\":",
                           "\"ring_size\":",
                           "\"batch\":",
                           "\"payload\":",
                           "\"work_ns\":",
                           "\"fanout\":",
                           "\"shards\":",
                           "\"stages\":",
                           "\"rate\":",
                           "\"warmup\":",
                           "\"rep\":",
                           "\"status\":\"ok\"",
                           "\"reason\":",
                           "\"verified\":true",
                           "\"oversubscribed\":true",
                           "\"throughput_eps\":",
                           "\"elapsed_s\":",
                           "\"latency_ns\":",
                           "\"p9999\":",
                           "\"alloc\":",
                           "\"bytes_per_event\":",
                           "\"cpu\":",
                           "\"involuntary_cs\":",
                           "\"rss_peak_kb\":",
                           "\"threads\":",
                           "\"cpus_seen\":[0,2]",
                           "\"buffer_nodes\":[0,1]",
                           "\"hist\":"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(text, names[i]))
            fail_msg("%s missing in %s", names[i], text);
    json_error_t je;
    j = json_loads(text, 0, &je);
    free(text);
    assert_non_null(j);
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), 0);
    json_decref(j);
    assert_memory_equal(&r, &back, sizeof r);

    /* Non-finite reals go out as null and come back as NaN; no hist is null. */
    r.throughput_eps = NAN;
    r.hist_file[0] = 0;
    r.status = QTP_STATUS_SKIPPED;
    j = qtp_rep_to_json(&r);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "throughput_eps")));
    assert_true(json_is_null(json_object_get(j, "hist")));
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), 0);
    assert_true(isnan(back.throughput_eps) && back.hist_file[0] == 0);
    assert_int_equal(back.status, QTP_STATUS_SKIPPED);

    /* Damage names the field. */
    json_object_set_new(j, "status", json_string("great"));
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), EINVAL);
    assert_string_equal(err, "field 'status' is 'great' (accepted: ok, failed, skipped)");
    json_object_set_new(j, "status", json_string("ok"));
    json_object_set_new(json_object_get(j, "latency_ns"), "p99", json_string("fast"));
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "field 'latency_ns.p99' should be an integer"));
    json_object_set_new(json_object_get(j, "latency_ns"), "p99", json_integer(-5));
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), EINVAL);
    json_object_set_new(json_object_get(j, "latency_ns"), "p99", json_integer(5));
    json_object_del(json_object_get(j, "params"), "stages");
    assert_int_equal(qtp_rep_from_json(j, &back, err, sizeof err), EINVAL);
    assert_string_equal(err, "field 'params.stages' is missing");
    json_decref(j);
}

static void append_cell(const char *dir, const char *topo, int reps, double tp0)
{
    static struct qtp_rep_record rows[8];
    for (int i = 0; i < reps; i++)
        full_row(&rows[i], topo, i, tp0 + i);
    assert_int_equal(qtp_results_append(dir, rows, (size_t)reps), 0);
}

static void test_append_load_truncated(void **state)
{
    (void)state;
    char dir[512], p[600], err[256];
    new_dir(dir, sizeof dir, "rows");
    append_cell(dir, "unicast", 3, 100);
    append_cell(dir, "diamond", 2, 200);
    struct qtp_rows rows = {0};
    struct qtp_results_load_info info;
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), 0);
    assert_int_equal(rows.n, 5);
    assert_int_equal(info.lines, 5);
    assert_int_equal(info.truncated_line, 0);
    assert_string_equal(rows.v[3].topology, "diamond");
    assert_true(rows.v[4].throughput_eps == 201);
    qtp_rows_free(&rows);

    /* kill -9 mid-write: half a line at the end is ignored and reported. */
    path_of(p, sizeof p, dir, "results.jsonl");
    spit(p, "a", "{\"cell\":\"pipeline.ring.spin");
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), 0);
    assert_int_equal(rows.n, 5);
    assert_int_equal(info.truncated_line, 6);
    qtp_rows_free(&rows);
    /* The next append cuts the half line off first. */
    append_cell(dir, "pipeline", 1, 300);
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), 0);
    assert_int_equal(rows.n, 6);
    assert_int_equal(info.truncated_line, 0);
    assert_string_equal(rows.v[5].topology, "pipeline");
    qtp_rows_free(&rows);
    /* Even a complete-looking last row without its newline is a cut write. */
    spit(p, "a", "{}");
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), 0);
    assert_int_equal(info.truncated_line, 7);
    qtp_rows_free(&rows);

    /* Damage anywhere else is an error naming the line. */
    char *text = slurp(p);
    char *third = strchr(strchr(text, '\n') + 1, '\n') + 1;
    third[1] = '#';
    spit(p, "w", text);
    free(text);
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), EINVAL);
    assert_memory_equal(err, "results.jsonl line 3: ", 22);
    qtp_rows_free(&rows);
    spit(p, "w", "\n{\"cell\": 1}\n");
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), EINVAL);
    assert_string_equal(err,
                        "results.jsonl line 2: field 'cell' should be a string, not an integer");
    qtp_rows_free(&rows);

    snprintf(p, sizeof p, "%s/nope", base);
    assert_int_equal(qtp_results_load(p, &rows, &info, err, sizeof err), ENOENT);
    assert_non_null(strstr(err, "no such directory"));
    new_dir(p, sizeof p, "empty");
    assert_int_equal(qtp_results_load(p, &rows, &info, err, sizeof err), ENOENT);
    assert_non_null(strstr(err, "no results.jsonl"));
}

/* A disk that fills up mid-append (here a file size limit, which fails write(2) the same way)
 * leaves the file as it was: whole lines only. In a child, so the limit stays there. */
static void test_append_full_disk(void **state)
{
    (void)state;
    char dir[512], p[600], err[256];
    new_dir(dir, sizeof dir, "full");
    append_cell(dir, "unicast", 2, 100);
    path_of(p, sizeof p, dir, "results.jsonl");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    off_t before = st.st_size;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {(rlim_t)before + 300, (rlim_t)before + 300};
        setrlimit(RLIMIT_FSIZE, &lim);
        static struct qtp_rep_record rows[4];
        for (int i = 0; i < 4; i++)
            full_row(&rows[i], "diamond", i, 200 + i);
        _exit(qtp_results_append(dir, rows, 4) == EFBIG ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, before);
    struct qtp_rows rows = {0};
    struct qtp_results_load_info info;
    assert_int_equal(qtp_results_load(dir, &rows, &info, err, sizeof err), 0);
    assert_int_equal(rows.n, 2);
    assert_int_equal(info.truncated_line, 0);
    qtp_rows_free(&rows);
}

/* A rep given twice is damage, named by the later line; so is a real no rep can measure. */
static void test_load_refuses_duplicates_and_bad_numbers(void **state)
{
    (void)state;
    char dir[512], p[600], err[256];
    new_dir(dir, sizeof dir, "dups");
    append_cell(dir, "unicast", 2, 100);
    append_cell(dir, "diamond", 1, 100);
    append_cell(dir, "unicast", 1, 100);
    struct qtp_rows rows = {0};
    assert_int_equal(qtp_results_load(dir, &rows, NULL, err, sizeof err), EINVAL);
    assert_non_null(strstr(err, "results.jsonl line 4: rep 0 of cell unicast."));
    assert_non_null(strstr(err, "again (first at line 1)"));
    qtp_rows_free(&rows);

    const double bad[] = {-5, 1e308, -0.001, 2e15};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[32];
        snprintf(name, sizeof name, "num%zu", i);
        new_dir(dir, sizeof dir, name);
        static struct qtp_rep_record r[2];
        full_row(&r[0], "unicast", 0, 100);
        full_row(&r[1], "unicast", 1, bad[i]);
        assert_int_equal(qtp_results_append(dir, r, 2), 0);
        assert_int_equal(qtp_results_load(dir, &rows, NULL, err, sizeof err), EINVAL);
        assert_non_null(strstr(err, "results.jsonl line 2: field 'throughput_eps' is "));
        qtp_rows_free(&rows);
    }
    path_of(p, sizeof p, dir, "results.jsonl");
}

static char *csv_line(char *text, int n)
{
    char *s = text;
    for (int i = 0; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    return s;
}

/* Field k (0-based) of a CSV line, into buf. */
static const char *csv_field(const char *line, int k, char *buf, size_t len)
{
    for (int i = 0; i < k; i++)
        line = strchr(line, ',') + 1;
    size_t n = strcspn(line, ",\n");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), line);
    return buf;
}

static void test_summary(void **state)
{
    (void)state;
    char dir[512], p[600], err[256], f[128];
    new_dir(dir, sizeof dir, "summary");
    static struct qtp_rep_record rows[3];
    double tps[] = {10, 30, 20};
    for (int i = 0; i < 3; i++) {
        full_row(&rows[i], "unicast", i, tps[i]);
        rows[i].latency_ns.p99 = (uint64_t)(1000 + 100 * i);
    }
    assert_int_equal(qtp_results_append(dir, rows, 3), 0);
    full_row(&rows[0], "diamond", 0, 5);
    full_row(&rows[1], "diamond", 1, 0);
    rows[1].status = QTP_STATUS_FAILED;
    strcpy(rows[1].reason, "model mismatch at seq 17, field c3: want 5, got \"6\"");
    assert_int_equal(qtp_results_append(dir, rows, 2), 0);
    full_row(&rows[0], "pipeline", 0, 0);
    strcpy(rows[0].placement, "cross-numa");
    qtp_cell_id(rows[0].cell, sizeof rows[0].cell, "pipeline", "ring", "spin", "cross-numa",
                "node:0", &rows[0].params);
    rows[0].status = QTP_STATUS_SKIPPED;
    strcpy(rows[0].reason, "cross-numa needs 2 NUMA nodes, this machine has 1");
    assert_int_equal(qtp_results_append(dir, rows, 1), 0);
    assert_int_equal(qtp_results_update_summary(dir, err, sizeof err), 0);

    path_of(p, sizeof p, dir, "summary.csv");
    char *text = slurp(p);
    assert_non_null(text);
    const char *head =
        "cell,topology,queue,wait,placement,memory,events,warmup,ring_size,batch,payload,work_ns,"
        "fanout,shards,stages,rate,status,reps,reps_ok,throughput_median,throughput_min,"
        "throughput_max,p50_median,p90_median,p99_median,p99_min,p99_max,p999_median,"
        "p9999_median,max_median,alloc_per_event,bytes_per_event,verified,oversubscribed,reason\n";
    assert_memory_equal(text, head, strlen(head));
    assert_null(csv_line(text, 4)[0] ? "more than 3 rows" : NULL);
    /* Every line has the same number of fields. */
    for (int l = 0; l < 4; l++) {
        int commas = 0;
        for (const char *c = csv_line(text, l); *c != '\n'; c++)
            commas += *c == ',';
        assert_int_equal(commas, 34);
    }
    char *l1 = csv_line(text, 1), *l2 = csv_line(text, 2), *l3 = csv_line(text, 3);
    assert_memory_equal(l1, "unicast.ring.spin.cpus_0+1.node_0.n1M.r1024.b16.p64.w250.f4",
                        strlen("unicast.ring.spin.cpus_0+1.node_0.n1M.r1024.b16.p64.w250.f"));
    assert_string_equal(csv_field(l1, 4, f, sizeof f), "cpus:0;1");
    assert_string_equal(csv_field(l1, 16, f, sizeof f), "ok");
    assert_string_equal(csv_field(l1, 17, f, sizeof f), "3");
    assert_string_equal(csv_field(l1, 18, f, sizeof f), "3");
    assert_string_equal(csv_field(l1, 19, f, sizeof f), "20");
    assert_string_equal(csv_field(l1, 20, f, sizeof f), "10");
    assert_string_equal(csv_field(l1, 21, f, sizeof f), "30");
    assert_string_equal(csv_field(l1, 24, f, sizeof f), "1100");
    assert_string_equal(csv_field(l1, 25, f, sizeof f), "1000");
    assert_string_equal(csv_field(l1, 26, f, sizeof f), "1200");
    assert_string_equal(csv_field(l1, 30, f, sizeof f), "7e-06");
    assert_string_equal(csv_field(l1, 32, f, sizeof f), "1");
    assert_string_equal(csv_field(l1, 33, f, sizeof f), "1");
    assert_string_equal(csv_field(l2, 1, f, sizeof f), "diamond");
    assert_string_equal(csv_field(l2, 16, f, sizeof f), "failed");
    assert_string_equal(csv_field(l2, 18, f, sizeof f), "1");
    assert_string_equal(csv_field(l2, 19, f, sizeof f), "5");
    assert_non_null(strstr(l2, ",model mismatch at seq 17; field c3: want 5; got '6'\n"));
    assert_string_equal(csv_field(l3, 16, f, sizeof f), "skipped");
    assert_string_equal(csv_field(l3, 18, f, sizeof f), "0");
    assert_string_equal(csv_field(l3, 19, f, sizeof f), ""); /* no ok reps: missing */
    assert_string_equal(csv_field(l3, 32, f, sizeof f), "0");
    assert_non_null(strstr(l3, ",cross-numa needs 2 NUMA nodes; this machine has 1\n"));
    free(text);
}

static void test_hgrm_file(void **state)
{
    (void)state;
    char dir[512], p[700], rel[300];
    new_dir(dir, sizeof dir, "hgrm");
    struct qtp_hist *h;
    assert_int_equal(qtp_hist_create(&h), 0);
    for (int i = 1; i <= 1000; i++)
        qtp_hist_record(h, (uint64_t)i * 100);
    const char *cell = "diamond.ring.spin.compact.local.n1M.r1024.b1.p0.w0";
    assert_int_equal(qtp_results_write_hgrm(dir, cell, h, rel, sizeof rel), 0);
    assert_string_equal(rel, "hist/diamond.ring.spin.compact.local.n1M.r1024.b1.p0.w0.hgrm");
    path_of(p, sizeof p, dir, rel);
    char *text = slurp(p);
    assert_non_null(text);
    assert_memory_equal(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 57);
    /* Values in microseconds: the 100% row is 100 µs. */
    assert_non_null(strstr(text, "     100.031 1.000000000000       1000\n"));
    free(text);
    assert_int_equal(qtp_results_write_hgrm(dir, "a/b", h, NULL, 0), EINVAL);
    qtp_hist_destroy(h);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(base, sizeof base, "%s/qtp-results-test-XXXXXX", tmp);
    return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return getenv("QTOPO_KEEP") || system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_never_overwrites),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_cell_id),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_append_load_truncated),
        cmocka_unit_test(test_append_full_disk),
        cmocka_unit_test(test_load_refuses_duplicates_and_bad_numbers),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_hgrm_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
