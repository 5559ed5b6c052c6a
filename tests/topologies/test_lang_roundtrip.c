/* test_lang_roundtrip: for random descriptions, print -> parse -> print is the identity and the
 * parsed topology compiles to the same graph; so does the printed form with its spacing
 * scrambled. Options: --seed N (or QTOPO_SEED), --cases N (default 20000). */
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

/* The canonical text with random spacing: none or several blanks (spaces, tabs, newlines)
 * around every token. */
static void respace(uint64_t *rs, const char *in, char *out, size_t len)
{
    static const char *const blanks[] = {"", "", " ", "\t", "\n", "  ", " \r\n "};
    size_t n = 0;
    for (const char *s = in; *s; s++) {
        bool punct = *s == '(' || *s == ')' || *s == ',' || *s == '=';
        if (*s == ' ')
            continue;
        const char *b = blanks[topo_rand(rs) % 7];
        if (punct)
            n += (size_t)snprintf(out + n, len - n, "%s%c%s", b, *s, blanks[topo_rand(rs) % 7]);
        else
            n += (size_t)snprintf(out + n, len - n, "%c", *s);
        assert_true(n < len);
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    uint64_t rs = seed;
    unsigned max_inst = 0, wrapped = 0;
    size_t longest = 0;
    for (unsigned c = 0; c < ncases; c++) {
        struct qtp_topology t, u, v;
        lang_random_topology(&rs, QTP_TOPO_MAX_INSTANCES, &t);
        static char s1[QTP_TOPO_EXPR_MAX], s2[QTP_TOPO_EXPR_MAX], sp[3 * QTP_TOPO_EXPR_MAX];
        assert_int_equal(qtp_topo_print(&t, s1, sizeof(s1)), 0);
        struct qtp_parse_error e;
        if (qtp_topo_parse(s1, NULL, NULL, &u, &e))
            fail_msg("case %u (seed %llu): '%s' does not parse: %s at column %zu", c,
                     (unsigned long long)seed, s1, e.msg, e.column);
        assert_int_equal(qtp_topo_print(&u, s2, sizeof(s2)), 0);
        if (strcmp(s1, s2) != 0)
            fail_msg("case %u (seed %llu): '%s' printed back as '%s'", c, (unsigned long long)seed,
                     s1, s2);
        char why[256];
        if (!lang_graph_equal(&t, &u, why, sizeof(why)))
            fail_msg("case %u (seed %llu): '%s': %s", c, (unsigned long long)seed, s1, why);
        respace(&rs, s1, sp, sizeof(sp));
        if (qtp_topo_parse(sp, NULL, NULL, &v, &e))
            fail_msg("case %u (seed %llu): '%s' does not parse: %s at column %zu", c,
                     (unsigned long long)seed, sp, e.msg, e.column);
        assert_int_equal(qtp_topo_print(&v, s2, sizeof(s2)), 0);
        assert_string_equal(s1, s2);
        if (t.ninstances > max_inst)
            max_inst = t.ninstances;
        if (strlen(s1) > longest)
            longest = strlen(s1);
        wrapped += strncmp(s1, "topo(", 5) == 0;
        qtp_topology_fini(&t);
        qtp_topology_fini(&u);
        qtp_topology_fini(&v);
    }
    printf("  %u cases (%u with topo options), up to %u instances, longest %zu characters\n",
           ncases, wrapped, max_inst, longest);
}

int main(int argc, char **argv)
{
    seed = topo_seed(argc, argv);
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--cases") == 0)
            ncases = (unsigned)strtoul(argv[i + 1], NULL, 10);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
