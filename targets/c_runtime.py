"""The `static inline` helpers that give generated C its defined semantics.

Each helper is C99 text built from a template for one (operation, type) pair,
so the printer emits only the helpers a program uses. They are where the
rules of docs/c-target.md that are C's own live: wrapping integer arithmetic
computed on the unsigned type, and f16 as a storage type converted with
round-to-nearest-even by plain bit manipulation (the rules every printer
shares, such as division by zero or the NaN rule of max, are written out
by passes/legalize.py before printing).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "pl_"
"""Every helper's name starts with this; the printer keeps it out of user names."""


@dataclass(frozen=True)
class IntType:
    """A C integer type standing for an MLIR integer type (or index)."""

    suffix: str  # helper-name suffix: i8, i32, index, ...
    c: str  # the C type of values: int8_t, ptrdiff_t, uint8_t (i1)
    unsigned: str  # the unsigned type of the same width
    bits: int  # width in bits (64 for index: ptrdiff_t is at most 64 bits here)
    minimum: str  # the C expression of the smallest value
    maximum: str
    wide: str  # the unsigned type wrapping arithmetic is done in


def int_type(bits: int) -> IntType:
    if bits == 1:
        return IntType("i1", "uint8_t", "uint8_t", 1, "0", "1", "unsigned")
    if bits in (8, 16, 32, 64):
        wide = "uint64_t" if bits == 64 else "uint32_t"
        return IntType(
            f"i{bits}", f"int{bits}_t", f"uint{bits}_t", bits,
            f"INT{bits}_MIN", f"INT{bits}_MAX", wide,
        )
    raise ValueError(f"no C type for i{bits}")


INDEX = IntType("index", "ptrdiff_t", "size_t", 64, "PTRDIFF_MIN", "PTRDIFF_MAX", "size_t")


@dataclass(frozen=True)
class FloatType:
    suffix: str  # f32, f64, f16
    c: str  # the C type values are computed in (f16 values live in float)
    libm: str  # libm name suffix: "f" for float, "" for double
    literal: str  # literal suffix


F32 = FloatType("f32", "float", "f", "f")
F16 = FloatType("f16", "float", "f", "f")
F64 = FloatType("f64", "double", "", "")


def _fn(ret: str, name: str, params: str, body: str) -> str:
    return f"static inline {ret} {name}({params})\n{{\n{body}}}\n"


# --- f16 storage ---------------------------------------------------------------

F16_TO_F32 = _fn(
    "float", "pl_f16_to_f32", "uint16_t h",
    """    /* Exact: every binary16 value is a binary32 value. */
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = ((uint32_t)h >> 10) & 0x1fu;
    uint32_t m = (uint32_t)h & 0x3ffu;
    uint32_t x;
    float f;
    if (e == 0x1fu) {
        x = sign | 0x7f800000u | (m << 13);
    } else if (e != 0u) {
        x = sign | ((e + 112u) << 23) | (m << 13);
    } else if (m == 0u) {
        x = sign;
    } else {
        e = 113u;
        while ((m & 0x400u) == 0u) {
            m <<= 1;
            e--;
        }
        x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
    memcpy(&f, &x, sizeof f);
    return f;
""",
)

F32_TO_F16 = _fn(
    "uint16_t", "pl_f32_to_f16", "float f",
    """    /* Round to nearest, ties to even; overflow gives infinity, NaN stays NaN. */
    uint32_t x;
    uint32_t sign;
    uint32_t a;
    memcpy(&x, &f, sizeof x);
    sign = (x >> 16) & 0x8000u;
    a = x & 0x7fffffffu;
    if (a >= 0x7f800000u) {
        return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u | ((a >> 13) & 0x3ffu) : 0u));
    }
    if (a >= 0x477ff000u) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (a < 0x38800000u) {
        uint32_t mant;
        uint32_t shift;
        uint32_t q;
        uint32_t rest;
        uint32_t half;
        if (a <= 0x33000000u) {
            return (uint16_t)sign;
        }
        mant = (a & 0x7fffffu) | 0x800000u;
        shift = 126u - (a >> 23);
        q = mant >> shift;
        rest = mant & ((1u << shift) - 1u);
        half = 1u << (shift - 1u);
        if (rest > half || (rest == half && (q & 1u) != 0u)) {
            q++;
        }
        return (uint16_t)(sign | q);
    }
    a -= 0x38000000u;
    a += 0xfffu + ((a >> 13) & 1u);
    return (uint16_t)(sign | (a >> 13));
""",
)

