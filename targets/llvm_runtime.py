"""The LLVM IR the llvm target defines on demand: f16 conversions and a
per-lane fma for machines without them, and the team of threads that runs
`parallel.for` (the C target's runtime, targets/c_runtime.py, in LLVM IR).

The team follows the C runtime's protocol: kept between calls and claimed
by each call, its N - 1 pthreads started by the first parallel loop; a loop
is posted by a release store of `claims` (its chunk count and chunk 0) and a
release increment of `loops`, its chunks are claimed by incrementing
`claims`, and it is finished when `finished` reaches the count. Waiting threads poll, then poll between
`sched_yield` calls, then sleep on a condition variable.
"""

from __future__ import annotations

from pelemay_ir.targets.c_runtime import CHUNKS_PER_THREAD, CLAIM_SHIFT, POLLS, TIGHT_POLLS

F16_TO_F32 = "pelemay.f16_to_f32"
F32_TO_F16 = "pelemay.f32_to_f16"
FMA_LANES = "pelemay.fma_lanes"
HELPERS = {
    # Exact: normal numbers rebias the exponent, subnormals are m * 2^-24.
    F16_TO_F32: f"""define internal float @{F16_TO_F32}(i16 %h) #0 {{
entry:
  %x = zext i16 %h to i32
  %sign = and i32 %x, 32768
  %sign32 = shl i32 %sign, 16
  %shifted = lshr i32 %x, 10
  %e = and i32 %shifted, 31
  %m = and i32 %x, 1023
  %m13 = shl i32 %m, 13
  %e127 = add i32 %e, 112
  %e23 = shl i32 %e127, 23
  %normal.bits = or i32 %e23, %m13
  %special.bits = or i32 %m13, 2139095040
  %is.special = icmp eq i32 %e, 31
  %finite.bits = select i1 %is.special, i32 %special.bits, i32 %normal.bits
  %mf = uitofp i32 %m to float
  %tiny = fmul float %mf, 0x3E70000000000000
  %tiny.bits = bitcast float %tiny to i32
  %is.tiny = icmp eq i32 %e, 0
  %magnitude = select i1 %is.tiny, i32 %tiny.bits, i32 %finite.bits
  %bits = or i32 %magnitude, %sign32
  %f = bitcast i32 %bits to float
  ret float %f
}}
""",
    # Round to nearest even; overflow gives infinity; NaN stays a (quiet) NaN.
    F32_TO_F16: f"""define internal i16 @{F32_TO_F16}(float %f) #0 {{
entry:
  %x = bitcast float %f to i32
  %high = lshr i32 %x, 16
  %sign = and i32 %high, 32768
  %a = and i32 %x, 2147483647
  %payload.high = lshr i32 %a, 13
  %payload = and i32 %payload.high, 1023
  %quiet = or i32 %payload, 512
  %is.nan = icmp ugt i32 %a, 2139095040
  %nan.low = select i1 %is.nan, i32 %quiet, i32 0
  %inf.or.nan = or i32 %nan.low, 31744
  %is.inf.or.nan = icmp uge i32 %a, 2139095040
  %overflows = icmp uge i32 %a, 1199566848
  %big = select i1 %is.inf.or.nan, i32 %inf.or.nan, i32 31744
  %rebased = sub i32 %a, 939524096
  %odd.high = lshr i32 %rebased, 13
  %odd = and i32 %odd.high, 1
  %bias = add i32 %odd, 4095
  %rounded = add i32 %rebased, %bias
  %normal = lshr i32 %rounded, 13
  %exponent = lshr i32 %a, 23
  %raw.shift = sub i32 126, %exponent
  %is.subnormal = icmp ult i32 %a, 947912704
  %shift = select i1 %is.subnormal, i32 %raw.shift, i32 24
  %mantissa = and i32 %a, 8388607
  %significand = or i32 %mantissa, 8388608
  %q = lshr i32 %significand, %shift
  %one.shifted = shl i32 1, %shift
  %mask = sub i32 %one.shifted, 1
  %rest = and i32 %significand, %mask
  %half.shift = sub i32 %shift, 1
  %half = shl i32 1, %half.shift
  %above = icmp ugt i32 %rest, %half
  %tie = icmp eq i32 %rest, %half
  %q.odd.bit = and i32 %q, 1
  %q.odd = icmp ne i32 %q.odd.bit, 0
  %tie.up = and i1 %tie, %q.odd
  %up = or i1 %above, %tie.up
  %up.bit = zext i1 %up to i32
  %sub.rounded = add i32 %q, %up.bit
  %underflows = icmp ule i32 %a, 855638016
  %subnormal = select i1 %underflows, i32 0, i32 %sub.rounded
  %small = select i1 %is.subnormal, i32 %subnormal, i32 %normal
  %magnitude = select i1 %overflows, i32 %big, i32 %small
  %bits = or i32 %magnitude, %sign
  %h = trunc i32 %bits to i16
  ret i16 %h
}}
""",
    FMA_LANES: f"""define internal void @{FMA_LANES}(ptr %out, ptr %a, ptr %b, ptr %c, i32 %n) #0 {{
entry:
  br label %lane
lane:
  %i = phi i32 [ 0, %entry ], [ %next, %lane ]
  %pa = getelementptr inbounds float, ptr %a, i32 %i
  %pb = getelementptr inbounds float, ptr %b, i32 %i
  %pc = getelementptr inbounds float, ptr %c, i32 %i
  %pout = getelementptr inbounds float, ptr %out, i32 %i
  %x = load float, ptr %pa, align 4
  %y = load float, ptr %pb, align 4
  %z = load float, ptr %pc, align 4
  %r = call float @fmaf(float %x, float %y, float %z)
  store float %r, ptr %pout, align 4
  %next = add nuw i32 %i, 1
  %more = icmp ult i32 %next, %n
  br i1 %more, label %lane, label %done
done:
  ret void
}}
""",
}
"""Functions the printed module defines on demand: f16 conversions in integer
arithmetic, for machines without them in hardware (the C target's
pl_f16_to_f32 / pl_f32_to_f16, without branches); out[i] = fmaf(a[i], b[i],
c[i]) for the n lanes of a vector fma on a machine without a fused instruction."""

