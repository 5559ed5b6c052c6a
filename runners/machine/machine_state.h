/* machine_state.h - what makes numbers move on this machine, as the kernel shows it: CPU
 * frequency governor and frequencies per CPU used, turbo/boost, SMT control, isolated CPUs,
 * transparent huge pages, whether this is a VM, the CPU vulnerability mitigations, the load.
 *
 * Every fact is either known (its value as read) or unknown with the reason (the file missing and
 * what that usually means, permission denied, unexpected content, a tool not installed); nothing
 * is guessed or defaulted. Files are read below a root directory, "/" for this machine, so tests
 * read a tree faked in a temporary directory the same way.
 *
 * The few inferences are stated where they are made: turbo comes from intel_pstate/no_turbo,
 * else cpufreq/boost; vm is systemd-detect-virt --vm's answer when it names a hypervisor, else
 * "yes" when the cpuinfo hypervisor flag is set, else "none" when the flag is absent (x86's CPUID
 * hypervisor bit, which every mainstream hypervisor sets) or systemd-detect-virt says so.
 *
 * Reading costs some dozens of small file reads and, once per read, two runs of
 * systemd-detect-virt (each bounded by QTP_MS_TOOL_TIMEOUT_MS); qtp_machine_state_load is the
 * cheap call for the start and end of each cell. Not for hot paths; any thread.
 */
#ifndef QTP_MACHINE_STATE_H
#define QTP_MACHINE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define QTP_MS_TEXT_MAX 256
#define QTP_MS_TOOL_TIMEOUT_MS 3000 /* a systemd-detect-virt run that takes longer is killed */
#define QTP_MS_LOAD_WARN 0.5        /* 1-minute load at or above this gets a warning */

enum qtp_ms_kind {
    QTP_MS_TEXT,   /* JSON string */
    QTP_MS_NUMBER, /* JSON number (number) */
    QTP_MS_BOOL,   /* JSON true/false (number 1/0) */
};

struct qtp_ms_fact {
    bool known;
    double number;              /* NUMBER and BOOL when known */
    char text[QTP_MS_TEXT_MAX]; /* known: the value as read ("" is a value: e.g. no CPU isolated);
                                   unknown: why */
};

/* Machine-wide facts, in the order of the registry in machine_state.c (JSON key in quotes). */
enum qtp_ms_id {
    QTP_MS_CPUS_ONLINE,       /* "cpus_online" text: /sys/devices/system/cpu/online */
    QTP_MS_TURBO,             /* "turbo" bool: boost/turbo allowed */
    QTP_MS_TURBO_SOURCE,      /* "turbo_source" text: "intel_pstate/no_turbo", "cpufreq/boost" */
    QTP_MS_SMT_CONTROL,       /* "smt_control" text: on, off, forceoff, notsupported, ... */
    QTP_MS_SMT_ACTIVE,        /* "smt_active" bool */
    QTP_MS_ISOLATED,          /* "isolated" text: the kernel's isolated CPU list ("" none) */
    QTP_MS_NOHZ_FULL,         /* "nohz_full" text: the kernel's nohz_full CPU list */
    QTP_MS_CMDLINE_ISOLCPUS,  /* "cmdline_isolcpus" text: isolcpus= of /proc/cmdline, "" absent */
    QTP_MS_CMDLINE_NOHZ_FULL, /* "cmdline_nohz_full" text: nohz_full= of /proc/cmdline */
    QTP_MS_THP_ENABLED,       /* "thp_enabled" text: the [selected] mode: always, madvise, never */
    QTP_MS_THP_DEFRAG,        /* "thp_defrag" text: the [selected] mode */
    QTP_MS_HYPERVISOR_FLAG,   /* "hypervisor_flag" bool: /proc/cpuinfo flags has hypervisor */
    QTP_MS_VIRT_VM,           /* "virt_vm" text: systemd-detect-virt --vm ("none": not a VM) */
    QTP_MS_VIRT_CONTAINER,    /* "virt_container" text: systemd-detect-virt --container */
    QTP_MS_DMI_VENDOR,        /* "dmi_sys_vendor" text: /sys/class/dmi/id/sys_vendor */
    QTP_MS_DMI_PRODUCT,       /* "dmi_product_name" text */
    QTP_MS_VM,                /* "vm" text: hypervisor name, "yes" (unnamed) or "none" (above) */
    QTP_MS_LOAD1,             /* "load1" number: /proc/loadavg */
    QTP_MS_LOAD5,             /* "load5" number */
    QTP_MS_LOAD15,            /* "load15" number */
    QTP_MS_NFACTS
};