F16_ROUND = _fn(
    "float", "pl_f16_round", "float f",
    "    /* The f16 value nearest to f, as a float (an op's f16 result). */\n"
    "    return pl_f16_to_f32(pl_f32_to_f16(f));\n",
)


# --- helper catalogue ------------------------------------------------------------


def wrap(op: str, t: IntType) -> tuple[str, str]:
    """Wrapping add/sub/mul: computed on the unsigned type, converted back."""
    sym = {"addi": "+", "subi": "-", "muli": "*"}[op]
    name = f"pl_{op}_{t.suffix}"
    if t.bits == 1:
        body = f"    return (uint8_t)(((unsigned)a {sym} (unsigned)b) & 1u);\n"
    elif t is INDEX:
        body = f"    return (ptrdiff_t)((size_t)a {sym} (size_t)b);\n"
    else:
        cast = f"({t.wide})" if t.wide == t.unsigned else f"({t.wide})({t.unsigned})"
        body = f"    return ({t.c})(({t.unsigned})({cast}a {sym} {cast}b));\n"
    return name, _fn(t.c, name, f"{t.c} a, {t.c} b", body)


def absi(t: IntType) -> tuple[str, str]:
    name = f"pl_absi_{t.suffix}"
    if t.bits == 1:
        body = "    return a;\n"
    else:
        body = (
            f"    /* abs(MIN) = MIN, as wrapping 0 - MIN. */\n"
            f"    return a < 0 ? ({t.c})({t.unsigned})(({t.wide})0 - ({t.wide})({t.unsigned})a) : a;\n"
        )
    return name, _fn(t.c, name, f"{t.c} a", body)


def bitcast(src: str, dst: str) -> tuple[str, str]:
    """Reinterpret the bits of a same-width value (src, dst: C types)."""
    name = f"pl_bitcast_{_ident(src)}_{_ident(dst)}"
    body = f"    {dst} r;\n    memcpy(&r, &a, sizeof r);\n    return r;\n"
    return name, _fn(dst, name, f"{src} a", body)


def load_bytes(ctype: str) -> tuple[str, str]:
    """Read element i of a byte buffer shared by several element types."""
    name = f"pl_load_{_ident(ctype)}"
    body = f"    {ctype} v;\n    memcpy(&v, p + i * (ptrdiff_t)sizeof v, sizeof v);\n    return v;\n"
    return name, _fn(ctype, name, "const unsigned char *p, ptrdiff_t i", body)


def store_bytes(ctype: str) -> tuple[str, str]:
    name = f"pl_store_{_ident(ctype)}"
    body = "    memcpy(p + i * (ptrdiff_t)sizeof v, &v, sizeof v);\n"
    return name, _fn("void", name, f"unsigned char *p, ptrdiff_t i, {ctype} v", body)


def _ident(ctype: str) -> str:
    return ctype.removesuffix("_t")


FIXED = {
    "pl_f16_to_f32": F16_TO_F32,
    "pl_f32_to_f16": F32_TO_F16,
    "pl_f16_round": F16_ROUND,
}
"""Helpers with one definition (the others are made per type by the functions above)."""

DEPENDS = {"pl_f16_round": ("pl_f16_to_f32", "pl_f32_to_f16")}


# --- portable vectors (GCC/Clang vector extensions) ------------------------------------
#
# Vector helpers take and give vectors through pointers: a wide vector passed by
# value is passed differently depending on the instruction set enabled (gcc and
# clang warn, -Wpsabi, for 32- and 64-byte vectors on x86-64), while a pointer
# to a local of a static inline function is gone once the call is inlined.


@dataclass(frozen=True)
class CVector:
    """A C vector type standing for vector<Nxf32>: its lanes and the C type values
    are held in (a typedef, or arm_neon.h's float32x4_t in a NEON program)."""

    lanes: int
    c: str

    @property
    def suffix(self) -> str:
        return f"f32x{self.lanes}"


def vector_typedef(element: str, lanes: int) -> tuple[str, str]:
    """`typedef float pelemay_f32x8 ...;` (element: f32, i32 or u32, 4 bytes a lane)."""
    ctype = {"f32": "float", "i32": "int32_t", "u32": "uint32_t"}[element]
    name = f"pelemay_{element}x{lanes}"
    return name, f"typedef {ctype} {name} __attribute__((vector_size({4 * lanes})));"


