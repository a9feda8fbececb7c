//! Bounded stress test of `fate::Supervisor` roots.
//!
//! Round after round, a root runs a body that starts a random mix of supervised
//! workers, as threads (`fate::spawn`) and as async tasks (on a small tokio runtime
//! built in the body), that succeed, panic, return `Err`, or block: until the root
//! cancels, until the test releases them after the round, or forever (a few threads,
//! left behind on purpose). Every round must:
//!
//! - end within [`ROUND_LIMIT`];
//! - report exactly the earliest failure as the primary one, with the right worker,
//!   kind and message: failing workers take turns, the first one fails at its turn and
//!   every other one waits until the root is cancelled (which happens only once the
//!   first failure is recorded), so the order of failures is known;
//! - count the others right: exactly when the root waits for everything (a grace
//!   period and a body that joins every worker), at most that many otherwise;
//! - leave no count behind: with a grace period or `wait(true)`, `run` returns as
//!   soon as (and not before) the running workers are done, so a running count that
//!   is never decremented shows up as a round that outlasts its limit; and after each
//!   round a probe root must receive the failure of a worker on a `fate::spawn`ed
//!   thread, and nobody that of a worker on a plain `std::thread`, which no
//!   `Supervisor` covers.
//!
//! The rounds are drawn from a small PRNG written here. `FATE_STRESS_ROUNDS` sets how
//! many (default [`DEFAULT_ROUNDS`], a few seconds), `FATE_STRESS_SEED` the seed; the
//! test prints both, the mix it ran and the slowest round. A failing round names
//! itself and its seed: `FATE_STRESS_SEED=<seed> FATE_STRESS_FIRST_ROUND=<round>
//! FATE_STRESS_ROUNDS=1` replays that round alone (the timing, of course, differs).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fate::{FailureKind, Supervisor};

/// Rounds run by default: a few seconds on a 2-core CI machine.
const DEFAULT_ROUNDS: u64 = 1000;
const DEFAULT_SEED: u64 = 0x5EED_FA7E;
/// Every round, from the start of `run` to the last worker (but the ones left behind
/// on purpose) gone, must end within this.
const ROUND_LIMIT: Duration = Duration::from_secs(10);
/// The grace period of the rounds that wait for everything: longer than
/// [`ROUND_LIMIT`], so that a root waiting for a worker that is not running (a count
/// never decremented) fails the round instead of passing slowly.
const GRACE: Duration = Duration::from_secs(60);
/// The longest any worker waits for anything (a cancellation, the gate).
const WAIT_LIMIT: Duration = Duration::from_secs(20);
/// Threads left blocked forever, over the whole test.
const MAX_LEFT_BEHIND: usize = 4;
const MAX_THREADS: u64 = 6;
/// How many later failures a report lists one by one (fate's `Debug`).
const LISTED_OTHERS: usize = 8;
const MAX_TASKS: u64 = 6;

// ---------------------------------------------------------------------------------
// A small PRNG (SplitMix64): no dependency, the same rounds for the same seed.
// ---------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------
// Small synchronisation helpers, every wait bounded.
// ---------------------------------------------------------------------------------

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A number that can be waited on.
#[derive(Default)]
struct Counter {
    value: Mutex<usize>,
    changed: Condvar,
}

impl Counter {
    fn add(&self) {
        *lock(&self.value) += 1;
        self.changed.notify_all();
    }

    fn get(&self) -> usize {
        *lock(&self.value)
    }

