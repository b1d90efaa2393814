/*
 * icount: a QEMU TCG plugin counting the guest instructions one call of a
 * function executes, callees included, so that code run under qemu-user has
 * a cost figure that does not depend on the host (wall time under emulation
 * means nothing).
 *
 * Usage:
 *   qemu-aarch64 -plugin icount.so,entry=0x400a10,return=0x400c3c,out=FILE prog ...
 *
 *   entry   address of the function's first instruction (Thumb bit cleared)
 *   return  address of the instruction right after the call site, i.e. the
 *           return address of the one call to count
 *   out     file the result is written to (kept apart from the program's own
 *           stdout/stderr): "entered E\nreturned R\ninsns N\n"
 *
 * How it counts (exact, no sampling): every translated instruction gets an
 * inline "add 1" to one global counter, so the counter is the number of guest
 * instructions executed so far.  The instruction at `entry` and the one at
 * `return` additionally get an exec callback that snapshots the counter: the
 * first execution of `entry` starts the measurement, and the first execution
 * of `return` after that ends it.  The count is the difference of the two
 * snapshots: the instructions from the function's first instruction up to and
 * including its final return, together with everything it calls (libm's expf,
 * memcpy, ...).  Both snapshots see the counter in the same relation to their
 * own instruction (inline op and callback are emitted in the same order for
 * every instruction), so the difference is exact whatever that order is.
 * This needs the program to call the function once (the Pelemay harness does)
 * and to run on one vCPU (the harness has no threads).
 *
 * QEMU ships qemu-plugin.h only with its sources, so the few declarations
 * used are written out below; they follow the plugin API of QEMU 7.x/8.x
 * (QEMU_PLUGIN_VERSION 1), which Debian 12's qemu-user (7.2) loads.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of <qemu-plugin.h> (API version 1) used here ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct qemu_info_t {
    const char *target_name;
    struct {
        int min;
        int cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags,
                                            void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
void qemu_plugin_outs(const char *string);
/* ---- end of the API subset ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t executed;      /* guest instructions executed so far */
static uint64_t entry_addr, return_addr;
static bool entered, returned;
static uint64_t at_entry, at_return;
static char *out_path;

static void on_entry(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (!entered) {
        entered = true;
        at_entry = executed;
    }
}

static void on_return(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (entered && !returned) {
        returned = true;
        at_return = executed;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                   &executed, 1);
        if (pc == entry_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_entry,
                                                   QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (pc == return_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_return,
                                                   QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
    }
}

static void report(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        qemu_plugin_outs("icount: cannot open the out file\n");
        return;
    }
    fprintf(f, "entered %d\nreturned %d\ninsns %" PRIu64 "\n", entered, returned,
            returned ? at_return - at_entry : 0);
    fclose(f);
}

static bool parse_address(const char *text, uint64_t *value)
{
    char *end;
    *value = strtoull(text, &end, 0);
    return *text != '\0' && *end == '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    bool have_entry = false, have_return = false;
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "entry=", 6) == 0) {
            have_entry = parse_address(arg + 6, &entry_addr);
        } else if (strncmp(arg, "return=", 7) == 0) {
            have_return = parse_address(arg + 7, &return_addr);
        } else if (strncmp(arg, "out=", 4) == 0) {
            out_path = strdup(arg + 4);
        } else {
            qemu_plugin_outs("icount: unknown argument (expected entry=, return=, out=)\n");
            return -1;
        }
    }
    if (!have_entry || !have_return || out_path == NULL) {
        qemu_plugin_outs("icount: needs entry=ADDR, return=ADDR and out=FILE\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report, NULL);
    return 0;
}
