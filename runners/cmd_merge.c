/* cmd_merge.c - qtopo merge OUT DIR...: results directories of one matrix joined into one.
 *
 * The slices of one matrix on one machine (`qtopo run --slice K/N`) become one results directory,
 * as if one run had made them: its cells in the matrix's order, their rows, histograms,
 * summary.csv, and meta.json saying which slices it holds and which are missing. Runs on several
 * machines are kept apart by a machine key (the host name and a fingerprint of what the results
 * depend on); OUT then holds one such directory per machine under machines/KEY/ and a meta.json
 * naming them, which `qtopo report` and `qtopo compare --machine` read.
 *
 * Everything is checked before anything is written, and OUT is built under a temporary name and
 * renamed into place, so bad input (exit 2) and failures leave nothing behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fleet.h"
#include "qtp_results.h"
#include "qtp_text.h"
#include "slice.h"

static void usage(FILE *out)
{
    fputs("NAME\n"
          "    qtopo merge - join results directories of one matrix into one\n"
          "\n"
          "SYNOPSIS\n"
          "    qtopo merge [--missing FILE] OUT [--as TYPE] DIR... [--as TYPE DIR...]...\n"
          "\n"
          "DESCRIPTION\n"
          "    Each DIR is a results directory written by qtopo run, a slice of it (--slice\n"
          "    K/N) or a whole run, all of the same matrix and the same build of qtopo.\n"
          "    Slices of one machine are joined into one results directory: every cell once,\n"
          "    in the matrix's order, with its rows and histograms; meta.json's \"merged\" says\n"
          "    which slices it holds and which are missing (never given, or given unfinished).\n"
          "    Directories from different machines are kept apart by a machine key: the host\n"
          "    name and a fingerprint of its CPU model, packages, cores, PUs, NUMA nodes,\n"
          "    caches and kernel. With one machine OUT is its results directory; with several,\n"
          "    OUT/machines/KEY/ is each machine's and OUT/meta.json names them all.\n"
          "    The directories after --as TYPE are of one machine type (the alike nodes of a\n"
          "    partition): their key is TYPE and the fingerprint, whatever the host names,\n"
          "    so slices that ran on different nodes of one type are one machine.\n"
          "\n"
          "    Refused (exit 2, nothing written): no DIR, a DIR that is not a results\n"
          "    directory, directories of different matrices or builds, slices of one machine\n"
          "    cut into different counts, the same slice or the same cell twice on one machine.\n"
          "\n"
          "OPTIONS\n"
          "    --missing FILE  why slices are missing, to keep with them: lines of\n"
          "                    MACHINE<TAB>K/N<TAB>REASON[<TAB>LOG] (scripts/slurm-run writes\n"
          "                    them to OUT/slurm/missing.tsv)\n"
          "    -h, --help      this text\n"
          "\n"
          "EXAMPLES\n"
          "    qtopo merge /tmp/all /tmp/s1 /tmp/s2 /tmp/s3 /tmp/s4\n"
          "    qtopo report /tmp/all\n"
          "    qtopo compare --machine hostA --against hostB /tmp/all\n",
          out);
}

static int bad(const char *fmt, const char *a, const char *b, const char *c)
{
    char msg[3 * PATH_MAX];
    qtp_fmt(msg, sizeof msg, fmt, a, b, c);
    return qtp_bad_input("merge", "%s", msg);
}

/* ---------------------------------------------------------------- reading the inputs */

/* One results directory given to merge. */
struct input {
    const char *dir;
    json_t *meta;
    struct qtp_rows rows;
    char hash[QTP_MATRIX_HASH_LEN];
    char key[QTP_FLEET_KEY_MAX];
    unsigned k, n;     /* 1/1: a whole run */
    json_t *cells;     /* meta.json's cells */
    json_t *index;     /* each cell's index in the matrix (a whole run: 0, 1, ...) */
    size_t unfinished; /* cells it should have run and has no row of every rep for */
};

static size_t rows_of(const struct qtp_rows *rows, const char *cell)
{
    size_t n = 0;
    for (size_t i = 0; i < rows->n; i++)
        n += strcmp(rows->v[i].cell, cell) == 0;
    return n;
}