PARALLEL_FOR = "pelemay.parallel_for"
TEAM_CLAIM = "pelemay.team_claim"
TEAM_RELEASE = "pelemay.team_release"
TEAM_TYPE = "%pelemay.team"
"""{ size, stop, loops, claims, body, context, lb, ub, step, [W x pthread_t], finished,
locks, owner, lock, wake, done }: the C runtime's struct pelemay_team (targets/c_runtime.py)."""
PTHREAD_STORAGE = "[8 x i64]"
"""Room for a pthread_mutex_t or pthread_cond_t, whose layout differs by C
library and machine: 64 bytes, 8-aligned, holds each of them on glibc, musl
and macOS (24 to 64 bytes)."""


def team_types(max_threads: int, index: str) -> list[str]:
    """The team's types and the kept team (before any function: LLVM sizes a type where it is used)."""
    workers = max_threads - 1
    return [
        f"{TEAM_TYPE} = type {{ i32, i32, i32, i32, ptr, ptr, {index}, {index}, {index}, "
        f"[{workers} x {index}], i32, i32, i32, {PTHREAD_STORAGE}, {PTHREAD_STORAGE}, {PTHREAD_STORAGE} }}",
        f"@pelemay.kept_team = internal global {TEAM_TYPE} zeroinitializer, align 8",
        "@pelemay.kept_team_held = internal global i32 0, align 4",
        "@llvm.global_dtors = appending global [1 x { i32, ptr, ptr }] "
        "[{ i32, ptr, ptr } { i32 65535, ptr @pelemay.kept_team_stop, ptr null }]",
        "",
    ]