def vector_reduction(v: CVector, with_acc: bool) -> tuple[str, str]:
    """vector.reduction <add>: the lanes summed in lane order,
    ((v[0] + v[1]) + v[2]) + ..., after `acc` when there is one (legalize
    writes <maximumf> and <minimumf> out lane by lane)."""
    name = f"pl_vec_reduce_add{'_acc' if with_acc else ''}_{v.suffix}"
    combine = "s += (*v)[k];"
    start, first = ("acc", 0) if with_acc else ("(*v)[0]", 1)
    body = (
        f"    float s = {start};\n"
        f"    int k;\n"
        f"    for (k = {first}; k < {v.lanes}; k++) {{\n"
        f"        {combine}\n"
        f"    }}\n"
        f"    return s;\n"
    )
    params = f"float acc, const {v.c} *v" if with_acc else f"const {v.c} *v"
    return name, _fn("float", name, params, body)


# --- multicore (loops marked pelemay.parallel) -------------------------------------------
#
# A program keeps one team of threads between calls: the first parallel loop
# starts threads - 1 workers, and they stay. Starting threads costs tens of
# microseconds per call, and a thread started anew is often placed on its
# creator's busy CPU until the scheduler moves it, so a team started per call
# lost much of its second core. A call claims the kept team with one atomic
# exchange; a call made while another holds it (two threads calling the
# program at once) starts and joins a team of its own, as every call did
# before, so calls stay reentrant. Every parallel loop is cut into up to
# CHUNKS_PER_THREAD contiguous chunks per thread, which the caller and the
# workers claim one at a time from the counter `next`: a worker that is late
# (its CPU taken by another process) leaves its share to the caller instead of
# holding the call up, and uneven chunks even out. Between loops a worker polls
# the loop counter (yielding its CPU after the first polls) for milliseconds,
# then sleeps on a condition variable: a loop costs microseconds, and a
# polling worker keeps its own CPU (a woken sleeper may be put on the caller's
# busy CPU and wait there). Nothing is allocated; the kept team is the one
# mutable global. A destructor (GCC/Clang) joins its workers when the program
# is unloaded or the process exits, and a forked child, which has none of its
# parent's threads, starts its own. A loop's description is published to a
# claimer by the release store of `next` and its acquiring claim; a chunk's
# writes are ordered before whatever follows the loop by the release increment
# of `finished` that the caller reads with acquire (GCC/Clang __atomic
# builtins, which ThreadSanitizer understands), or by the mutex.

PARALLEL_FEATURES = (
    "#ifndef _POSIX_C_SOURCE",
    "#define _POSIX_C_SOURCE 200112L /* pthreads and getpid under -std=c99 */",
    "#endif",
)
"""Lines before any #include of a source that starts threads."""
PARALLEL_INCLUDES = ("#include <pthread.h>", "#include <sched.h>", "#include <sys/types.h>", "#include <unistd.h>")
PARALLEL_FOR = "pelemay_parallel_for"
TEAM = "pelemay_team"
"""The team pointer of a function with parallel loops."""
OWN_TEAM = "pelemay_own_team"
"""Its own team, used when another call holds the kept one."""
TEAM_DECLARATION = (f"struct pelemay_team {OWN_TEAM} = {{0}};",
                    f"struct pelemay_team *const {TEAM} = pelemay_team_claim(&{OWN_TEAM});")
TEAM_STOP = f"pelemay_team_release({TEAM});"
PARALLEL_BODY_PARAMS = "const void *pelemay_context, ptrdiff_t pelemay_lo, ptrdiff_t pelemay_hi"
"""The parameters of a loop's worker: its captured values, and its iterations [lo, hi)."""
TIGHT_POLLS = 1 << 10
"""Polls of a waiting thread before it starts giving its CPU away between polls."""
POLLS = 1 << 14
"""Polls before a waiting worker sleeps (milliseconds): one that keeps polling
keeps its CPU, where a sleeper may be woken onto the caller's busy CPU."""


CHUNKS_PER_THREAD = 4
"""A parallel loop is cut into up to this many chunks per thread, which the
threads claim one at a time: a thread that is late (its CPU busy with another
process) leaves its share to the others instead of holding them up."""
CLAIM_SHIFT = 16
"""The claim word holds a loop's chunk count above this bit and the next chunk
to claim below it. One atomic increment then returns both, so a claim is
valid exactly when its chunk is below its own loop's count: a late claim (by
a thread that saw an earlier loop end, as the next loop was posted) can never
take a chunk of the next loop that the next loop's own claims also take. The
count (at most MAX_THREADS * CHUNKS_PER_THREAD) and the failed claims of a
loop (one per thread) stay far below 2^16."""