static int read_input(struct input *in, const char *dir, const char *type)
{
    char err[1024];
    struct stat st;
    in->dir = dir;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return bad("%s: no such directory (accepted: results directories written by qtopo run)",
                   dir, "", "");
    int rc = qtp_results_read_meta(dir, &in->meta, err, sizeof err);
    if (rc == ENOENT || (!rc && json_object_get(in->meta, "machines")))
        return bad("%s: not a results directory of one run (no meta.json of qtopo run; accepted: "
                   "directories written by qtopo run)",
                   dir, "", "");
    if (rc)
        return bad("%s: %s", dir, err, "");
    json_t *matrix = json_object_get(in->meta, "matrix");
    in->cells = json_object_get(in->meta, "cells");
    if (!matrix || !json_is_array(in->cells) ||
        !json_is_object(json_object_get(in->meta, "machine")))
        return bad("%s: meta.json has no matrix, cells or machine (accepted: directories written "
                   "by qtopo run)",
                   dir, "", "");
    qtp_matrix_hash(matrix, in->hash);
    qtp_fleet_machine_key(json_object_get(in->meta, "machine"), type, in->key, sizeof in->key);
    json_t *slice = json_object_get(in->meta, "slice");
    int k = 1, n = 1;
    if (slice &&
        (json_unpack(slice, "{s:i, s:i, s:o}", "k", &k, "n", &n, "cell_index", &in->index) ||
         !json_is_array(in->index) || json_array_size(in->index) != json_array_size(in->cells) ||
         n < 1 || k < 1 || k > n))
        return bad("%s: damaged \"slice\" in meta.json", dir, "", "");
    in->k = (unsigned)k;
    in->n = (unsigned)n;
    if (!slice) {
        in->index = json_array();
        for (size_t i = 0; i < json_array_size(in->cells); i++)
            json_array_append_new(in->index, json_integer((json_int_t)i));
    } else {
        json_incref(in->index);
    }
    rc = qtp_results_load(dir, &in->rows, NULL, err, sizeof err);
    if (rc && rc != ENOENT)
        return bad("%s: damaged results: %s", dir, err, "");
    size_t i;
    json_t *c;
    json_array_foreach(in->cells, i, c)
    {
        const char *id = json_string_value(json_object_get(c, "cell"));
        json_int_t reps = json_integer_value(json_object_get(c, "reps"));
        bool skipped = json_is_true(json_object_get(c, "skipped"));
        if (!id)
            return bad("%s: a cell in meta.json has no id", dir, "", "");
        size_t have = rows_of(&in->rows, id);
        in->unfinished += skipped ? have == 0 : have < (size_t)reps;
    }
    return 0;
}

static void free_input(struct input *in)
{
    json_decref(in->meta);
    json_decref(in->index);
    qtp_rows_free(&in->rows);
}

/* The build that made a run: every build fact meta.json records. */
static json_t *build_of(const json_t *meta)
{
    return json_pack("{s:O?, s:O?}", "qtopo_version", json_object_get(meta, "qtopo_version"),
                     "build", json_object_get(meta, "build"));
}

/* ---------------------------------------------------------------- the checks */

/* Every input against the first (matrix, build), and within each machine (slice counts, the
 * same slice or cell twice). 0 or QTP_EXIT_BAD. */
static int check_inputs(struct input *in, size_t n)
{
    json_t *b0 = build_of(in[0].meta);
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++) {
        json_t *b = build_of(in[i].meta);
        if (strcmp(in[i].hash, in[0].hash) != 0)
            rc = bad("%s: another matrix than %s's (accepted: directories of one matrix; its "
                     "hash here %s)",
                     in[i].dir, in[0].dir, in[i].hash);
        else if (!json_equal(b, b0))
            rc = bad("%s: made by another build of qtopo than %s (accepted: one build: the same "
                     "version, commit, compiler and flags%s)",
                     in[i].dir, in[0].dir, "");
        json_decref(b);
    }
    json_decref(b0);
    for (size_t i = 0; i < n && !rc; i++)
        for (size_t j = 0; j < i && !rc; j++) {
            if (strcmp(in[i].key, in[j].key) != 0)
                continue;
            char what[64];
            qtp_fmt(what, sizeof what, "%u/%u", in[i].k, in[i].n);
            if (in[i].n != in[j].n)
                rc = bad("%s: cut into another number of slices than %s on the same machine "
                         "(accepted: slices K/N of one N)",
                         in[i].dir, in[j].dir, "");
            else if (in[i].k == in[j].k)
                rc = bad("%s and %s: both slice %s of the same machine (accepted: each slice once)",
                         in[j].dir, in[i].dir, what);
            size_t a, b;
            json_t *ca, *cb;
            json_array_foreach(in[i].cells, a, ca) json_array_foreach(in[j].cells, b, cb)
            {
                const char *x = json_string_value(json_object_get(ca, "cell"));
                if (!rc && strcmp(x, json_string_value(json_object_get(cb, "cell"))) == 0)
                    rc = bad("%s and %s: both hold cell %s of the same machine (accepted: each "
                             "cell once)",
                             in[j].dir, in[i].dir, x);
            }
        }
    return rc;
}

