/* opt_table.c - `qtopo run`'s option table (cli_int.h): every flag and matrix key, its range,
 * default and help, in --help's order. */
#include <stddef.h>

#include "cli_int.h"
#include "counters.h"

#define QTP_XSTR(x) #x
#define QTP_STR(x) QTP_XSTR(x)

#define M_OFF(f) offsetof(struct qtp_matrix, f), sizeof(((struct qtp_matrix *)0)->f)
#define NAMES(axis) K_NAMES, 0, 0, 0, axis, 0, 0, 0, 0, NULL
#define PARAM(p, flags, min, max, dflt, quick) K_PARAM, flags, min, max, p, 0, 0, dflt, quick, NULL
#define SCALAR(f, flags, min, max, dflt, quick)                                                    \
    K_U64, flags, min, max, -1, M_OFF(f), dflt, quick, NULL
#define FLAG(f) K_FLAG, 0, 0, 0, -1, M_OFF(f), 0, 0, NULL
#define PATH K_PATH, 0, 0, 0, -1, 0, 0, 0, 0, NULL
#define TEXT(f) K_TEXT, 0, 0, 0, -1, M_OFF(f), 0, 0, NULL
#define CHOICE(f, names) K_CHOICE, 0, 0, 0, -1, M_OFF(f), 0, 0, names

static const char *counters_choice(size_t i)
{
    return qtp_counters_modes[i].name;
}

/* In this order in --help and in meta.json's "matrix". A matrix file may also name a cell
 * parameter by its key in the results (the schema's: ring_size, work_ns). */
