/* runners_machine_state: the machine's state read from a sysfs/procfs tree faked in a temporary
 * directory (every fact, the unknown reasons, the warnings, the JSON, a fake systemd-detect-virt
 * that answers and one that hangs), and from this machine (every fact known or with a reason). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "machine_state.h"

static char tmp[256];

static void put(const char *root, const char *rel, const char *content)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    if (strstr(rel, "detect-virt"))
        chmod(path, 0755);
}

#define CPU "sys/devices/system/cpu/"

/* A machine with cpufreq on CPU 0 (powersave), none on CPU 1, intel_pstate turbo on, SMT on,
 * CPU 1 isolated, THP always, a hypervisor flag, two mitigations, load 3.2. */
static void fake_tree(const char *root)
{
    put(root, CPU "online", "0-1\n");
    put(root, CPU "cpu0/cpufreq/scaling_driver", "intel_pstate\n");
    put(root, CPU "cpu0/cpufreq/scaling_governor", "powersave\n");
    put(root, CPU "cpu0/cpufreq/scaling_cur_freq", "1200000\n");
    put(root, CPU "cpu0/cpufreq/scaling_min_freq", "800000\n");
    put(root, CPU "cpu0/cpufreq/scaling_max_freq", "3500000\n");
    put(root, CPU "cpu2/cpufreq/scaling_governor", "powersave\n");
    put(root, CPU "cpu3/cpufreq/scaling_governor", "performance\n");
    put(root, CPU "cpu3/cpufreq/scaling_cur_freq", "fast\n");
    put(root, CPU "intel_pstate/no_turbo", "0\n");
    put(root, CPU "cpufreq/boost", "0\n"); /* intel_pstate's answer comes first */
    put(root, CPU "smt/control", "on\n");
    put(root, CPU "smt/active", "1\n");
    put(root, CPU "isolated", "1\n");
    put(root, "proc/cmdline",
        "BOOT_IMAGE=/vmlinuz root=/dev/sda1 isolcpus=1 quiet -- nohz_full=7 init-arg\n");
    put(root, "sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
    put(root, "sys/kernel/mm/transparent_hugepage/defrag", "always defer [madvise] never\n");
    put(root, "proc/cpuinfo",
        "processor\t: 0\nmodel name\t: Fake CPU\nflags\t\t: fpu sse2 hypervisor avx2\n\n"
        "processor\t: 1\nflags\t\t: fpu\n");
    put(root, CPU "vulnerabilities/spectre_v2", "Mitigation: Retpolines\n");
    put(root, CPU "vulnerabilities/meltdown", "Not affected\n");
    put(root, "proc/loadavg", "3.20 1.50 0.25 3/120 4242\n");
    put(root, "sys/class/dmi/id/sys_vendor", "QEMU\n");
    /* product_name unreadable: a directory where a file should be */
    char path[600];
    snprintf(path, sizeof path, "%s/sys/class/dmi/id/product_name", root);
    mkdir(path, 0755);
}

static const struct qtp_ms_fact *fact(const struct qtp_machine_state *st, enum qtp_ms_id id)
{
    return &st->f[id];
}

static void assert_known(const struct qtp_ms_fact *f, const char *text)
{
    if (!f->known)
        fail_msg("unknown (%s), want '%s'", f->text, text);
    assert_string_equal(f->text, text);
}

static void assert_unknown(const struct qtp_ms_fact *f, const char *why_part)
{
    if (f->known)
        fail_msg("known '%s', want unknown with '%s'", f->text, why_part);
    if (!strstr(f->text, why_part))
        fail_msg("reason '%s' does not say '%s'", f->text, why_part);
}

static void test_fake_tree(void **state)
{
    (void)state;
    char root[300];
    snprintf(root, sizeof root, "%s/tree", tmp);
    fake_tree(root);
    char tool[400];
    snprintf(tool, sizeof tool, "%s/bin/detect-virt", tmp);
    put(tmp, "bin/detect-virt",
        "#!/bin/sh\ncase \"$1\" in --vm) echo kvm ;; *) echo none; exit 1 ;; esac\n");

    int cpus[] = {0, 1, 2, 3};
    struct qtp_machine_state_source src = {root, tool};
    struct qtp_machine_state *st;
    assert_int_equal(qtp_machine_state_read(&st, &src, cpus, 4), 0);
    assert_string_equal(st->root, root);
    assert_known(fact(st, QTP_MS_CPUS_ONLINE), "0-1");
    assert_known(fact(st, QTP_MS_TURBO), "true");
    assert_true(fact(st, QTP_MS_TURBO)->number == 1);
    assert_known(fact(st, QTP_MS_TURBO_SOURCE), "intel_pstate/no_turbo");
    assert_known(fact(st, QTP_MS_SMT_CONTROL), "on");
    assert_known(fact(st, QTP_MS_SMT_ACTIVE), "true");
    assert_known(fact(st, QTP_MS_ISOLATED), "1");
    assert_unknown(fact(st, QTP_MS_NOHZ_FULL), "NO_HZ_FULL");
    assert_known(fact(st, QTP_MS_CMDLINE_ISOLCPUS), "1");
    assert_known(fact(st, QTP_MS_CMDLINE_NOHZ_FULL), ""); /* after "--": init's, not the kernel's */
    assert_known(fact(st, QTP_MS_THP_ENABLED), "always");
    assert_known(fact(st, QTP_MS_THP_DEFRAG), "madvise");
    assert_known(fact(st, QTP_MS_HYPERVISOR_FLAG), "true");
    assert_known(fact(st, QTP_MS_VIRT_VM), "kvm");
    assert_known(fact(st, QTP_MS_VIRT_CONTAINER), "none");
    assert_known(fact(st, QTP_MS_DMI_VENDOR), "QEMU");
    assert_unknown(fact(st, QTP_MS_DMI_PRODUCT), "product_name: Is a directory");
    assert_known(fact(st, QTP_MS_VM), "kvm");
    assert_known(fact(st, QTP_MS_LOAD1), "3.20");
    assert_true(fact(st, QTP_MS_LOAD1)->number == 3.2);
    assert_true(fact(st, QTP_MS_LOAD15)->number == 0.25);

    assert_int_equal(st->ncpus, 4);
    const struct qtp_ms_cpu *c0 = &st->cpus[0], *c1 = &st->cpus[1], *c3 = &st->cpus[3];
    assert_int_equal(c0->os, 0);
    assert_known(&c0->f[QTP_MS_CPU_DRIVER], "intel_pstate");
    assert_known(&c0->f[QTP_MS_CPU_GOVERNOR], "powersave");
    assert_true(c0->f[QTP_MS_CPU_CUR_KHZ].known && c0->f[QTP_MS_CPU_CUR_KHZ].number == 1.2e6);
    assert_true(c0->f[QTP_MS_CPU_MAX_KHZ].number == 3.5e6);
    for (int id = 0; id < QTP_MS_CPU_NFACTS; id++)
        assert_unknown(&c1->f[id], "no cpufreq driver");
    assert_unknown(&c3->f[QTP_MS_CPU_CUR_KHZ], "unexpected content 'fast'");

    assert_int_equal(st->nmitigations, 2);
    assert_string_equal(st->mitigation[0].name, "meltdown"); /* sorted */
    assert_known(&st->mitigation[0].state, "Not affected");
    assert_known(&st->mitigation[1].state, "Mitigation: Retpolines");

    struct qtp_ms_warning w[8];
    size_t nw = qtp_machine_state_warnings(st, w, 8);
    const char *want[] = {"governor", "turbo", "vm", "load"};
    assert_int_equal(nw, 4);
    for (size_t i = 0; i < nw; i++) {
        print_message("warning %s: %s\n", w[i].id, w[i].text);
        assert_string_equal(w[i].id, want[i]);
    }
    assert_non_null(strstr(w[0].text, "CPU 0,2: frequency governor is powersave"));
    assert_non_null(strstr(w[1].text, "intel_pstate/no_turbo"));
    assert_non_null(strstr(w[2].text, "kvm"));
    assert_non_null(strstr(w[3].text, "load 3.2"));
    assert_int_equal(qtp_machine_state_warnings(st, w, 1), 4); /* counts past max */

    json_t *j = qtp_machine_state_to_json(st);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "turbo")));
    assert_string_equal(json_string_value(json_object_get(j, "thp_enabled")), "always");
    assert_true(json_real_value(json_object_get(j, "load1")) == 3.2);
    json_t *u = json_object_get(json_object_get(j, "nohz_full"), "unknown");
    assert_true(json_is_string(u));
    json_t *cpu1 = json_array_get(json_object_get(j, "cpus"), 1);
    assert_int_equal(json_integer_value(json_object_get(cpu1, "cpu")), 1);
    assert_true(json_is_string(json_object_get(json_object_get(cpu1, "governor"), "unknown")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "mitigations"), "meltdown")),
        "Not affected");
    assert_int_equal(json_array_size(json_object_get(j, "warnings")), 4);
    json_decref(j);
    qtp_machine_state_free(st);

    double load[3];
    char why[256];
    assert_int_equal(qtp_machine_state_load(root, load, why, sizeof why), 0);
    assert_true(load[0] == 3.2 && load[1] == 1.5 && load[2] == 0.25);
}

