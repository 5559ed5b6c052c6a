/* fleet.c - machine keys, descriptions and look-up in a merged directory (fleet.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "qtp_text.h"

/* What results depend on; the host name is the key's readable half. */
static const char *const fingerprint_keys[] = {"cpu_model",  "packages", "cores",  "pus",
                                               "numa_nodes", "caches",   "kernel", NULL};
static const char *const description_keys[] = {"hostname", "cpu_model", "packages",   "cores",
                                               "pus",      "smt",       "numa_nodes", "caches",
                                               "kernel",   NULL};

static json_t *pick(const json_t *machine, const char *const *keys)
{
    json_t *o = json_object();
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(machine, *k);
        json_object_set(o, *k, v ? v : json_null());
    }
    return o;
}

void qtp_fleet_machine_key(const json_t *machine, const char *type, char *key, size_t len)
{
    json_t *fp = pick(machine, fingerprint_keys);
    char *text = json_dumps(fp, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(fp);
    uint32_t h = 2166136261u;
    for (const char *p = text ? text : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    free(text);
    char host[64];
    const char *name = type ? type : json_string_value(json_object_get(machine, "hostname"));
    qtp_fmt(host, sizeof host, "%s", name && *name ? name : "host");
    for (char *p = host; *p; p++)
        if (!(*p == '-' || *p == '.' || *p == '_' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            *p = '_';
    qtp_fmt(key, len, "%s-%08" PRIx32, host, h);
}

json_t *qtp_fleet_machine_description(const json_t *machine)
{
    return pick(machine, description_keys);
}

const json_t *qtp_fleet_find(const json_t *meta, const char *name, char *err, size_t errlen)
{
    const json_t *machines = json_object_get(meta, "machines"), *found = NULL, *m;
    char keys[1024] = "";
    size_t i, at = 0, hits = 0;
    /* The key itself first; then a unique host name or key prefix. */
    json_array_foreach((json_t *)machines, i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        if (key && !strcmp(key, name))
            return m;
        at += (size_t)snprintf(keys + at, at < sizeof keys ? sizeof keys - at : 0, "%s%s",
                               at ? ", " : "", key ? key : "?");
    }
    json_array_foreach((json_t *)machines, i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        const char *host =
            json_string_value(json_object_get(json_object_get(m, "description"), "hostname"));
        if ((host && !strcmp(host, name)) || (key && !strncmp(key, name, strlen(name)))) {
            found = m;
            hits++;
        }
    }
    if (hits == 1)
        return found;
    qtp_set_err(err, errlen, "machine '%s': %s (accepted: %s)", name,
                hits ? "names several machines" : "no such machine", keys[0] ? keys : "none");
    return NULL;
}