def parallel_runtime(max_threads: int) -> str:
    """The team and `pelemay_parallel_for(team, threads, body, context, lb, ub, step)`
    for up to `max_threads` threads."""
    if max_threads < 2:
        raise ValueError("the parallel runtime needs at least 2 threads")
    workers = max_threads - 1
    return f"""typedef void (*pelemay_parallel_body)({PARALLEL_BODY_PARAMS});

struct pelemay_team {{
    int size; /* threads that run chunks, the caller included; 0: not started */
    int locks; /* the mutex and condition variables were made */
    pid_t owner; /* the process that started the workers */
    pthread_t thread[{workers}];
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a loop was posted, or stop */
    pthread_cond_t done; /* a worker finished the loop's last chunk */
    unsigned long loops; /* loops posted so far */
    unsigned int claims; /* the loop's chunk count << {CLAIM_SHIFT} | the next chunk to claim */
    int finished; /* chunks of the current loop run to their end */
    int stop;
    pelemay_parallel_body body;
    const void *context;
    ptrdiff_t lb;
    ptrdiff_t ub;
    ptrdiff_t step;
}};

/* Chunk k of `chunks` of the iterations lb, lb + step, ... below ub. */
static void pelemay_team_run_chunk(const struct pelemay_team *t, int k, int chunks)
{{
    long long trips = t->ub > t->lb ? ((long long)t->ub - t->lb + t->step - 1) / t->step : 0;
    ptrdiff_t lo = (ptrdiff_t)(t->lb + trips * k / chunks * t->step);
    ptrdiff_t hi = (ptrdiff_t)(t->lb + trips * (k + 1) / chunks * t->step);
    if (hi > t->ub) {{
        hi = t->ub;
    }}
    if (lo < hi) {{
        t->body(t->context, lo, hi);
    }}
}}

/* Claims and runs chunks of the current loop until none is left. A worker
 * wakes the caller when it finishes the loop's last chunk. */
static void pelemay_team_run_chunks(struct pelemay_team *t, int worker)
{{
    for (;;) {{
        unsigned int claim = __atomic_fetch_add(&t->claims, 1U, __ATOMIC_ACQUIRE);
        int chunks = (int)(claim >> {CLAIM_SHIFT});
        int k = (int)(claim & ((1U << {CLAIM_SHIFT}) - 1U));
        if (k >= chunks) {{
            return;
        }}
        pelemay_team_run_chunk(t, k, chunks);
        if (!worker) {{
            __atomic_add_fetch(&t->finished, 1, __ATOMIC_RELEASE);
            continue;
        }}
        (void)pthread_mutex_lock(&t->lock);
        if (__atomic_add_fetch(&t->finished, 1, __ATOMIC_RELEASE) == chunks) {{
            (void)pthread_cond_signal(&t->done);
        }}
        (void)pthread_mutex_unlock(&t->lock);
    }}
}}

/* Between the polls of a waiting thread: nothing at first, then sched_yield. */
static void pelemay_team_pause(long poll)
{{
    if (poll >= {TIGHT_POLLS}L) {{
        (void)sched_yield();
    }}
}}

static void *pelemay_team_work(void *arg)
{{
    struct pelemay_team *t = (struct pelemay_team *)arg;
    unsigned long seen = 0;
    for (;;) {{
        long poll;
        for (poll = 0; poll < {POLLS}L; poll++) {{
            if (__atomic_load_n(&t->loops, __ATOMIC_ACQUIRE) != seen || __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {{
                break;
            }}
            pelemay_team_pause(poll);
        }}
        (void)pthread_mutex_lock(&t->lock);
        while (__atomic_load_n(&t->loops, __ATOMIC_ACQUIRE) == seen && !__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {{
            (void)pthread_cond_wait(&t->wake, &t->lock);
        }}
        (void)pthread_mutex_unlock(&t->lock);
        if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {{
            return NULL;
        }}
        seen = __atomic_load_n(&t->loops, __ATOMIC_ACQUIRE);
        pelemay_team_run_chunks(t, 1);
    }}
}}

/* Starts up to {workers} workers (fewer if threads cannot start: the others
 * then run every chunk). */
static void pelemay_team_start(struct pelemay_team *t)
{{
    int k;
    t->size = 1;
    t->owner = getpid();
    if (pthread_mutex_init(&t->lock, NULL) != 0) {{
        return;
    }}
    if (pthread_cond_init(&t->wake, NULL) != 0) {{
        (void)pthread_mutex_destroy(&t->lock);
        return;
    }}
    if (pthread_cond_init(&t->done, NULL) != 0) {{
        (void)pthread_cond_destroy(&t->wake);
        (void)pthread_mutex_destroy(&t->lock);
        return;
    }}
    t->locks = 1;
    for (k = 0; k < {workers}; k++) {{
        if (pthread_create(&t->thread[k], NULL, pelemay_team_work, t) != 0) {{
            break;
        }}
        t->size++;
    }}
}}

/* Joins the workers. */
static void pelemay_team_stop(struct pelemay_team *t)
{{
    int k;
    if (!t->locks) {{
        return;
    }}
    (void)pthread_mutex_lock(&t->lock);
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    (void)pthread_cond_broadcast(&t->wake);
    (void)pthread_mutex_unlock(&t->lock);
    for (k = 0; k < t->size - 1; k++) {{
        (void)pthread_join(t->thread[k], NULL);
    }}
    (void)pthread_cond_destroy(&t->done);
    (void)pthread_cond_destroy(&t->wake);
    (void)pthread_mutex_destroy(&t->lock);
}}

/* The team kept between calls, and whether a call holds it. */
static struct pelemay_team pelemay_kept_team;
static int pelemay_kept_team_held;

/* Whether the kept team's workers were started by this process (not by a
 * parent that forked it, whose threads the child does not have). */
static int pelemay_kept_team_here(void)
{{
    return pelemay_kept_team.size != 0 && pelemay_kept_team.owner == getpid();
}}

/* The kept team if no other call holds it, else `own` (started and joined by
 * this call). A team not started here is forgotten (a forked child's). */
static struct pelemay_team *pelemay_team_claim(struct pelemay_team *own)
{{
    static const struct pelemay_team none;
    if (__atomic_exchange_n(&pelemay_kept_team_held, 1, __ATOMIC_ACQUIRE) != 0) {{
        return own;
    }}
    if (!pelemay_kept_team_here()) {{
        pelemay_kept_team = none;
    }}
    return &pelemay_kept_team;
}}

/* Called once before the function returns: hands the kept team back, or joins its own. */
static void pelemay_team_release(struct pelemay_team *t)
{{
    if (t == &pelemay_kept_team) {{
        __atomic_store_n(&pelemay_kept_team_held, 0, __ATOMIC_RELEASE);
    }} else {{
        pelemay_team_stop(t);
    }}
}}

/* Joins the kept team's workers when the program is unloaded or the process exits. */
__attribute__((destructor))
static void pelemay_kept_team_stop(void)
{{
    if (__atomic_exchange_n(&pelemay_kept_team_held, 1, __ATOMIC_ACQUIRE) == 0 && pelemay_kept_team_here()) {{
        pelemay_team_stop(&pelemay_kept_team);
    }}
}}

/* Runs body on the iterations lb, lb + step, ... below ub, cut into up to
 * {CHUNKS_PER_THREAD} chunks per thread (`threads`, at most the team's size) that the
 * caller and the workers claim; returns when all are done. */
static void {PARALLEL_FOR}(struct pelemay_team *t, int threads, pelemay_parallel_body body,
                                 const void *context, ptrdiff_t lb, ptrdiff_t ub, ptrdiff_t step)
{{
    long poll;
    int chunks;
    long long trips = ub > lb ? ((long long)ub - lb + step - 1) / step : 0;
    if (t->size == 0) {{
        pelemay_team_start(t);
    }}
    if (threads > t->size) {{
        threads = t->size;
    }}
    if (threads < 2 || trips < 2) {{
        if (lb < ub) {{
            body(context, lb, ub);
        }}
        return;
    }}
    (void)pthread_mutex_lock(&t->lock);
    t->body = body;
    t->context = context;
    t->lb = lb;
    t->ub = ub;
    t->step = step;
    chunks = trips < (long long)threads * {CHUNKS_PER_THREAD} ? (int)trips : threads * {CHUNKS_PER_THREAD};
    __atomic_store_n(&t->finished, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&t->claims, (unsigned int)chunks << {CLAIM_SHIFT}, __ATOMIC_RELEASE);
    __atomic_add_fetch(&t->loops, 1, __ATOMIC_RELEASE);
    (void)pthread_cond_broadcast(&t->wake);
    (void)pthread_mutex_unlock(&t->lock);
    pelemay_team_run_chunks(t, 0);
    for (poll = 0; poll < {POLLS}L; poll++) {{
        if (__atomic_load_n(&t->finished, __ATOMIC_ACQUIRE) == chunks) {{
            break;
        }}
        pelemay_team_pause(poll);
    }}
    if (poll == {POLLS}L) {{
        (void)pthread_mutex_lock(&t->lock);
        while (__atomic_load_n(&t->finished, __ATOMIC_ACQUIRE) != chunks) {{
            (void)pthread_cond_wait(&t->done, &t->lock);
        }}
        (void)pthread_mutex_unlock(&t->lock);
    }}
}}
"""