/* Nothing there: every fact unknown with its reason; the tool not run for another root. */
static void test_empty_tree(void **state)
{
    (void)state;
    char root[300];
    snprintf(root, sizeof root, "%s/empty", tmp);
    mkdir(root, 0755);
    int cpu = 0;
    struct qtp_machine_state_source src = {root, NULL};
    struct qtp_machine_state *st;
    assert_int_equal(qtp_machine_state_read(&st, &src, &cpu, 1), 0);
    for (int id = 0; id < QTP_MS_NFACTS; id++) {
        const struct qtp_ms_fact *f = fact(st, id);
        if (f->known || !f->text[0])
            fail_msg("%s: known '%s' or no reason", qtp_ms_fact_info(id)->key, f->text);
    }
    assert_unknown(fact(st, QTP_MS_TURBO), "nor cpufreq/boost");
    assert_unknown(fact(st, QTP_MS_VIRT_VM), "another root");
    assert_unknown(fact(st, QTP_MS_VM), "no hypervisor flag to read");
    assert_unknown(&st->mitigations, "vulnerabilities");
    assert_int_equal(st->nmitigations, 0);
    assert_int_equal(qtp_machine_state_warnings(st, NULL, 0), 0); /* unknown is not a warning */
    json_t *j = qtp_machine_state_to_json(st);
    assert_non_null(j);
    assert_true(json_is_string(json_object_get(json_object_get(j, "mitigations"), "unknown")));
    json_decref(j);
    qtp_machine_state_free(st);

    double load[3];
    char why[256] = "";
    assert_int_equal(qtp_machine_state_load(root, load, why, sizeof why), EIO);
    assert_non_null(strstr(why, "loadavg"));
    int neg = -1;
    assert_int_equal(qtp_machine_state_read(&st, &src, &neg, 1), EINVAL);
}