    /// Waits until `done(value)`, at most `limit`; returns the last value seen.
    fn wait_until(&self, limit: Duration, done: impl Fn(usize) -> bool) -> Result<(), usize> {
        let deadline = Instant::now() + limit;
        let mut value = lock(&self.value);
        while !done(*value) {
            let now = Instant::now();
            if now >= deadline {
                return Err(*value);
            }
            value = self
                .changed
                .wait_timeout(value, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        Ok(())
    }
}

/// The threads and tasks of a round that have not ended yet, by name.
#[derive(Default)]
struct AliveSet {
    names: Mutex<Vec<String>>,
    changed: Condvar,
}

impl AliveSet {
    /// Waits until none is alive, at most `limit`; returns those still alive.
    fn wait_empty(&self, limit: Duration) -> Result<(), Vec<String>> {
        let deadline = Instant::now() + limit;
        let mut names = lock(&self.names);
        while !names.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                return Err(names.clone());
            }
            names = self
                .changed
                .wait_timeout(names, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        Ok(())
    }
}

/// One entry of an [`AliveSet`], removed when dropped (also while unwinding).
struct Alive {
    set: Arc<AliveSet>,
    name: String,
}

impl Alive {
    fn new(set: &Arc<AliveSet>, name: String) -> Self {
        lock(&set.names).push(name.clone());
        Alive {
            set: set.clone(),
            name,
        }
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        let mut names = lock(&self.set.names);
        if let Some(at) = names.iter().position(|name| *name == self.name) {
            names.swap_remove(at);
        }
        drop(names);
        self.set.changed.notify_all();
    }
}

/// Opened by the test after a round, to release the workers blocked on it.
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    watch: tokio::sync::watch::Sender<bool>,
}

impl Gate {
    fn new() -> Self {
        Gate {
            open: Mutex::new(false),
            opened: Condvar::new(),
            watch: tokio::sync::watch::Sender::new(false),
        }
    }

    fn open(&self) {
        *lock(&self.open) = true;
        self.opened.notify_all();
        self.watch.send_replace(true);
    }

