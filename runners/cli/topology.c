/* topology.c - topologies as a matrix names them: a name of the registry, or an expression of
 * the topology language (qtp_lang.h) kept in its canonical form; and their errors for people. */
#include <errno.h>
#include <string.h>

#include "cli_int.h"
#include "qtp_lang.h"
#include "qtp_topo.h"

void qtp_cli_topology_error(const char *text, const struct qtp_parse_error *pe, char *buf,
                            size_t len)
{
    if (!strchr(text, '(')) { /* a bare word (a mistyped name): one line */
        qtp_fmt(buf, len, "%s", pe->msg);
        return;
    }
    qtp_parse_error_format(text, pe, buf, len);
    size_t end = strlen(buf);
    if (end && buf[end - 1] == '\n')
        buf[end - 1] = 0;
}

/* A topology item: a name of the registry as it is, an expression in its canonical form (so two
 * spellings make one cell), checked by parsing it. An expression's error is the parser's line,
 * then the expression with a caret line under the offending token. 0, QTP_CLI_BAD or ENOMEM. */
int qtp_cli_topology_item(const char *where, char *tok, size_t cap, char *err, size_t len)
{
    if (qtp_topology_find(tok) || strcmp(tok, "all") == 0)
        return 0;
    struct qtp_topology t;
    struct qtp_parse_error pe;
    int rc = qtp_topology_resolve(tok, NULL, &t, &pe);
    if (rc == ENOMEM)
        return ENOMEM;
    if (rc) {
        char shown[QTP_REASON_MAX];
        qtp_cli_topology_error(tok, &pe, shown, sizeof shown);
        return CLI_BAD(err, len, "%s: %s", where, shown);
    }
    rc = qtp_topo_print(&t, tok, cap);
    qtp_topology_fini(&t);
    if (rc)
        return CLI_BAD(err, len,
                       "%s: topology expression too long (accepted: a canonical form of up to %zu "
                       "characters)",
                       where, cap - 1);
    return 0;
}