/* ---------------------------------------------------------------- writing */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rbe"), *out = in ? fopen(to, "wbe") : NULL;
    int rc = in && out ? 0 : errno;
    char buf[65536];
    for (size_t got; !rc && (got = fread(buf, 1, sizeof buf, in)) > 0;)
        if (fwrite(buf, 1, got, out) != got)
            rc = errno ? errno : EIO;
    if (out && fclose(out) && !rc)
        rc = errno;
    if (in)
        fclose(in);
    return rc;
}

struct placed {
    json_int_t index; /* in the matrix */
    size_t input, cell;
};

static int by_index(const void *a, const void *b)
{
    const struct placed *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A missing slice: which, and why. */
static json_t *missing_json(unsigned k, unsigned n, const char *why)
{
    char s[32];
    qtp_fmt(s, sizeof s, "%u/%u", k, n);
    return json_pack("{s:s, s:s}", "slice", s, "reason", why);
}

/* The hosts the inputs with key ran on (several for a machine type), in order. */
static json_t *hosts_of(const struct input *in, size_t n, const char *key)
{
    json_t *hosts = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *h = json_object_get(json_object_get(in[i].meta, "machine"), "hostname");
        bool seen = !h || strcmp(in[i].key, key);
        for (size_t j = 0; j < json_array_size(hosts) && !seen; j++)
            seen = json_equal(json_array_get(hosts, j), h);
        if (!seen)
            json_array_append(hosts, h);
    }
    return hosts;
}

/* One machine's inputs (those with its key) into the new results directory dir. */
static int write_machine(const char *dir, struct input *in, size_t n, const char *key,
                         json_t **missing_out, char *err, size_t errlen)
{
    size_t total = 0, first = n;
    unsigned nslices = 1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(in[i].key, key)) {
            total += json_array_size(in[i].cells);
            if (first == n || in[i].k < in[first].k)
                first = i;
            nslices = in[i].n;
        }
    struct placed *p = calloc(total ? total : 1, sizeof *p);
    if (!p)
        return ENOMEM;
    size_t np = 0;
    json_t *from = json_array(), *missing = json_array();
    bool *have = calloc(nslices + 1, sizeof *have);
    for (size_t i = 0; i < n && have; i++) {
        if (strcmp(in[i].key, key))
            continue;
        have[in[i].k] = true;
        for (size_t c = 0; c < json_array_size(in[i].cells); c++)
            p[np++] = (struct placed){json_integer_value(json_array_get(in[i].index, c)), i, c};
        json_array_append_new(from, json_pack("{s:s, s:i, s:i, s:O?}", "dir", in[i].dir, "k",
                                              (int)in[i].k, "n", (int)in[i].n, "start_time",
                                              json_object_get(in[i].meta, "start_time")));
        if (in[i].unfinished) {
            char why[128];
            qtp_fmt(why, sizeof why,
                    "given unfinished: %zu of its %zu cells have no row of every rep",
                    in[i].unfinished, json_array_size(in[i].cells));
            json_array_append_new(missing, missing_json(in[i].k, in[i].n, why));
        }
    }
    for (unsigned k = 1; have && k <= nslices; k++)
        if (!have[k])
            json_array_append_new(missing,
                                  missing_json(k, nslices, "not among the merged directories"));
    free(have);
    qsort(p, np, sizeof *p, by_index);

    json_t *meta = json_deep_copy(in[first].meta), *cells = json_array();
    struct qtp_rows rows = {0};
    int rc = qtp_results_create(dir);
    char path[PATH_MAX], to[PATH_MAX];
    for (size_t j = 0; !rc && j < np; j++) {
        const struct input *s = &in[p[j].input];
        json_t *c = json_array_get(s->cells, p[j].cell);
        const char *id = json_string_value(json_object_get(c, "cell"));
        json_array_append(cells, c);
        for (size_t r = 0; !rc && r < s->rows.n; r++) {
            const struct qtp_rep_record *row = &s->rows.v[r];
            if (strcmp(row->cell, id))
                continue;
            rc = qtp_rows_push(&rows, row);
            qtp_fmt(path, sizeof path, "%s/%s", s->dir, row->hist_file);
            qtp_fmt(to, sizeof to, "%s/%s", dir, row->hist_file);
            if (!rc && row->hist_file[0] && access(to, F_OK) != 0 && access(path, R_OK) == 0)
                rc = copy_file(path, to);
        }
    }
    if (!rc && rows.n)
        rc = qtp_results_append(dir, rows.v, rows.n);
    if (!rc && rows.n)
        rc = qtp_results_update_summary(dir, err, errlen);
    json_object_del(meta, "slice");
    json_object_set(meta, "cells", cells);
    json_object_set_new(meta, "merged",
                        json_pack("{s:s, s:s, s:o, s:i, s:O, s:O}", "matrix_hash", in[first].hash,
                                  "machine_key", key, "hosts", hosts_of(in, n, key), "slices",
                                  (int)nslices, "from", from, "missing", missing));
    if (!rc)
        rc = qtp_results_write_meta(dir, meta);
    *missing_out = missing;
    json_decref(from);
    json_decref(cells);
    json_decref(meta);
    qtp_rows_free(&rows);
    free(p);
    return rc;
}