/* boost from cpufreq when there is no intel_pstate; the flag alone makes a VM "yes"; no flag
 * and no tool: "none"; a tool that hangs is killed and says so; a missing tool says so. */
static void test_other_sources_and_tools(void **state)
{
    (void)state;
    char root[300];
    snprintf(root, sizeof root, "%s/amd", tmp);
    put(root, CPU "cpufreq/boost", "1\n");
    put(root, "proc/cpuinfo", "flags\t: fpu hypervisor\n");
    struct qtp_machine_state_source src = {root, ""};
    struct qtp_machine_state *st;
    assert_int_equal(qtp_machine_state_read(&st, &src, NULL, 0), 0);
    assert_known(fact(st, QTP_MS_TURBO), "true");
    assert_known(fact(st, QTP_MS_TURBO_SOURCE), "cpufreq/boost");
    assert_unknown(fact(st, QTP_MS_VIRT_VM), "disabled");
    assert_known(fact(st, QTP_MS_VM), "yes");
    qtp_machine_state_free(st);

    put(root, "proc/cpuinfo", "flags\t: fpu sse2\n");
    char tool[400];
    snprintf(tool, sizeof tool, "%s/bin/hang-detect-virt", tmp);
    put(tmp, "bin/hang-detect-virt", "#!/bin/sh\nexec sleep 60\n");
    src.detect_virt = tool;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(qtp_machine_state_read(&st, &src, NULL, 0), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(s < 4 * QTP_MS_TOOL_TIMEOUT_MS / 1000.0); /* two runs, each cut at the limit */
    assert_unknown(fact(st, QTP_MS_VIRT_VM), "no answer within");
    assert_known(fact(st, QTP_MS_VM), "none"); /* the flag's absence */
    qtp_machine_state_free(st);

    src.detect_virt = "/nonexistent/systemd-detect-virt";
    assert_int_equal(qtp_machine_state_read(&st, &src, NULL, 0), 0);
    assert_unknown(fact(st, QTP_MS_VIRT_VM), "not installed");
    qtp_machine_state_free(st);
}

/* This machine: every fact known or unknown with a reason; the flag and the verdict agree. */
static void test_this_machine(void **state)
{
    (void)state;
    struct qtp_machine *m;
    char err[256];
    assert_int_equal(
        qtp_machine_load(&m, &(struct qtp_machine_source){NULL, NULL}, err, sizeof err), 0);
    int cpus[64];
    size_t n = 0;
    for (unsigned i = 0; i < m->npus && n < 64; i++)
        cpus[n++] = m->pus[i].os;
    qtp_machine_free(m);
    struct qtp_machine_state *st;
    assert_int_equal(qtp_machine_state_read(&st, NULL, cpus, n), 0);
    assert_string_equal(st->root, "/");
    for (int id = 0; id < QTP_MS_NFACTS; id++) {
        const struct qtp_ms_fact *f = fact(st, id);
        print_message("%-18s %s%s\n", qtp_ms_fact_info(id)->key,
                      f->known ? "" : "unknown: ", f->text);
        if (!f->known)
            assert_true(f->text[0] != '\0');
    }
    for (size_t i = 0; i < st->ncpus; i++)
        for (int id = 0; id < QTP_MS_CPU_NFACTS; id++)
            print_message("cpu%d %-10s %s%s\n", st->cpus[i].os, qtp_ms_cpu_fact_info(id)->key,
                          st->cpus[i].f[id].known ? "" : "unknown: ", st->cpus[i].f[id].text);
    const struct qtp_ms_fact *flag = fact(st, QTP_MS_HYPERVISOR_FLAG), *vm = fact(st, QTP_MS_VM);
    if (flag->known && flag->number)
        assert_true(vm->known && strcmp(vm->text, "none") != 0);
    assert_true(fact(st, QTP_MS_LOAD1)->known); /* procfs is there */
    struct qtp_ms_warning w[8];
    size_t nw = qtp_machine_state_warnings(st, w, 8);
    for (size_t i = 0; i < nw && i < 8; i++)
        print_message("warning %s: %s\n", w[i].id, w[i].text);
    json_t *j = qtp_machine_state_to_json(st);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    free(text);
    json_decref(j);
    qtp_machine_state_free(st);
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/qtp_ms.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_tree),
        cmocka_unit_test(test_empty_tree),
        cmocka_unit_test(test_other_sources_and_tools),
        cmocka_unit_test(test_this_machine),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    return rc;
}
