/* test_lang_fuzz: random byte strings, random token soup and random mutations of valid
 * expressions never crash the parser (run it under ASan/UBSan) and always give 0 or EINVAL with
 * a one-line message and a column inside the text; what parses still round-trips.
 * Options: --seed N (or QTOPO_SEED), --cases N (default 20000 of each kind). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lang_util.h"
#include "qtp_lang.h"
#include "topo_util.h"

static uint64_t seed;
static unsigned ncases = 20000;
static unsigned accepted, refused;

static unsigned pick(uint64_t *rs, unsigned n)
{
    return (unsigned)(topo_rand(rs) % n);
}

/* One input through every entry point; the contract holds whatever it is. */
static void check(const char *in, const char *kind, unsigned c)
{
    struct qtp_topology t;
    struct qtp_parse_error e;
    memset(&e, 0x5a, sizeof(e));
    int rc = qtp_topo_parse(in, NULL, NULL, &t, &e);
    size_t n = strlen(in);
    if (rc != 0 && rc != EINVAL)
        fail_msg("%s case %u (seed %llu): rc %d for '%s'", kind, c, (unsigned long long)seed, rc,
                 in);
    if (rc == EINVAL) {
        refused++;
        size_t m = strnlen(e.msg, sizeof(e.msg));
        if (m == 0 || m == sizeof(e.msg) || strchr(e.msg, '\n') || e.column < 1 ||
            e.column > n + 1 || e.length < 1 || (e.column - 1 + e.length > n && e.length != 1))
            fail_msg("%s case %u (seed %llu): bad error for '%s': '%.160s' column %zu length %zu",
                     kind, c, (unsigned long long)seed, in, e.msg, e.column, e.length);
        static char buf[1024];
        assert_int_equal(qtp_parse_error_format(in, &e, buf, sizeof(buf)), 0);
        assert_non_null(strstr(buf, e.msg));
        return;
    }
    accepted++;
    assert_true(t.ninstances >= 1 && t.ninstances <= QTP_TOPO_MAX_INSTANCES);
    static char s1[QTP_TOPO_EXPR_MAX], s2[QTP_TOPO_EXPR_MAX];
    assert_int_equal(qtp_topo_print(&t, s1, sizeof(s1)), 0);
    struct qtp_topology u;
    if (qtp_topo_parse(s1, NULL, NULL, &u, &e))
        fail_msg("%s case %u (seed %llu): '%s' printed as '%s', which does not parse: %s", kind, c,
                 (unsigned long long)seed, in, s1, e.msg);
    assert_int_equal(qtp_topo_print(&u, s2, sizeof(s2)), 0);
    assert_string_equal(s1, s2);
    char why[256];
    if (!lang_graph_equal(&t, &u, why, sizeof(why)))
        fail_msg("%s case %u (seed %llu): '%s': %s", kind, c, (unsigned long long)seed, in, why);
    qtp_topology_fini(&t);
    qtp_topology_fini(&u);
}

static void test_bytes(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 1;
    static const char alphabet[] = "stagequfnorhdpwikml()(),,,====  \t\n0123456789_-;#\"'*{}";
    char in[96];
    for (unsigned c = 0; c < ncases; c++) {
        size_t n = pick(&rs, sizeof(in));
        for (size_t i = 0; i < n; i++)
            in[i] = pick(&rs, 4) ? alphabet[pick(&rs, sizeof(alphabet) - 1)]
                                 : (char)(1 + pick(&rs, 255)); /* any byte but NUL */
        in[n] = 0;
        check(in, "bytes", c);
    }
}

static void test_tokens(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 2;
    static const char *const vocab[] = {"stage",
                                        "seq",
                                        "fanout",
                                        "shard",
                                        "topo",
                                        "(",
                                        ")",
                                        ",",
                                        "=",
                                        "name",
                                        "work",
                                        "sleep",
                                        "producers",
                                        "payload",
                                        "pingpong",
                                        "2",
                                        "3",
                                        "64",
                                        "200ns",
                                        "1s",
                                        "2s",
                                        "x",
                                        "s1",
                                        "s2",
                                        " ",
                                        "0",
                                        "4294967296",
                                        "4097",
                                        "9999999999999999999999"};
    char in[512];
    for (unsigned c = 0; c < ncases; c++) {
        size_t n = 0, k = pick(&rs, 40);
        for (size_t i = 0; i < k; i++)
            n += (size_t)snprintf(in + n, sizeof(in) - n, "%s",
                                  vocab[pick(&rs, sizeof(vocab) / sizeof(vocab[0]))]);
        check(in, "tokens", c);
    }
}

/* Valid expressions, cut, spliced, repeated and corrupted. */
static void test_mutations(void **state)
{
    (void)state;
    uint64_t rs = seed ^ 3;
    static char base[QTP_TOPO_EXPR_MAX], in[2 * QTP_TOPO_EXPR_MAX + 64];
    static const char *const inserts[] = {"(",       ")",     ",",    "=",          "stage",
                                          "shard(",  ", 3)",  "seq(", "topo(",      ", pingpong",
                                          "name=s1", "work=", "\x80", "99999999999"};
    for (unsigned c = 0; c < ncases; c++) {
        struct qtp_topology t;
        lang_random_topology(&rs, QTP_TOPO_MAX_INSTANCES, &t);
        assert_int_equal(qtp_topo_print(&t, base, sizeof(base)), 0);
        qtp_topology_fini(&t);
        size_t n = strlen(base);
        memcpy(in, base, n + 1);
        for (unsigned m = 1 + pick(&rs, 3); m; m--) {
            size_t len = strlen(in), at = pick(&rs, (unsigned)len + 1);
            size_t span = pick(&rs, 12) + 1;
            if (at + span > len)
                span = len - at;
            switch (pick(&rs, 5)) {
            case 0: /* delete a span */
                memmove(in + at, in + at + span, len - at - span + 1);
                break;
            case 1: { /* insert a token */
                const char *w = inserts[pick(&rs, sizeof(inserts) / sizeof(inserts[0]))];
                size_t wl = strlen(w);
                if (len + wl < sizeof(in)) {
                    memmove(in + at + wl, in + at, len - at + 1);
                    memcpy(in + at, w, wl);
                }
                break;
            }
            case 2: /* repeat a span */
                if (len + span < sizeof(in)) {
                    memmove(in + at + span, in + at, len - at + 1);
                }
                break;
            case 3: /* change a byte */
                if (at < len)
                    in[at] = (char)(1 + pick(&rs, 255));
                break;
            default: /* cut */
                in[at] = 0;
            }
        }
        check(in, "mutation", c);
    }
    printf("  %u accepted, %u refused over all kinds\n", accepted, refused);
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--cases") == 0)
            ncases = (unsigned)strtoul(argv[i + 1], NULL, 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