/* --missing FILE: MACHINE<TAB>K/N<TAB>REASON[<TAB>LOG] lines as JSON. NULL with err on error. */
static json_t *read_reported(const char *file, char *err, size_t errlen)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        qtp_set_err(err, errlen, "--missing %s: %s", file, strerror(errno));
        return NULL;
    }
    json_t *a = json_array();
    char line[4096];
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0])
            continue;
        char *m = strtok(line, "\t"), *s = strtok(NULL, "\t"), *why = strtok(NULL, "\t"),
             *log = strtok(NULL, "\t");
        if (!m || !s || !why) {
            qtp_set_err(err, errlen, "--missing %s line %d: not MACHINE<TAB>K/N<TAB>REASON", file,
                        no);
            json_decref(a);
            a = NULL;
            break;
        }
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "machine", m, "slice", s,
                                           "reason", why, "log", log ? log : ""));
    }
    fclose(f);
    return a;
}

static void remove_tree(const char *dir)
{
    char cmd[PATH_MAX + 32];
    qtp_fmt(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!strchr(dir, '\'') && system(cmd) != 0)
        fprintf(stderr, "qtopo merge: could not remove %s\n", dir);
}

static int write_all(const char *out, struct input *in, size_t n, json_t *reported)
{
    char tmp[PATH_MAX], sub[PATH_MAX + 64], err[1024] = "";
    qtp_fmt(tmp, sizeof tmp, "%s.merging.%ld", out, (long)getpid());
    /* The machines, in order of first appearance. */
    const char *keys[256];
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < nkeys && !seen; j++)
            seen = !strcmp(keys[j], in[i].key);
        if (!seen && nkeys < sizeof keys / sizeof *keys)
            keys[nkeys++] = in[i].key;
    }
    int rc = 0;
    json_t *machines = json_array();
    if (nkeys > 1 && mkdir(tmp, 0777) == 0)
        qtp_fmt(sub, sizeof sub, "%s/machines", tmp), rc = mkdir(sub, 0777) ? errno : 0;
    else if (nkeys > 1)
        rc = errno;
    for (size_t m = 0; !rc && m < nkeys; m++) {
        json_t *missing = NULL;
        if (nkeys > 1)
            qtp_fmt(sub, sizeof sub, "%s/machines/%s", tmp, keys[m]);
        else
            qtp_fmt(sub, sizeof sub, "%s", tmp);
        rc = write_machine(sub, in, n, keys[m], &missing, err, sizeof err);
        const struct input *one = NULL;
        for (size_t i = 0; i < n && !one; i++)
            one = strcmp(in[i].key, keys[m]) ? NULL : &in[i];
        char dir[QTP_FLEET_KEY_MAX + 16];
        qtp_fmt(dir, sizeof dir, "machines/%s", keys[m]);
        json_t *hosts = hosts_of(in, n, keys[m]);
        json_array_append_new(
            machines,
            json_pack("{s:s, s:s, s:o, s:o, s:i, s:o}", "key", keys[m], "dir",
                      nkeys > 1 ? dir : ".", "description",
                      qtp_fleet_machine_description(json_object_get(one->meta, "machine")), "hosts",
                      hosts, "slices", (int)one->n, "missing", missing));
    }
    if (!rc && (nkeys > 1 || json_array_size(reported))) {
        json_t *meta;
        if (nkeys > 1)
            meta = json_pack("{s:O?, s:s, s:O?, s:O?, s:O}", "qtopo_version",
                             json_object_get(in[0].meta, "qtopo_version"), "matrix_hash",
                             in[0].hash, "matrix", json_object_get(in[0].meta, "matrix"), "build",
                             json_object_get(in[0].meta, "build"), "machines", machines);
        else if (qtp_results_read_meta(tmp, &meta, err, sizeof err) == 0)
            json_object_set(json_object_get(meta, "merged"), "reported_missing", reported);
        if (nkeys > 1)
            json_object_set(meta, "reported_missing", reported);
        rc = meta ? qtp_results_write_meta(tmp, meta) : EIO;
        json_decref(meta);
    }
    if (!rc && rename(tmp, out) != 0)
        rc = errno;
    if (rc) {
        fprintf(stderr, "qtopo merge: cannot write %s: %s\n", out, err[0] ? err : strerror(rc));
        remove_tree(tmp);
    } else {
        printf("merged %zu director%s of matrix %s into %s:\n", n, n == 1 ? "y" : "ies", in[0].hash,
               out);
        size_t i;
        json_t *m;
        json_array_foreach(machines, i, m)
        {
            json_t *miss = json_object_get(m, "missing");
            printf("  machine %s: %s, %zu slice(s) of %d missing\n",
                   json_string_value(json_object_get(m, "key")),
                   json_string_value(json_object_get(m, "dir")), json_array_size(miss),
                   (int)json_integer_value(json_object_get(m, "slices")));
            size_t j;
            json_t *x;
            json_array_foreach(miss, j, x)
                printf("    missing %s: %s\n", json_string_value(json_object_get(x, "slice")),
                       json_string_value(json_object_get(x, "reason")));
        }
        printf("  next: qtopo report %s\n", out);
    }
    json_decref(machines);
    return rc ? QTP_EXIT_FAILED : QTP_EXIT_OK;
}