def team_runtime(max_threads: int, index: str) -> str:
    """The team's functions for up to `max_threads` threads, the protocol of
    targets/c_runtime.py's; `index` is the machine's pointer-sized integer
    (ptrdiff_t and pthread_t)."""
    workers = max_threads - 1
    fields = {"size": 0, "stop": 1, "loops": 2, "claims": 3, "body": 4, "context": 5, "lb": 6, "ub": 7,
              "step": 8, "thread": 9, "finished": 10, "locks": 11, "owner": 12, "lock": 13, "wake": 14, "done": 15}

    def field(ptr: str, *names: str) -> str:
        return "\n".join(f"  %{name}p = getelementptr inbounds {TEAM_TYPE}, ptr {ptr}, i32 0, i32 {fields[name]}"
                         for name in names)

    wide = index == "i64"

    def pause(poll: str, patience: str) -> str:
        """After a poll that found nothing: poll again at once for the first
        TIGHT_POLLS, then after sched_yield; after POLLS, go to `patience`."""
        return f"""pause:
  %polls.next = add i32 %polls, 1
  %tight = icmp slt i32 %polls, {TIGHT_POLLS}
  %patient = icmp slt i32 %polls, {POLLS}
  br i1 %patient, label %polled, label %{patience}
polled:
  br i1 %tight, label %{poll}, label %yield
yield:
  %yielded = call i32 @sched_yield()
  br label %{poll}"""

    def to64(v: str, name: str) -> str:
        return f"  %{name} = {'add i64 0, ' + v if wide else f'sext {index} {v} to i64'}"

    def from64(v: str, name: str) -> str:
        return f"  %{name} = {'add i64 0, ' + v if wide else f'trunc i64 {v} to {index}'}"

    def trip_count(lb: str, ub: str, step: str) -> str:
        """%trips: the i64 count of lb, lb + step, ... below ub (0 when ub <= lb)."""
        return f"""  %span = sub i64 {ub}, {lb}
  %span.up = add i64 %span, {step}
  %span.last = sub i64 %span.up, 1
  %trips.any = sdiv i64 %span.last, {step}
  %nonempty = icmp sgt i64 {ub}, {lb}
  %trips = select i1 %nonempty, i64 %trips.any, i64 0"""

    return f"""; Chunk k of `chunks` of the iterations lb, lb + step, ... below ub.
define internal void @pelemay.run_chunk(ptr %t, i32 %k, i32 %chunks) #0 {{
entry:
{field('%t', 'lb', 'ub', 'step')}
  %lb.n = load {index}, ptr %lbp
  %ub.n = load {index}, ptr %ubp
  %step.n = load {index}, ptr %stepp
{to64('%lb.n', 'lb')}
{to64('%ub.n', 'ub')}
{to64('%step.n', 'step')}
{trip_count('%lb', '%ub', '%step')}
  %k64 = sext i32 %k to i64
  %next = add i32 %k, 1
  %next64 = sext i32 %next to i64
  %chunks64 = sext i32 %chunks to i64
  %lo.trips = mul i64 %trips, %k64
  %lo.share = sdiv i64 %lo.trips, %chunks64
  %lo.span = mul i64 %lo.share, %step
  %lo = add i64 %lb, %lo.span
  %hi.trips = mul i64 %trips, %next64
  %hi.share = sdiv i64 %hi.trips, %chunks64
  %hi.span = mul i64 %hi.share, %step
  %hi.any = add i64 %lb, %hi.span
  %hi.past = icmp sgt i64 %hi.any, %ub
  %hi = select i1 %hi.past, i64 %ub, i64 %hi.any
  %some = icmp slt i64 %lo, %hi
  br i1 %some, label %run, label %done
run:
{field('%t', 'body', 'context')}
  %body = load ptr, ptr %bodyp
  %context = load ptr, ptr %contextp
{from64('%lo', 'lo.n')}
{from64('%hi', 'hi.n')}
  call void %body(ptr %context, {index} %lo.n, {index} %hi.n)
  br label %done
done:
  ret void
}}

; Claims and runs chunks of the current loop until none is left. A worker
; wakes the caller when it finishes the loop's last chunk.
define internal void @pelemay.run_chunks(ptr %t, i1 %worker) #0 {{
entry:
{field('%t', 'claims', 'finished', 'lock', 'done')}
  br label %claim
claim:
  %claimed = atomicrmw add ptr %claimsp, i32 1 acquire
  %chunks = lshr i32 %claimed, {CLAIM_SHIFT}
  %k = and i32 %claimed, {(1 << CLAIM_SHIFT) - 1}
  %some = icmp slt i32 %k, %chunks
  br i1 %some, label %run, label %out
run:
  call void @pelemay.run_chunk(ptr %t, i32 %k, i32 %chunks)
  br i1 %worker, label %report, label %count
count:
  %counted = atomicrmw add ptr %finishedp, i32 1 release
  br label %claim
report:
  %locked = call i32 @pthread_mutex_lock(ptr %lockp)
  %before = atomicrmw add ptr %finishedp, i32 1 release
  %after = add i32 %before, 1
  %last = icmp eq i32 %after, %chunks
  br i1 %last, label %signal, label %unlock
signal:
  %signalled = call i32 @pthread_cond_signal(ptr %donep)
  br label %unlock
unlock:
  %unlocked = call i32 @pthread_mutex_unlock(ptr %lockp)
  br label %claim
out:
  ret void
}}

; A worker: polls for the next loop (then sleeps on `wake`) and claims its chunks.
define internal ptr @pelemay.team_work(ptr %t) #0 {{
entry:
{field('%t', 'stop', 'loops', 'lock', 'wake')}
  br label %wait
wait:
  %seen = phi i32 [ 0, %entry ], [ %loops.now, %work ]
  br label %poll
poll:
  %polls = phi i32 [ 0, %wait ], [ %polls.next, %polled ], [ %polls.next, %yield ]
  %loops = load atomic i32, ptr %loopsp acquire, align 4
  %stop = load atomic i32, ptr %stopp acquire, align 4
  %posted = icmp ne i32 %loops, %seen
  %stopping = icmp ne i32 %stop, 0
  %woken = or i1 %posted, %stopping
  br i1 %woken, label %awake, label %pause
{pause("poll", "sleep")}
sleep:
  %locked = call i32 @pthread_mutex_lock(ptr %lockp)
  br label %asleep
asleep:
  %loops.asleep = load atomic i32, ptr %loopsp acquire, align 4
  %stop.asleep = load atomic i32, ptr %stopp acquire, align 4
  %same = icmp eq i32 %loops.asleep, %seen
  %going = icmp eq i32 %stop.asleep, 0
  %idle = and i1 %same, %going
  br i1 %idle, label %nap, label %risen
nap:
  %napped = call i32 @pthread_cond_wait(ptr %wakep, ptr %lockp)
  br label %asleep
risen:
  %unlocked = call i32 @pthread_mutex_unlock(ptr %lockp)
  br label %awake
awake:
  %stop.now = load atomic i32, ptr %stopp acquire, align 4
  %stopping.now = icmp ne i32 %stop.now, 0
  br i1 %stopping.now, label %exit, label %work
exit:
  ret ptr null
work:
  %loops.now = load atomic i32, ptr %loopsp acquire, align 4
  call void @pelemay.run_chunks(ptr %t, i1 true)
  br label %wait
}}

; Starts up to {workers} workers (fewer if threads cannot start: the others then run every chunk).
define internal void @pelemay.team_start(ptr %t) #0 {{
entry:
{field('%t', 'size', 'locks', 'owner', 'lock', 'wake', 'done')}
  store i32 1, ptr %sizep
  %pid = call i32 @getpid()
  store i32 %pid, ptr %ownerp
  %lock.failed = call i32 @pthread_mutex_init(ptr %lockp, ptr null)
  %lock.ok = icmp eq i32 %lock.failed, 0
  br i1 %lock.ok, label %make.wake, label %done
make.wake:
  %wake.failed = call i32 @pthread_cond_init(ptr %wakep, ptr null)
  %wake.ok = icmp eq i32 %wake.failed, 0
  br i1 %wake.ok, label %make.done, label %drop.lock
make.done:
  %done.failed = call i32 @pthread_cond_init(ptr %donep, ptr null)
  %done.ok = icmp eq i32 %done.failed, 0
  br i1 %done.ok, label %made, label %drop.wake
drop.wake:
  %wake.gone = call i32 @pthread_cond_destroy(ptr %wakep)
  br label %drop.lock
drop.lock:
  %lock.gone = call i32 @pthread_mutex_destroy(ptr %lockp)
  br label %done
made:
  store i32 1, ptr %locksp
  br label %loop
loop:
  %k = phi i32 [ 0, %made ], [ %k.next, %started ]
  %more = icmp slt i32 %k, {workers}
  br i1 %more, label %start, label %done
start:
  %k.next = add i32 %k, 1
  %threadp = getelementptr inbounds {TEAM_TYPE}, ptr %t, i32 0, i32 {fields['thread']}, i32 %k
  %failed = call i32 @pthread_create(ptr %threadp, ptr null, ptr @pelemay.team_work, ptr %t)
  %ok = icmp eq i32 %failed, 0
  br i1 %ok, label %started, label %done
started:
  %size = load i32, ptr %sizep
  %size.next = add i32 %size, 1
  store i32 %size.next, ptr %sizep
  br label %loop
done:
  ret void
}}

; Joins the workers.
define internal void @pelemay.team_stop(ptr %t) #0 {{
entry:
{field('%t', 'size', 'stop', 'locks', 'lock', 'wake', 'done')}
  %locks = load i32, ptr %locksp
  %made = icmp ne i32 %locks, 0
  br i1 %made, label %stop, label %done
stop:
  %locked = call i32 @pthread_mutex_lock(ptr %lockp)
  store atomic i32 1, ptr %stopp release, align 4
  %woken = call i32 @pthread_cond_broadcast(ptr %wakep)
  %unlocked = call i32 @pthread_mutex_unlock(ptr %lockp)
  %size = load i32, ptr %sizep
  %workers = sub i32 %size, 1
  br label %loop
loop:
  %k = phi i32 [ 0, %stop ], [ %k.next, %join ]
  %more = icmp slt i32 %k, %workers
  br i1 %more, label %join, label %destroy
join:
  %threadp = getelementptr inbounds {TEAM_TYPE}, ptr %t, i32 0, i32 {fields['thread']}, i32 %k
  %thread = load {index}, ptr %threadp
  %joined = call i32 @pthread_join({index} %thread, ptr null)
  %k.next = add i32 %k, 1
  br label %loop
destroy:
  %done.gone = call i32 @pthread_cond_destroy(ptr %donep)
  %wake.gone = call i32 @pthread_cond_destroy(ptr %wakep)
  %lock.gone = call i32 @pthread_mutex_destroy(ptr %lockp)
  br label %done
done:
  ret void
}}

; Whether the kept team's workers were started by this process (not by a
; parent that forked it, whose threads the child does not have).
define internal i1 @pelemay.kept_team_here() #0 {{
entry:
{field('@pelemay.kept_team', 'size', 'owner')}
  %size = load i32, ptr %sizep
  %started = icmp ne i32 %size, 0
  %owner = load i32, ptr %ownerp
  %pid = call i32 @getpid()
  %ours = icmp eq i32 %owner, %pid
  %here = and i1 %started, %ours
  ret i1 %here
}}

; The kept team if no other call holds it, else `own` (started and joined by
; this call). A team not started here is forgotten (a forked child's).
define internal ptr @{TEAM_CLAIM}(ptr %own) #0 {{
entry:
  %held = atomicrmw xchg ptr @pelemay.kept_team_held, i32 1 acquire
  %taken = icmp ne i32 %held, 0
  br i1 %taken, label %others, label %kept
others:
  ret ptr %own
kept:
  %here = call i1 @pelemay.kept_team_here()
  br i1 %here, label %ready, label %forget
forget:
  store {TEAM_TYPE} zeroinitializer, ptr @pelemay.kept_team, align 8
  br label %ready
ready:
  ret ptr @pelemay.kept_team
}}

; Called once before the function returns: hands the kept team back, or joins its own.
define internal void @{TEAM_RELEASE}(ptr %t) #0 {{
entry:
  %kept = icmp eq ptr %t, @pelemay.kept_team
  br i1 %kept, label %hand, label %own
hand:
  store atomic i32 0, ptr @pelemay.kept_team_held release, align 4
  ret void
own:
  call void @pelemay.team_stop(ptr %t)
  ret void
}}

; Joins the kept team's workers when the program is unloaded or the process exits.
define internal void @pelemay.kept_team_stop() #0 {{
entry:
  %held = atomicrmw xchg ptr @pelemay.kept_team_held, i32 1 acquire
  %free = icmp eq i32 %held, 0
  br i1 %free, label %kept, label %done
kept:
  %here = call i1 @pelemay.kept_team_here()
  br i1 %here, label %stop, label %done
stop:
  call void @pelemay.team_stop(ptr @pelemay.kept_team)
  br label %done
done:
  ret void
}}

; Runs body on the iterations lb, lb + step, ... below ub, cut into up to
; {CHUNKS_PER_THREAD} chunks per thread (`threads`, at most the team's size) that the
; caller and the workers claim; returns when all are done.
define internal void @{PARALLEL_FOR}(ptr %t, i32 %threads, ptr %body, ptr %context, {index} %lb, {index} %ub, {index} %step) #0 {{
entry:
{field('%t', 'size')}
  %size.before = load i32, ptr %sizep
  %fresh = icmp eq i32 %size.before, 0
  br i1 %fresh, label %start, label %started
start:
  call void @pelemay.team_start(ptr %t)
  br label %started
started:
  %size = load i32, ptr %sizep
  %few = icmp slt i32 %size, %threads
  %n = select i1 %few, i32 %size, i32 %threads
  %alone = icmp slt i32 %n, 2
{to64('%lb', 'lb64')}
{to64('%ub', 'ub64')}
{to64('%step', 'step64')}
{trip_count('%lb64', '%ub64', '%step64')}
  %short = icmp slt i64 %trips, 2
  %sequential = or i1 %alone, %short
  br i1 %sequential, label %inline, label %post
inline:
  %some = icmp slt {index} %lb, %ub
  br i1 %some, label %inline.run, label %done
inline.run:
  call void %body(ptr %context, {index} %lb, {index} %ub)
  br label %done
post:
{field('%t', 'claims', 'finished', 'loops', 'body', 'context', 'lb', 'ub', 'step', 'lock', 'wake', 'done')}
  %cap = mul i32 %n, {CHUNKS_PER_THREAD}
  %cap64 = sext i32 %cap to i64
  %under = icmp slt i64 %trips, %cap64
  %trips32 = trunc i64 %trips to i32
  %chunks = select i1 %under, i32 %trips32, i32 %cap
  %locked = call i32 @pthread_mutex_lock(ptr %lockp)
  store ptr %body, ptr %bodyp
  store ptr %context, ptr %contextp
  store {index} %lb, ptr %lbp
  store {index} %ub, ptr %ubp
  store {index} %step, ptr %stepp
  store atomic i32 0, ptr %finishedp monotonic, align 4
  %claims = shl i32 %chunks, {CLAIM_SHIFT}
  store atomic i32 %claims, ptr %claimsp release, align 4
  %posted = atomicrmw add ptr %loopsp, i32 1 release
  %woken = call i32 @pthread_cond_broadcast(ptr %wakep)
  %unlocked = call i32 @pthread_mutex_unlock(ptr %lockp)
  call void @pelemay.run_chunks(ptr %t, i1 false)
  br label %wait
wait:
  %polls = phi i32 [ 0, %post ], [ %polls.next, %polled ], [ %polls.next, %yield ]
  %finished = load atomic i32, ptr %finishedp acquire, align 4
  %all = icmp eq i32 %finished, %chunks
  br i1 %all, label %done, label %pause
{pause("wait", "sleep")}
sleep:
  %locked.wait = call i32 @pthread_mutex_lock(ptr %lockp)
  br label %asleep
asleep:
  %finished.asleep = load atomic i32, ptr %finishedp acquire, align 4
  %idle = icmp ne i32 %finished.asleep, %chunks
  br i1 %idle, label %nap, label %risen
nap:
  %napped = call i32 @pthread_cond_wait(ptr %donep, ptr %lockp)
  br label %asleep
risen:
  %unlocked.wait = call i32 @pthread_mutex_unlock(ptr %lockp)
  br label %done
done:
  ret void
}}

declare i32 @pthread_create(ptr, ptr, ptr, ptr)
declare i32 @pthread_join({index}, ptr)
declare i32 @pthread_mutex_init(ptr, ptr)
declare i32 @pthread_mutex_destroy(ptr)
declare i32 @pthread_mutex_lock(ptr)
declare i32 @pthread_mutex_unlock(ptr)
declare i32 @pthread_cond_init(ptr, ptr)
declare i32 @pthread_cond_destroy(ptr)
declare i32 @pthread_cond_wait(ptr, ptr)
declare i32 @pthread_cond_signal(ptr)
declare i32 @pthread_cond_broadcast(ptr)
declare i32 @sched_yield()
declare i32 @getpid()
"""