const struct opt_def qtp_cli_opts[O_COUNT] = {
    {O_TOPOLOGY, "topology", NULL, 't', "LIST", NAMES(QTP_NAME_TOPOLOGY),
     "topologies: unicast, pipeline, fanout, diamond, shard, sequencer, pingpong, broker, all "
     "(the default: all but broker, which is too long for the default matrix's ~3 minutes), or "
     "expressions such as 'seq(stage, shard(stage, 4))' (see `qtopo list` and `qtopo help "
     "topologies`)"},
    {O_QUEUE, "queue", NULL, 'q', "LIST", NAMES(QTP_NAME_QUEUE),
     "queue kinds: ring, mutex-array, mutex-linked, ck-ring, or all (default all)"},
    {O_WAIT, "wait", NULL, 'w', "LIST", NAMES(QTP_NAME_WAIT),
     "wait strategies of the ring and ck-ring: spin, yield, block, sleep, phased, or all (default "
     "all; without -q and -w, ck-ring runs with yield only; mutex queues always block); a "
     "strategy's constants as NAME:KEY=VALUE,... (e.g. phased:spin=5us,yield=20us, "
     "sleep:spins=100,nap=1us; see `qtopo list`)"},
    {O_PLACEMENT, "placement", NULL, 'p', "LIST", NAMES(QTP_NAME_PLACEMENT),
     "thread placements: os, compact, spread, smt, cross-numa, cpus:LIST (e.g. cpus:0-3,6), or all "
     "(default all: those this machine cannot give become skipped cells, and so do those that "
     "would repeat an earlier placement's PUs)"},
    {O_MEMORY, "memory", NULL, 'm', "LIST", NAMES(QTP_NAME_MEMORY),
     "where ring/queue storage goes: local, interleave, node:N, or all (default local)"},
    {O_EVENTS, "events", NULL, 'n', "N",
     PARAM(QTP_PARAM_events, 0, 1, 10000000000ULL, DEFAULT_EVENTS, QUICK_EVENTS),
     "measured events per rep, per producer for the sequencer (default " QTP_STR(
         DEFAULT_EVENTS) "; --quick " QTP_STR(QUICK_EVENTS) ")"},
    {O_REPS, "reps", NULL, 'r', "N", SCALAR(reps, F_PLAIN, 1, 1000, DEFAULT_REPS, QUICK_REPS),
     "timed runs per cell, each a fresh deployment (default " QTP_STR(
         DEFAULT_REPS) "; --quick " QTP_STR(QUICK_REPS) ")"},
    {O_WARMUP, "warmup", NULL, 0, "N", PARAM(QTP_PARAM_warmup, F_SCALAR, 0, 10000000000ULL, 0, 0),
     "events before the measured window (default: events/10)"},
    {O_RING_SIZE, "ring-size", NULL, 0, "N",
     PARAM(QTP_PARAM_ring_size, F_POW2 | F_BINARY, 2, 1u << 24, DEFAULT_RING_SIZE,
           DEFAULT_RING_SIZE),
     "ring slots, or per-edge capacity of the mutex and ck-ring queues (default " QTP_STR(
         DEFAULT_RING_SIZE) ")"},
    {O_BATCH, "batch", NULL, 0, "N",
     PARAM(QTP_PARAM_batch, F_BINARY, 1, 65536, DEFAULT_BATCH, DEFAULT_BATCH),
     "producer claim size (ring) or events per push burst, at most --ring-size (default " QTP_STR(
         DEFAULT_BATCH) "); a range A-B (e.g. 1-64) draws each claim's size from A..B with a "
                        "generator seeded by --seed and the producer (the rep is reproducible)"},
    {O_BATCH_MAX, "batch-max", NULL, 0, "N", PARAM(QTP_PARAM_batch_max, F_BINARY, 0, 65536, 0, 0),
     "the top of a --batch range (default 0: every claim is --batch); --batch A-B sets it"},
    {O_PAYLOAD, "payload", NULL, 0, "BYTES",
     PARAM(QTP_PARAM_payload, F_BINARY | F_PAYLOAD, 8, 4096, 0, 0),
     "payload bytes per event (default 0)"},
    {O_WORK, "work", NULL, 0, "NS", PARAM(QTP_PARAM_work_ns, 0, 0, 10000000, 0, 0),
     "calibrated busy work per event in every stage, in ns (default 0)"},
    {O_FANOUT, "fanout", NULL, 0, "N",
     PARAM(QTP_PARAM_fanout, F_PLAIN, 1, 16, DEFAULT_FANOUT, DEFAULT_FANOUT),
     "branches of the fanout topology (default " QTP_STR(DEFAULT_FANOUT) ")"},
    {O_SHARDS, "shards", NULL, 0, "N",
     PARAM(QTP_PARAM_shards, F_POW2 | F_PLAIN, 1, 32, DEFAULT_SHARDS, DEFAULT_SHARDS),
     "workers of the shard topology (default " QTP_STR(DEFAULT_SHARDS) ")"},
    {O_STAGES, "stages", NULL, 0, "N",
     PARAM(QTP_PARAM_stages, F_PLAIN, 1, 32, DEFAULT_STAGES, DEFAULT_STAGES),
     "length of the pipeline topology (default " QTP_STR(DEFAULT_STAGES) ")"},
    {O_PRODUCERS, "producers", NULL, 0, "N",
     PARAM(QTP_PARAM_producers, F_PLAIN, 1, 4, DEFAULT_PRODUCERS, DEFAULT_PRODUCERS),
     "publishers of the broker topology (default " QTP_STR(DEFAULT_PRODUCERS) ")"},
    {O_READERS, "readers", NULL, 0, "N",
     PARAM(QTP_PARAM_readers, F_PLAIN, 1, 16, DEFAULT_READERS, DEFAULT_READERS),
     "readers of the broker topology, each sees every event (default " QTP_STR(
         DEFAULT_READERS) ")"},
    {O_OPT_OUT, "opt-out", "opt_out", 0, "PLAN", TEXT(opt_out),
     "who opts out of every cell: reader:K@X% (terminal K leaves after X% of the events; over "
     "the ring it is removed from the producers' gating at run time) and producer:J@Y% "
     "(producer J stops after Y% of its events), comma-separated, e.g. reader:2@30%,producer:1@50%"
     " (default none; the check knows the plan; a matrix file's parts give several plans)"},
    {O_RATE, "rate", NULL, 0, "N/s", PARAM(QTP_PARAM_rate, F_RATE, 0, 1000000000, 0, 0),
     "paced mode: events offered per second; latency is taken from each event's intended send time "
     "(default 0: saturated)"},
    {O_TIMEOUT, "timeout", "timeout_s", 0, "SEC",
     SCALAR(timeout_s, F_PLAIN, 1, 86400, DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S),
     "watchdog: a rep with no progress for SEC seconds is stopped and recorded failed with every "
     "sequence and queue depth (default " QTP_STR(DEFAULT_TIMEOUT_S) ")"},
    {O_OVERSUBSCRIBE, "oversubscribe", NULL, 0, NULL, FLAG(oversubscribe),
     "run busy-spin cells with more spinning threads than PUs (marked oversubscribed)"},
    {O_QUICK, "quick", NULL, 0, NULL, FLAG(quick),
     "smaller default events and reps (the default matrix in under a minute)"},
    {O_NO_LATENCY, "no-latency", "no_latency", 0, NULL, FLAG(no_latency),
     "do not read timestamps (measures the cost of latency recording)"},
    {O_SAMPLE_MS, "sample-ms", "sample_ms", 0, "MS",
     SCALAR(sample_ms, F_PLAIN | F_AUTO, 0, 10000, QTP_SAMPLE_MS_AUTO, QTP_SAMPLE_MS_AUTO),
     "sampler period: every MS the watchdog's thread reads each stage's position and queue depth "
     "(series/<cell>.r<rep>.csv) and the latency since (hist/<cell>.hlog); 0: off, one interval "
     "per rep; default auto: " QTP_STR(QTP_SAMPLE_MS_OFF_PUS) ", or " QTP_STR(
         QTP_SAMPLE_MS_SHARED) " in a paced rep whose watchdog shares the measured PUs (its row's "
                               "aux_shared), where each wake-up delays the cell's events"},
    {O_COUNTERS, "counters", NULL, 0, "MODE", CHOICE(counters, counters_choice),
     "kernel event counters per rep over its window (perf_event_open): none, sw (context switches, "
     "migrations, page faults) or all (also cycles, instructions, cache and branch misses); "
     "default: all where the machine has a PMU, else sw"},
    {O_SEED, "seed", NULL, 0, "N", SCALAR(seed, 0, 0, UINT64_MAX, 1, 1),
     "seed of the input values (default 1)"},
    {O_MATRIX, "matrix", NULL, 0, "FILE", PATH,
     "read the matrix from a JSON object with the keys above; flags override it"},
    {O_OUT, "out", NULL, 'o', "DIR", PATH,
     "new results directory (default results/runs/<UTC time>-<host>); must not exist"},
    {O_RESUME, "resume", NULL, 0, "DIR", PATH,
     "finish an interrupted run in DIR (its matrix is read back from DIR/meta.json)"},
    {O_SLICE, "slice", NULL, 0, "K/N", PATH,
     "run only slice K of N (1 <= K <= N <= 1000): the cells cut into N parts of about equal "
     "expected time; `qtopo merge` joins them"},
    {O_SLICE_PLAN, "slice-plan", NULL, 0, "N", PATH,
     "print each of N slices' cells and estimated time, run nothing"},
    {O_HELP, "help", NULL, 'h', NULL, PATH, "this text"},
};
_Static_assert(O_COUNT <= 64, "given is a 64-bit mask");
_Static_assert(O_COUNT <= 64, "given is a 64-bit mask");