/* A machine type's name: what a key is made of. */
static bool type_name_ok(const char *s)
{
    if (!*s || strlen(s) > 48)
        return false;
    for (; *s; s++)
        if (!(*s == '-' || *s == '.' || *s == '_' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
}

int qtp_merge_main(int argc, char **argv)
{
    const char *missing_file = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--missing") && i + 1 < argc) {
            missing_file = argv[++i];
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else {
            return bad("unknown option '%s' (accepted: --missing FILE, -h/--help)", argv[i], "",
                       "");
        }
    }
    if (argc - i < 2)
        return bad("%s (usage: qtopo merge [--missing FILE] OUT [--as TYPE] DIR...)",
                   i < argc ? "no directories to merge" : "no OUT and no directories", "", "");
    char out_buf[PATH_MAX];
    qtp_fmt(out_buf, sizeof out_buf, "%s", argv[i++]);
    /* "out/" is out: the temporary directory goes beside it, not inside. */
    for (size_t len = strlen(out_buf); len > 1 && out_buf[len - 1] == '/';)
        out_buf[--len] = 0;
    const char *out = out_buf;
    struct stat st;
    if (stat(out, &st) == 0)
        return bad("%s: exists (accepted: a new directory; merge never writes into an old one)",
                   out, "", "");
    char err[1024];
    json_t *reported = missing_file ? read_reported(missing_file, err, sizeof err) : json_array();
    if (!reported)
        return qtp_bad_input("merge", "%s", err);
    struct input *in = calloc((size_t)(argc - i), sizeof *in);
    size_t n = 0;
    int rc = in ? 0 : QTP_EXIT_FAILED;
    const char *type = NULL;
    for (; !rc && i < argc; i++) {
        if (!strcmp(argv[i], "--as")) {
            if (i + 1 >= argc || !type_name_ok(argv[i + 1]))
                rc = bad("--as '%s': not a machine type's name (accepted: 1 to 48 letters, "
                         "digits, '-', '.', '_')",
                         i + 1 < argc ? argv[i + 1] : "", "", "");
            type = argv[++i];
        } else {
            rc = read_input(&in[n++], argv[i], type);
        }
    }
    if (!rc && !n)
        rc = bad("no directories to merge after --as %s", type, "", "");
    if (!rc)
        rc = check_inputs(in, n);
    if (!rc)
        rc = write_all(out, in, n, reported);
    for (size_t j = 0; in && j < n; j++)
        free_input(&in[j]);
    free(in);
    json_decref(reported);
    return rc;
}