/* Per CPU facts (cpufreq policy of that CPU). */
enum qtp_ms_cpu_id {
    QTP_MS_CPU_DRIVER,   /* "driver" text: scaling_driver (acpi-cpufreq, intel_pstate, ...) */
    QTP_MS_CPU_GOVERNOR, /* "governor" text: scaling_governor */
    QTP_MS_CPU_CUR_KHZ,  /* "cur_khz" number: scaling_cur_freq */
    QTP_MS_CPU_MIN_KHZ,  /* "min_khz" number: scaling_min_freq */
    QTP_MS_CPU_MAX_KHZ,  /* "max_khz" number: scaling_max_freq */
    QTP_MS_CPU_NFACTS
};

struct qtp_ms_cpu {
    int os; /* OS CPU number */
    struct qtp_ms_fact f[QTP_MS_CPU_NFACTS];
};

struct qtp_ms_mitigation {
    char name[64];            /* file name under vulnerabilities/: spectre_v2, mds, ... */
    struct qtp_ms_fact state; /* its text ("Mitigation: Retpolines; ...", "Not affected") */
};

struct qtp_machine_state {
    char root[256];
    struct qtp_ms_fact f[QTP_MS_NFACTS];
    size_t ncpus;
    struct qtp_ms_cpu *cpus;        /* in the order given */
    struct qtp_ms_fact mitigations; /* known: the list is complete ("" text); else why none */
    size_t nmitigations;
    struct qtp_ms_mitigation *mitigation; /* sorted by name */
};

struct qtp_machine_state_source {
    const char *root; /* NULL or "/": this machine; else a directory holding sys/ and proc/ */
    /* systemd-detect-virt to run. NULL: "systemd-detect-virt" from PATH when root is this
     * machine, none for another root (a faked tree cannot fake a program); "": never run. */
    const char *detect_virt;
};

/* Key, kind and one-line meaning of each fact (the JSON keys, for docs and the report). */
struct qtp_ms_fact_info {
    const char *key;
    enum qtp_ms_kind kind;
    const char *summary; /* a label for tables: "CPU frequency governor" */
};
const struct qtp_ms_fact_info *qtp_ms_fact_info(enum qtp_ms_id id);
const struct qtp_ms_fact_info *qtp_ms_cpu_fact_info(enum qtp_ms_cpu_id id);

/* Read everything for the CPUs cpus[0..ncpus-1] (OS numbers, e.g. a plan's PUs; ncpus may be 0).
 * 0 with *out (qtp_machine_state_free it), EINVAL (root too long, a negative CPU), ENOMEM.
 * Facts that cannot be read are unknown with their reason, never an error. */
int qtp_machine_state_read(struct qtp_machine_state **out,
                           const struct qtp_machine_state_source *src, const int *cpus,
                           size_t ncpus);
void qtp_machine_state_free(struct qtp_machine_state *st);

/* The load average alone (cheap: for the start and end of each cell). root as above. 0 with
 * load[0..2] = 1, 5, 15 minutes, or an errno with why[] filled. */
int qtp_machine_state_load(const char *root, double load[3], char *why, size_t whylen);

/* What a report should show next to the numbers ("governor is powersave", "turbo on", "VM",
 * "load 3.2 at start"), one line each, from known facts only. */
struct qtp_ms_warning {
    const char *id; /* "governor", "turbo", "vm", "load" */
    char text[QTP_MS_TEXT_MAX];
};
/* Fills out[0..max-1]; returns how many warnings there are (may exceed max). */
size_t qtp_machine_state_warnings(const struct qtp_machine_state *st, struct qtp_ms_warning *out,
                                  size_t max);

/* The state as a JSON object (a new reference; NULL on ENOMEM), for meta.json: "root", every
 * machine-wide key above, "cpus": [{"cpu", "driver", "governor", "cur_khz", "min_khz",
 * "max_khz"}], "mitigations": {name: text}, "warnings": [{"id", "text"}]. A known fact is its
 * value; an unknown one is {"unknown": "<why>"} in its place. */
json_t *qtp_machine_state_to_json(const struct qtp_machine_state *st);

#endif