    fn wait(&self) -> bool {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut open = lock(&self.open);
        while !*open {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            open = self
                .opened
                .wait_timeout(open, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }

    async fn wait_async(&self) -> bool {
        let mut watch = self.watch.subscribe();
        let opened = tokio::time::timeout(WAIT_LIMIT, watch.wait_for(|open| *open))
            .await
            .is_ok_and(|seen| seen.is_ok());
        opened
    }
}

// ---------------------------------------------------------------------------------
// What a round is made of.
// ---------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Thread,
    Task,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Succeed,
    Panic,
    Err,
    /// Blocks until the root cancels.
    UntilCancelled,
    /// Blocks until the test opens the gate, after the round.
    UntilReleased,
    /// Blocks forever: a thread left behind, or a task dropped with its runtime.
    Forever,
}

impl Fate {
    fn fails(self) -> bool {
        matches!(self, Fate::Panic | Fate::Err)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No failure. With `wait(true)` the body leaves some threads running.
    Clean { wait: bool },
    /// Failures, a long grace period, and a body that joins every worker: the report
    /// must count every later failure.
    Graceful,
    /// Failures, no grace period, and workers that block in every way: `run` returns
    /// at the first failure.
    Abrupt,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Clean { wait: true } => f.write_str("clean+wait"),
            Mode::Clean { wait: false } => f.write_str("clean"),
            Mode::Graceful => f.write_str("graceful"),
            Mode::Abrupt => f.write_str("abrupt"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct WorkerPlan {
    place: Place,
    fate: Fate,
    /// The first failure of the round (at most one worker, or none if the body is).
    first: bool,
    /// The body waits for it (a thread joined, a task awaited).
    joined: bool,
    /// A pause before it succeeds, or before the first one fails.
    pause_us: u64,
}

#[derive(Debug)]
struct RoundPlan {
    round: u64,
    mode: Mode,
    workers: Vec<WorkerPlan>,
    /// The body itself fails first (a panic after starting the workers).
    body_fails_first: bool,
    multi_thread_runtime: bool,
}

impl RoundPlan {
    fn draw(round: u64, rng: &mut Rng, left_behind: &mut usize) -> Self {
        let mode = match rng.below(8) {
            0 | 1 => Mode::Clean {
                wait: rng.one_in(2),
            },
            2..=4 => Mode::Graceful,
            _ => Mode::Abrupt,
        };
        let threads = rng.below(MAX_THREADS + 1);
        let mut tasks = rng.below(MAX_TASKS + 1);
        if threads + tasks == 0 {
            tasks = 1;
        }
        let mut workers = Vec::new();
        for index in 0..threads + tasks {
            let place = if index < threads {
                Place::Thread
            } else {
                Place::Task
            };
            let fate = match mode {
                Mode::Clean { .. } => match (place, rng.below(6)) {
                    (Place::Task, 0) => Fate::Forever,
                    _ => Fate::Succeed,
                },
                Mode::Graceful => match rng.below(8) {
                    0 | 1 => Fate::Succeed,
                    2 | 3 => Fate::Panic,
                    4 | 5 => Fate::Err,
                    6 => Fate::UntilCancelled,
                    _ if place == Place::Task => Fate::Forever,
                    _ => Fate::UntilCancelled,
                },
                Mode::Abrupt => match rng.below(10) {
                    0 | 1 => Fate::Succeed,
                    2 | 3 => Fate::Panic,
                    4 | 5 => Fate::Err,
                    6 => Fate::UntilCancelled,
                    7 | 8 => Fate::UntilReleased,
                    _ if place == Place::Thread && *left_behind < MAX_LEFT_BEHIND => {
                        *left_behind += 1;
                        Fate::Forever
                    }
                    _ => Fate::UntilReleased,
                },
            };
            let joined = match (mode, fate) {
                // A worker that never ends cannot be joined.
                (_, Fate::Forever) => false,
                (Mode::Graceful, _) => true,
                // A detached task may be dropped with the runtime before it ran.
                _ => !rng.one_in(3),
            };
            workers.push(WorkerPlan {
                place,
                fate,
                first: false,
                joined,
                pause_us: rng.pick(&[0, 0, 10, 100, 500, 2_000]),
            });
        }
        let body_fails_first = mode == Mode::Abrupt && rng.one_in(8);
        if !matches!(mode, Mode::Clean { .. }) {
            let mut failers: Vec<usize> = (0..workers.len())
                .filter(|&i| workers[i].fate.fails())
                .collect();
            if failers.is_empty() && !body_fails_first {
                // A round of this mode has at least one failure.
                let index = rng.below(workers.len() as u64) as usize;
                workers[index].fate = if rng.one_in(2) {
                    Fate::Panic
                } else {
                    Fate::Err
                };
                if mode == Mode::Graceful {
                    workers[index].joined = true;
                }
                failers.push(index);
            }
            rng.shuffle(&mut failers);
            if !body_fails_first {
                workers[failers[0]].first = true;
                // A detached task may never be polled before the body drops its
                // runtime: the first failure must happen.
                workers[failers[0]].joined = true;
            }
        }
        RoundPlan {
            round,
            mode,
            workers,
            body_fails_first,
            multi_thread_runtime: rng.one_in(2),
        }
    }

    fn failers(&self) -> usize {
        self.workers.iter().filter(|w| w.fate.fails()).count() + usize::from(self.body_fails_first)
    }
}

/// What workers of one round share with the test.
struct Shared {
    round: u64,
    gate: Gate,
    /// Workers (and the body) whose thread or task has not ended yet.
    alive: Arc<AliveSet>,
    /// Thread workers that entered their supervised function.
    threads_entered: Counter,
    /// Workers that succeeded, counted inside their supervised function.
    succeeded: Counter,
    /// The body returned.
    body_done: Counter,
    /// Anything a worker saw go wrong (a cancellation that never came...).
    problems: Mutex<Vec<String>>,
}

impl Shared {
    fn problem(&self, text: String) {
        lock(&self.problems).push(text);
    }
}

/// One worker's view.
#[derive(Clone)]
struct Ctx {
    index: usize,
    plan: WorkerPlan,
    shared: Arc<Shared>,
}

impl Ctx {
    fn message(&self) -> String {
        message(self.shared.round, self.index)
    }
}

fn message(round: u64, index: usize) -> String {
    format!("worker {index} of round {round} fails")
}

#[derive(Debug)]
struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

fn pause(us: u64) {
    match us {
        0 => {}
        1..=100 => {
            let until = Instant::now() + Duration::from_micros(us);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        _ => std::thread::sleep(Duration::from_micros(us)),
    }
}

// ---------------------------------------------------------------------------------
// The workers.
// ---------------------------------------------------------------------------------

/// A failing thread worker waits for its turn: the first one fails (after its pause),
/// every other one only once the root is cancelled, that is, once the first failure
/// is recorded.
fn thread_turn(ctx: &Ctx) {
    if ctx.plan.first {
        pause(ctx.plan.pause_us);
    } else if !fate::wait_cancelled(WAIT_LIMIT) {
        ctx.shared
            .problem(format!("worker {}: never cancelled", ctx.index));
    }
}

#[fate::supervised]
fn thread_succeeds(ctx: &Ctx) -> Result<usize, Failed> {
    ctx.shared.threads_entered.add();
    pause(ctx.plan.pause_us);
    ctx.shared.succeeded.add();
    Ok(ctx.index)
}

#[fate::supervised]
fn thread_panics(ctx: &Ctx) -> usize {
    ctx.shared.threads_entered.add();
    thread_turn(ctx);
    panic!("{}", ctx.message())
}

#[fate::supervised]
fn thread_fails(ctx: &Ctx) -> Result<usize, Failed> {
    ctx.shared.threads_entered.add();
    thread_turn(ctx);
    Err(Failed(ctx.message()))
}

#[fate::supervised]
fn thread_blocks(ctx: &Ctx) -> Result<usize, Failed> {
    ctx.shared.threads_entered.add();
    match ctx.plan.fate {
        Fate::UntilCancelled => {
            if !fate::wait_cancelled(WAIT_LIMIT) {
                ctx.shared
                    .problem(format!("worker {}: never cancelled", ctx.index));
            }
        }
        Fate::UntilReleased => {
            if !ctx.shared.gate.wait() {
                ctx.shared
                    .problem(format!("worker {}: never released", ctx.index));
            }
        }
        _ => loop {
            std::thread::park(); // left behind: `run` never joins it
        },
    }
    Ok(ctx.index)
}

fn thread_worker(ctx: &Ctx) -> Result<usize, Failed> {
    match ctx.plan.fate {
        Fate::Succeed => thread_succeeds(ctx),
        Fate::Panic => Ok(thread_panics(ctx)),
        Fate::Err => thread_fails(ctx),
        _ => thread_blocks(ctx),
    }
}

async fn task_turn(ctx: &Ctx) {
    if ctx.plan.first {
        tokio::time::sleep(Duration::from_micros(ctx.plan.pause_us)).await;
    } else if tokio::time::timeout(WAIT_LIMIT, fate::cancelled())
        .await
        .is_err()
    {
        ctx.shared
            .problem(format!("task {}: never cancelled", ctx.index));
    }
}

#[fate::supervised]
async fn task_succeeds(ctx: Ctx) -> Result<usize, Failed> {
    tokio::time::sleep(Duration::from_micros(ctx.plan.pause_us)).await;
    ctx.shared.succeeded.add();
    Ok(ctx.index)
}

#[fate::supervised]
async fn task_panics(ctx: Ctx) -> usize {
    task_turn(&ctx).await;
    panic!("{}", ctx.message())
}

#[fate::supervised]
async fn task_fails(ctx: Ctx) -> Result<usize, Failed> {
    task_turn(&ctx).await;
    Err(Failed(ctx.message()))
}

#[fate::supervised]
async fn task_blocks(ctx: Ctx) -> Result<usize, Failed> {
    match ctx.plan.fate {
        Fate::UntilCancelled => {
            if tokio::time::timeout(WAIT_LIMIT, fate::cancelled())
                .await
                .is_err()
            {
                ctx.shared
                    .problem(format!("task {}: never cancelled", ctx.index));
            }
        }
        Fate::UntilReleased => {
            if !ctx.shared.gate.wait_async().await {
                ctx.shared
                    .problem(format!("task {}: never released", ctx.index));
            }
        }
        _ => std::future::pending().await, // dropped with the body's runtime
    }
    Ok(ctx.index)
}

/// A task worker's future. The supervised future is made here, on the body's thread,
/// so that it reports to this round's root: one made later on a runtime thread would
/// report to the process root of that moment (none, once `run` has returned).
fn task_worker(ctx: Ctx) -> impl Future<Output = Result<usize, Failed>> + Send + 'static {
    let alive = Alive::new(&ctx.shared.alive, format!("task {}", ctx.index));
    let worker: Pin<Box<dyn Future<Output = Result<usize, Failed>> + Send>> = match ctx.plan.fate {
        Fate::Succeed => Box::pin(task_succeeds(ctx)),
        Fate::Panic => {
            let panics = task_panics(ctx);
            Box::pin(async move { Ok(panics.await) })
        }
        Fate::Err => Box::pin(task_fails(ctx)),
        _ => Box::pin(task_blocks(ctx)),
    };
    async move {
        let _alive = alive;
        worker.await
    }
}

#[fate::supervised]
fn probe_fails() -> Result<(), Failed> {
    Err(Failed("probe".into()))
}

// ---------------------------------------------------------------------------------
// The body of a round.
// ---------------------------------------------------------------------------------

/// Starts every worker, then (unless it fails first) waits for the joined ones;
/// returns how many of those succeeded.
fn body(plan: &RoundPlan, shared: &Arc<Shared>) -> usize {
    let ctx = |index: usize| Ctx {
        index,
        plan: plan.workers[index],
        shared: shared.clone(),
    };
    let mut threads = Vec::new();
    let mut threads_started = 0;
    for (index, worker) in plan.workers.iter().enumerate() {
        if worker.place != Place::Thread {
            continue;
        }
        let ctx = ctx(index);
        // A thread left behind forever is not counted as alive: it never ends.
        let alive = (worker.fate != Fate::Forever)
            .then(|| Alive::new(&shared.alive, format!("thread {index}")));
        let handle = fate::spawn(move || {
            let _alive = alive;
            thread_worker(&ctx)
        });
        threads_started += 1;
        if worker.joined {
            threads.push(handle);
        }
    }

    let runtime = plan
        .workers
        .iter()
        .any(|w| w.place == Place::Task)
        .then(|| {
            let mut builder = if plan.multi_thread_runtime {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(2);
                builder
            } else {
                tokio::runtime::Builder::new_current_thread()
            };
            builder.enable_all().build().expect("a tokio runtime")
        });
    let mut tasks = Vec::new();
    if let Some(runtime) = &runtime {
        for (index, worker) in plan.workers.iter().enumerate() {
            if worker.place == Place::Task {
                // Made here, on the body's thread: the future reports to this root.
                let handle = runtime.spawn(task_worker(ctx(index)));
                if worker.joined {
                    tasks.push(handle);
                }
            }
        }
    }

    if plan.body_fails_first {
        panic!("the body of round {} fails", plan.round);
    }

    let mut succeeded = 0;
    if let Some(runtime) = runtime {
        // A current-thread runtime runs its tasks only here; the detached ones get
        // their turn while the joined ones are awaited.
        succeeded += runtime.block_on(async {
            let mut succeeded = 0;
            for task in tasks {
                if matches!(task.await, Ok(Ok(_))) {
                    succeeded += 1;
                }
            }
            succeeded
        });
        // Tasks still pending (blocked forever) are dropped with the runtime.
        drop(runtime);
    }
    for thread in threads {
        if matches!(thread.join(), Ok(Ok(_))) {
            succeeded += 1;
        }
    }
    if plan.mode == (Mode::Clean { wait: true }) {
        // `wait` waits for running workers; one that has not started yet cannot be
        // waited for. Make sure every thread has entered before returning.
        let expected = threads_started;
        if let Err(seen) = shared
            .threads_entered
            .wait_until(WAIT_LIMIT, |entered| entered >= expected)
        {
            shared.problem(format!(
                "body: only {seen} of {expected} thread workers entered"
            ));
        }
    }
    succeeded
}

// ---------------------------------------------------------------------------------
// A round, and its checks.
// ---------------------------------------------------------------------------------

struct RoundResult {
    /// From calling `run` until it returned.
    run_time: Duration,
    /// From calling `run` until every worker (but those left behind) was gone.
    total_time: Duration,
}

fn run_round(plan: RoundPlan, seed: u64) -> RoundResult {
    let plan = Arc::new(plan);
    let shared = Arc::new(Shared {
        round: plan.round,
        gate: Gate::new(),
        alive: Arc::new(AliveSet::default()),
        threads_entered: Counter::default(),
        succeeded: Counter::default(),
        body_done: Counter::default(),
        problems: Mutex::new(Vec::new()),
    });
    let context = |what: &str| {
        format!(
            "round {} (FATE_STRESS_SEED={seed}), {}: {what}\nplan: {plan:#?}",
            plan.round, plan.mode
        )
    };

    let supervisor = match plan.mode {
        Mode::Clean { wait } => Supervisor::new().wait(wait),
        Mode::Graceful => Supervisor::new().grace(GRACE),
        Mode::Abrupt => Supervisor::new(),
    };
    let started = Instant::now();
    let result = {
        let plan = plan.clone();
        let shared = shared.clone();
        let body_alive = Alive::new(&shared.alive, "the body".into());
        within(ROUND_LIMIT, move || {
            supervisor.run(move || {
                let _alive = body_alive;
                let succeeded = body(&plan, &shared);
                shared.body_done.add();
                succeeded
            })
        })
        .unwrap_or_else(|()| panic!("{}", context("`run` did not return in time")))
    };
    let run_time = started.elapsed();
    let succeeded_at_return = shared.succeeded.get();
    let body_done_at_return = shared.body_done.get() == 1;

    // Release whatever still waits, and wait for everything but the threads left
    // behind to end: the next round starts clean, and threads stay bounded.
    shared.gate.open();
    if let Err(alive) = shared
        .alive
        .wait_empty(ROUND_LIMIT.saturating_sub(run_time))
    {
        panic!(
            "{}",
            context(&format!("still running after the round: {alive:?}"))
        );
    }
    let total_time = started.elapsed();
    let problems = std::mem::take(&mut *lock(&shared.problems));
    assert!(problems.is_empty(), "{}", context(&format!("{problems:?}")));

    let failers = plan.failers();
    match plan.mode {
        Mode::Clean { wait } => {
            let value = result.unwrap_or_else(|error| {
                panic!("{}", context(&format!("no worker failed, yet: {error:?}")))
            });
            let joined_successes = plan.workers.iter().filter(|w| w.joined).count();
            assert_eq!(value, joined_successes, "{}", context("joined successes"));
            if wait {
                // Every thread had entered before the body returned, so `run` must
                // have waited for all of them; a detached task may have been dropped
                // with the runtime before it ran.
                let must = plan
                    .workers
                    .iter()
                    .filter(|w| w.fate == Fate::Succeed)
                    .filter(|w| w.place == Place::Thread || w.joined)
                    .count();
                let may = plan
                    .workers
                    .iter()
                    .filter(|w| w.fate == Fate::Succeed)
                    .count();
                assert!(
                    (must..=may).contains(&succeeded_at_return),
                    "{}",
                    context(&format!(
                        "`wait(true)` returned with {succeeded_at_return} workers done,                          expected {must}..={may}"
                    ))
                );
            }
        }
        Mode::Graceful | Mode::Abrupt => {
            let error = match result {
                Ok(value) => panic!("{}", context(&format!("no failure reported ({value})"))),
                Err(error) => error,
            };
            let (worker, kind, text) = expected_primary(&plan);
            assert_eq!(
                (error.worker(), error.kind(), error.message()),
                (worker, kind, text.as_str()),
                "{}",
                context(&format!("wrong primary failure: {error:?}"))
            );
            if plan.mode == Mode::Graceful {
                assert!(
                    body_done_at_return,
                    "{}",
                    context("the grace period ended before the body")
                );
                assert_eq!(
                    error.others(),
                    failers - 1,
                    "{}",
                    context(&format!("wrong count of later failures: {error:?}"))
                );
                // The report lists the first few later failures, each once.
                let report = format!("{error:?}");
                let mut listed = 0;
                for (index, worker) in plan.workers.iter().enumerate() {
                    if worker.fate.fails() && !worker.first {
                        let times = report.matches(&message(plan.round, index)).count();
                        assert!(
                            times <= 1,
                            "{}",
                            context(&format!("later failure {index} listed twice:\n{report}"))
                        );
                        listed += times;
                    }
                }
                assert_eq!(
                    listed,
                    (failers - 1).min(LISTED_OTHERS),
                    "{}",
                    context(&format!("later failures not listed:\n{report}"))
                );
            } else {
                assert!(
                    error.others() < failers,
                    "{}",
                    context(&format!(
                        "more later failures than failing workers: {error:?}"
                    ))
                );
            }
        }
    }

    probe_no_root_left(&context);
    RoundResult {
        run_time,
        total_time,
    }
}

/// The primary failure a round must report: (worker, kind, message).
fn expected_primary(plan: &RoundPlan) -> (&'static str, FailureKind, String) {
    if plan.body_fails_first {
        return (
            "body",
            FailureKind::Panic,
            format!("the body of round {} fails", plan.round),
        );
    }
    let (index, first) = plan
        .workers
        .iter()
        .enumerate()
        .find(|(_, w)| w.first)
        .expect("a failing round has a first failure");
    let worker = match (first.place, first.fate) {
        (Place::Thread, Fate::Panic) => "thread_panics",
        (Place::Thread, _) => "thread_fails",
        (Place::Task, Fate::Panic) => "task_panics",
        (Place::Task, _) => "task_fails",
    };
    let kind = if first.fate == Fate::Panic {
        FailureKind::Panic
    } else {
        FailureKind::Error
    };
    (worker, kind, message(plan.round, index))
}

/// After a round, roots are apart: a worker on a plain `std::thread` (which no
/// `Supervisor` covers) fails for nobody, and one on a `fate::spawn`ed thread fails
/// for this probe's root alone, once.
fn probe_no_root_left(context: &dyn Fn(&str) -> String) {
    let result = within(ROUND_LIMIT, || {
        Supervisor::new().run(|| {
            let _ = std::thread::spawn(probe_fails).join();
            let cancelled_by_a_plain_thread = fate::is_cancelled();
            let _ = fate::spawn(probe_fails).join();
            (
                cancelled_by_a_plain_thread,
                fate::wait_cancelled(Duration::from_secs(5)),
            )
        })
    })
    .unwrap_or_else(|()| panic!("{}", context("the probe root did not return in time")));
    match result {
        Err(error) if error.worker() == "probe_fails" && error.others() == 0 => {}
        other => panic!(
            "{}",
            context(&format!(
                "roots are not apart: a plain thread's failure, or the probe's, went to the \
                 wrong root ({other:?})"
            ))
        ),
    }
}

/// Runs `f` on a thread of its own; `Err(())` if it takes longer than `limit` (the
/// thread is then left behind). A panic in `f` is re-raised here.
fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => Ok(value),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => std::panic::resume_unwind(payload),
            Ok(()) => unreachable!("the thread ended without a value"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(()),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number"))
        }
        Err(_) => default,
    }
}

#[test]
fn rounds_of_random_workers_report_the_first_failure_and_end_in_time() {
    let rounds = env_number("FATE_STRESS_ROUNDS", DEFAULT_ROUNDS);
    let seed = env_number("FATE_STRESS_SEED", DEFAULT_SEED);
    // To replay one round: the seed it printed, and FATE_STRESS_FIRST_ROUND.
    let first_round = env_number("FATE_STRESS_FIRST_ROUND", 0);
    let started = Instant::now();
    let mut left_behind = 0;
    let mut slowest = (Duration::ZERO, 0, String::new());
    let mut slowest_run = Duration::ZERO;
    let mut modes = [0u64; 4];
    let (mut threads, mut tasks, mut failures) = (0, 0, 0);
    for round in first_round..first_round + rounds {
        let mut rng = Rng::new(seed ^ round.wrapping_mul(0xA076_1D64_78BD_642F));
        let plan = RoundPlan::draw(round, &mut rng, &mut left_behind);
        modes[match plan.mode {
            Mode::Clean { wait: false } => 0,
            Mode::Clean { wait: true } => 1,
            Mode::Graceful => 2,
            Mode::Abrupt => 3,
        }] += 1;
        threads += plan
            .workers
            .iter()
            .filter(|w| w.place == Place::Thread)
            .count();
        tasks += plan
            .workers
            .iter()
            .filter(|w| w.place == Place::Task)
            .count();
        failures += plan.failers();
        let mode = plan.mode.to_string();
        let timing = run_round(plan, seed);
        slowest_run = slowest_run.max(timing.run_time);
        if timing.total_time > slowest.0 {
            slowest = (timing.total_time, round, mode);
        }
    }
    println!(
        "stress: {rounds} rounds (FATE_STRESS_SEED={seed:#x}) in {:.2?}: {} clean, {} clean+wait, \
         {} graceful, {} abrupt; {threads} thread workers, {tasks} task workers, {failures} \
         failures, {left_behind} threads left behind; slowest round {:.2?} (round {}, {}), \
         slowest `run` {:.2?}",
        started.elapsed(),
        modes[0],
        modes[1],
        modes[2],
        modes[3],
        slowest.0,
        slowest.1,
        slowest.2,
        slowest_run,
    );
}

#[test]
fn the_prng_is_deterministic_and_spread() {
    let mut a = Rng::new(7);
    let mut b = Rng::new(7);
    let drawn: Vec<u64> = (0..64).map(|_| a.below(6)).collect();
    assert_eq!(drawn, (0..64).map(|_| b.below(6)).collect::<Vec<_>>());
    for value in 0..6 {
        assert!(drawn.contains(&value), "{value} never drawn: {drawn:?}");
    }
}
