//! Make multi-threaded programs fail fast and loudly.
//!
//! When a worker thread panics, Rust prints one message, that thread dies alone, and
//! the program limps on or hangs forever on a `join`, a channel or a lock. Put
//! `#[fate::supervised]` on `main` and on your worker functions, and the first worker
//! that panics or returns `Err` makes `main` end with that worker's error at once: its
//! name, the message, `file:line:col`, the error chain and, when asked for, the
//! backtrace.
//!
//! ```no_run
//! use std::sync::mpsc::{channel, Receiver, Sender};
//!
//! #[fate::supervised]
//! fn main() -> Result<(), fate::Error> {
//!     let (tx, rx) = channel();
//!     std::thread::spawn(move || produce(tx)); // any way of spawning works
//!     std::thread::spawn(move || consume(rx));
//!     loop {
//!         std::thread::park(); // main may block forever: a failure still ends it
//!     }
//! }
//!
//! #[fate::supervised]
//! fn produce(tx: Sender<u32>) {
//!     for record in 0.. {
//!         if tx.send(record).is_err() { return } // the consumer is gone
//!     }
//! }
//!
//! #[fate::supervised]
//! fn consume(rx: Receiver<u32>) {
//!     for record in rx {
//!         assert!(record != 7, "bad record {record}");
//!     }
//! }
//! ```
//!
//! prints, and exits with status 1:
//!
//! ```text
//! Error: worker `consume` panicked at src/main.rs:23:9: bad record 7
//!   thread: <unnamed>
//!
//! note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
//! ```
//!
//! It grew from a well-known Python recipe (threads that store their exception, and a
//! main thread that polls them every 100 ms); fate does it with no polling (the wake-up
//! is an event), with no change to how you spawn threads, for `async` code too.
//!
//! # The two rules that decide what happens
//!
//! ## What counts as a failure
//!
//! A panic or an `Err` that **escapes a worker**: it leaves a supervised function that
//! no other supervised function encloses, calling it on the same thread or awaiting it
//! inside its own future. It is the recipe's rule (an exception that reaches the
//! thread's target function), in Rust's terms:
//!
//! - An `Err` that a supervised caller handles (retries, falls back, logs) is **not** a
//!   failure, and neither is a panic that a supervised caller catches. Annotate the
//!   function a thread runs, not only the helper it retries.
//! - An `Err` passed up unchanged (`?`) through supervised callers is one failure,
//!   named for the innermost supervised function it came from. An `Err` a caller wraps
//!   (a new error with the old one as its `source()`, `.context(..)`) is the caller's
//!   failure, its chain showing the inner one.
//! - A root's body (`main`, a [`Supervisor::run`] closure) and a [`fate::spawn`](spawn)ed
//!   closure enclose nothing: a supervised function called directly in one is
//!   outermost, and a panic escaping the closure itself is a failure too.
//! - A supervised future that an executor polls as a task of its own is outermost
//!   (`block_on` in a sync worker included); one polled inside another supervised
//!   future's poll is enclosed by it: awaited, joined (`join!`, `select!`,
//!   `FuturesUnordered`), or run by an executor that itself runs inside that poll (a
//!   `LocalSet` awaited in a supervised `async fn`; see the limits below).
//! - A panic that a pool catches and re-raises on another thread (rayon's `join` and
//!   parallel iterators, `JoinHandle::join` plus `resume_unwind`) keeps the location,
//!   message and thread where it first happened.
//!
//! ## Which root a worker reports to
//!
//! - `#[supervised] fn main` installs the process's root: a supervised function on any
//!   thread that no other root covers (`std::thread::spawn`, a pool, rayon,
//!   `spawn_blocking`, ...) reports to it.
//! - A [`Supervisor`] is a root as a value. It covers its body's thread, the threads
//!   started with [`fate::spawn`](spawn) from there, and the supervised futures made
//!   there (wherever they are polled). It never receives failures from threads it does
//!   not cover: roots that run side by side (parallel tests, a library that supervises
//!   internally) never see each other's failures.
//! - A supervised function on a thread no root covers is exactly the plain function.
//!
//! # `#[supervised]` on `fn main`: the root
//!
//! - The body keeps running on the real main thread, untouched: thread-locals, GUI
//!   toolkits, the main thread's stack and non-`Send` return types such as
//!   `Box<dyn Error>` all keep working.
//! - The program ends as soon as the body finishes (`main` returns its value, as
//!   usual) or a worker fails, whichever comes first.
//! - On a failure, what you see is exactly what `main` returning `Err(report)` shows:
//!   `Error: <report>` on stderr, with exit status 1 (or the status of the failure's
//!   class: see "In production"). fate prints it itself, once, from
//!   whichever thread decides the end (the main thread when the body returns; the
//!   thread of the failing worker when there is no grace period; a watcher thread when
//!   the body is still blocked after the grace period, since Rust cannot interrupt a
//!   running thread), then ends the process with that status.
//! - A body that panics is a failure of the worker named `main` (status 1, not 101).
//! - `main` may return `()`, `Result<T, E>` where `E: From<fate::Error> + Debug`
//!   (`fate::Error`, `Box<dyn Error>`, `anyhow::Error`, `eyre::Report`,
//!   `std::io::Error`, `String`, your own error enum with a `From` impl), or
//!   [`std::process::ExitCode`]. Anything else is a compile error that says so.
//!
//! Options, all optional, as in `#[fate::supervised(grace = "2s", wait)]`:
//!
//! | option | meaning |
//! |---|---|
//! | `grace = "2s"` | On a failure, cancel (see [Cancellation](#cancellation)), then wait until the body and every running supervised worker have finished, or the grace period is over, whichever comes first. Units `ms`, `s`, `m`; decimals such as `"1.5s"`. Default `"0"`: end at once. A one-line notice naming the failed worker is printed at the moment of failure, the full report at the end. |
//! | `wait` | After the body finishes successfully, wait for the supervised workers that are running to finish too. A failure still ends the program early. A worker that has not started yet cannot be waited for. |
//! | `crate = "path"` | Where the `fate` crate is, if not at `::fate` (a renamed dependency, or a crate that re-exports fate). |
//!
//! # `#[supervised]` on a worker function
//!
//! - Calling the function runs it where it is called: fate never spawns behind your
//!   back. While it runs, it is counted as a running worker, under its name (the
//!   function's name, or `name = "..."`).
//! - A panic is captured (message, `file:line:col`, thread name, and a backtrace when
//!   `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` ask for one) and reported if it escapes
//!   (above); the panic then continues as usual, so a `JoinHandle` still sees it with
//!   its own payload.
//! - An `Err(e)` that escapes is reported with its `Display` and its `source()` chain;
//!   the caller still receives `Err(e)`, unchanged. Any type that *is* a `Result`
//!   counts: `io::Result`, `anyhow::Result`, your own alias. An error type that is not
//!   `Display` is reported with its `Debug`, or by its type name. An error whose
//!   `Display` fails or panics, or whose `source()` chain loops, is still reported (the
//!   report says what went wrong; texts are cut at 64 KiB, chains at 64 causes) and
//!   never turns into a panic or a hang.
//! - It works on free functions, methods (`&self`, `&mut self`, `self`), generic
//!   functions, functions returning `impl Trait`, `unsafe fn` and `async fn`, with `?`
//!   and early `return` in the body. Not on `const fn` or `extern "C" fn` (compile
//!   errors that say why; `extern "C-unwind"` is fine).
//!
//! ```
//! use std::io;
//!
//! #[fate::supervised(name = "config loader")]
//! fn load(path: &str) -> io::Result<String> {
//!     std::fs::read_to_string(path)
//! }
//!
//! // No root covers this thread: `load` is just `load`.
//! assert!(load("/no/such/file").is_err());
//! ```
//!
//! # `Supervisor`: a root as a value
//!
//! For tests, libraries and programs that prefer no macro:
//! `Supervisor::new().grace(d).wait(true).run(|| body)` returns `Result<T, fate::Error>`
//! as soon as the body finishes or a worker it covers fails. The body runs on a thread
//! of its own; a body that is still blocked when `run` returns is left behind (never
//! joined), and sees the cancellation. See [`Supervisor`].
//!
//! # `async`
//!
//! `#[supervised] async fn` is a worker too, on any executor: the future it returns
//! reports a panic in any poll (then lets it continue, so the executor sees it as
//! usual) and an `Err` output, exactly like a sync worker. A future dropped before it
//! completes is cancelled, not failed; a panic in its `Drop` is reported. The future is
//! `Send` exactly when the `async fn`'s would be, and it belongs to the root that was
//! current where it was *made*, so a task polled on an executor's thread reports to the
//! right root.
//!
//! For `main`, put `#[fate::supervised]` next to your executor's attribute, in either
//! order: `#[fate::supervised] #[tokio::main] async fn main()`. A panic in a detached
//! `tokio::spawn(worker())` task, which tokio alone would swallow, ends `main` with
//! that report; a panic in a plain (unsupervised) task is printed as Rust prints it,
//! when it happens. fate has no executor dependency: `#[async_std::main]` or a `main`
//! that calls `block_on` itself work too (any attribute whose path ends in `main`
//! counts as the executor's; an `async fn main` without one is a compile error).
//!
//! ```ignore
//! use std::time::Duration;
//!
//! #[fate::supervised(grace = "2s")]
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     tokio::spawn(handle(7)); // detached: fate still sees its panic
//!     let metrics = tokio::spawn(metrics());
//!     fate::cancelled().await; // until a worker fails
//!     metrics.await??; // let it flush before tokio drops its tasks
//!     Ok(())
//! }
//!
//! #[fate::supervised]
//! async fn handle(request: u32) {
//!     tokio::time::sleep(Duration::from_millis(10)).await;
//!     panic!("request {request} is malformed");
//! }
//!
//! #[fate::supervised]
//! async fn metrics() -> std::io::Result<()> {
//!     fate::cancelled().await;
//!     tokio::fs::write("metrics.txt", "served 0\n").await
//! }
//! ```
//!
//! This program is also the README's async example, which `fate-tests` compiles as a
//! doctest (fate itself has no dependency on tokio).
//!
//! When `main`'s body returns, tokio's runtime shuts down and drops the tasks that are
//! still running, grace period or `wait` or not: a task that must finish (flush, say)
//! is one the body awaits after cancellation, as `metrics` above.
//!
//! # Cancellation
//!
//! On its first failure a root cancels: [`is_cancelled`] turns true, [`wait_cancelled`]
//! wakes, and [`cancelled()`] completes, so workers can stop cleanly and flush what they
//! hold within the grace period. Any number of tasks may wait in `cancelled()`:
//! registering and waking each costs O(1).
//!
//! ```no_run
//! use std::time::Duration;
//!
//! #[fate::supervised]
//! fn flush_every_second(buffer: &mut Vec<u8>, out: &mut impl std::io::Write) -> std::io::Result<()> {
//!     while !fate::wait_cancelled(Duration::from_secs(1)) {
//!         out.write_all(buffer)?;
//!         buffer.clear();
//!     }
//!     out.write_all(buffer) // cancelled: flush what is left, then stop
//! }
//! ```
//!
//! # The report
//!
//! [`Error`] has the accessors [`worker()`](Error::worker), [`kind()`](Error::kind),
//! [`message()`](Error::message), [`location()`](Error::location),
//! [`thread()`](Error::thread), [`backtrace()`](Error::backtrace) and
//! [`others()`](Error::others). Its `Display` is one line; its `Debug` (what `main`
//! prints after `Error: `) adds the thread, `Caused by:` and the error chain, the
//! backtrace (fate's own frames and Rust's panic machinery left out, as in Rust's
//! panic message; `RUST_BACKTRACE=full` shows them all), and the later failures.
//!
//! # Tests and scopes
//!
//! `#[fate::test]` makes a test a root: it fails, with the report as its message, as
//! soon as a supervised worker it covers fails, even while its body is blocked on a
//! channel or a join, instead of hanging or passing. A body that returns `Err` fails
//! it too; a body that finishes first passes as usual.
//!
//! ```no_run
//! use std::sync::mpsc;
//!
//! #[fate::supervised]
//! fn consume(rx: mpsc::Receiver<u32>, done: mpsc::Sender<u32>) {
//!     let mut total = 0;
//!     for record in rx {
//!         assert!(record != 7, "bad record {record}");
//!         total += record;
//!     }
//!     done.send(total).unwrap();
//! }
//!
//! #[fate::test(timeout = "10s")]
//! fn the_consumer_adds_every_record() {
//!     let (tx, rx) = mpsc::channel();
//!     let (done_tx, done_rx) = mpsc::channel();
//!     let also_done = done_tx.clone(); // a second sender, as a real test often has
//!     fate::spawn(move || consume(rx, done_tx));
//!     for record in 0..10 {
//!         let _ = tx.send(record);
//!     }
//!     drop(tx);
//!     // Without fate this waits forever once the consumer has died (`also_done` keeps
//!     // the channel open); with fate the test fails with the consumer's report at once.
//!     assert_eq!(done_rx.recv().unwrap(), 45);
//!     drop(also_done);
//! }
//! ```
//!
//! - It takes the options of `main` (`grace`, `wait`, `crate`), `timeout = "10s"` (a
//!   test still running then, its body or, with `wait`, its workers, fails with a
//!   report naming the supervised workers still running and for how long, a failed
//!   scope's waiting included; a panic still unwinding as the time is up happened
//!   first and is the verdict; after a failure, the grace period applies instead), and
//!   `all_panics`. It may return `()` or
//!   `Result<(), E>` with `E: Debug`. With `#[tokio::test]` (or any attribute whose path
//!   ends in `test`), put it above or below, as for `main`.
//! - The body runs on a thread of its own, named after the test; the test's thread waits
//!   for the body or the first failure. A body still blocked when the test fails is left
//!   behind. [`fate::cancel()`](cancel) from a worker while the body is blocked fails
//!   the test once the grace period is over (a test passes only by returning).
//! - **What it covers under `cargo test`**, where tests run in parallel in one process:
//!   its body's thread, the threads started from there with [`fate::spawn`](spawn) and
//!   [`fate::scope`](scope), and the supervised futures made there, wherever an executor
//!   polls them. Never another test's workers. A thread started with
//!   `std::thread::spawn` is covered by no test then: use `fate::spawn`. So is a
//!   supervised call made on an executor's thread by a plain task
//!   (`tokio::spawn(async move { worker().await })` on a multi-thread runtime; the
//!   default `#[tokio::test]` runtime is current-thread, which the test covers): make
//!   the supervised future in the test instead (`tokio::spawn(worker())`).
//! - **Alone in its process** (cargo-nextest runs every test in a process of its own;
//!   or one test thread: the `--test-threads=1` flag, or, without the flag,
//!   `RUST_TEST_THREADS=1`), it is the process root too, and covers every supervised
//!   worker of the process, `std::thread::spawn` and pools included. With one test
//!   thread, tests run one after the other in one process: a thread an earlier test
//!   left running is covered by whichever test runs when it fails, so join what a test
//!   starts. `all_panics` is taken only when alone.
//!
//! [`fate::scope`](scope) is `std::thread::scope` that fails fast: its threads may
//! borrow from the caller, the first failure of one of them cancels the others, and the
//! scope returns `Result<T, fate::Error>` (never the payload-less "a scoped thread
//! panicked") once every thread has joined. It must wait for all of them, since they
//! borrow from the caller's stack: a thread that may wait for a sibling should check
//! [`is_cancelled`]. A scope is a root of its own: nested in a supervised `main`, its
//! failures are the scope's to return, and the caller decides. A failure that reaches
//! a scope after it returned (a thread one of its threads started with `fate::spawn`,
//! still running) is the failure of the root the scope was made in. A failure that
//! reaches a root after it ended well, with no root above it (a `Supervisor`'s
//! leftover worker), is one line on stderr.
//!
//! # Stopping everything: `all_panics` and `fate::cancel()`
//!
//! - `#[supervised(all_panics)]` on `main` (and [`Supervisor::all_panics`], and
//!   `#[fate::test(all_panics)]` alone in its process) makes **every panic of the
//!   process a failure**, supervised or not: a plain `tokio::spawn` task, a thread
//!   nobody annotated, a panic a supervised function catches. A panic is a failure
//!   from the moment it starts, caught or not (a thread that catches one and then
//!   blocks does not hold the report back), and in a root nested in this one (a scope,
//!   a `Supervisor`) it is this root's failure too. One outside any supervised function
//!   is named after its thread (``worker `thread tokio-rt-worker` panicked at ...``);
//!   that one fate sees only through its panic hook, so a hook installed later that
//!   does not call the previous one hides it. This includes the panics libraries catch on purpose: a task
//!   executor that catches a task's panic to report it through a `JoinHandle`, a test
//!   framework, a pool, code that uses `catch_unwind` for control flow. Under
//!   `all_panics` each of them ends the program.
//! - [`fate::cancel()`](cancel) cancels the current root without a failure: the
//!   workers see the cancellation, the grace period applies, and the root then ends as
//!   if its body had returned (`main` exits 0). Called from another thread, a body still
//!   blocked when the grace period is over is cut off, with status 0.
//!
//! # Restarts: `restart = N`
//!
//! ```no_run
//! #[derive(Clone)]
//! struct Feed {
//!     url: String,
//! }
//!
//! #[fate::supervised(restart = 3, within = "10s", backoff = "50ms")]
//! fn poll_feed(feed: Feed) -> Result<usize, std::io::Error> {
//!     # let _ = feed.url;
//!     // ... connect, read, return Err(..) when the server drops the connection
//!     # Ok(0)
//! }
//! # fn main() {}
//! ```
//!
//! A worker with `restart = N` is **called again when it fails** (a panic, or an `Err`
//! escaping it), in place, and the caller sees only the last attempt's outcome:
//!
//! - **Arguments**: each attempt gets clones of the arguments the caller passed (an
//!   argument that is not `Clone` is a compile error at that argument); a `&mut T`
//!   argument is reborrowed, `&self` and `&mut self` are used again. A method taking
//!   `self` by value cannot restart, nor can an `async fn` taking `&mut` arguments.
//! - **Budget**: at most `N` restarts within any `within` (default 5 s), as Erlang/OTP's
//!   intensity and period. When the budget is spent, the failure escalates as usual
//!   (it fails the root, or its supervised caller's call), and its report says
//!   "restarted N times in .. s before this failure", listing them ([`Error::restarts`]).
//! - **Backoff**: `backoff = ".."` (default 0) before the first restart, doubling for
//!   each further one within `within`, up to `max_backoff` (default 30 s). The wait ends
//!   at once when the root is cancelled, and cancellation stops restarting: the
//!   failure being restarted then ends the worker (the caller gets its `Err`, or the
//!   panic goes on unwinding) without being reported again, since it was told as a
//!   restart already; a root stopped by [`cancel`] still ends well.
//! - **Each restart** is one line on stderr (``fate: worker `poll_feed` failed: ..;
//!   restarting `poll_feed` (1 of 3 within 10s) in 50ms``); the panic behind it is not
//!   printed as well. A failure of a supervised call inside the worker restarts the
//!   worker too (the line names the call it came from).
//! - `async fn` workers restart the same way: each attempt is a new future, made from
//!   fresh clones, and the backoff is fate's own timer (no executor needed).
//! - An `async fn` worker dropped during its backoff (a `select!` that took another
//!   branch, an aborted task) is cancelled, as any dropped future is: its last failure,
//!   told already as a restart, is not reported again.
//! - Not with `#[track_caller]`, nor a sync worker returning `impl Trait`, nor on
//!   `main` (a process is restarted by its own supervisor: systemd, Kubernetes). Under
//!   `panic = "abort"` a panic cannot be restarted (nothing unwinds); an `Err` can.
//!   Under `all_panics` a panic is a failure the moment it starts, so only `Err`s are
//!   restarted.
//! - Under `cargo test`, libtest's own panic hook (which fate runs, as any hook
//!   installed before its own) prints each restarted panic's message in the test's
//!   output; fate's restart lines go to the process's stderr.
//!
//! # Stuck workers: `stall = ".."`, [`heartbeat`], `max_poll = ".."`
//!
//! ```no_run
//! # struct Job; impl Job { fn run(self) {} }
//! #[fate::supervised(stall = "5s")]
//! fn crunch(jobs: std::sync::mpsc::Receiver<Job>) {
//!     while let Ok(job) = jobs.recv_timeout(std::time::Duration::from_secs(1)) {
//!         job.run();
//!         fate::heartbeat();
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! - `stall = "5s"`: a worker that has not called [`heartbeat`] for 5 s (or since it
//!   started) fails with kind [`FailureKind::Stalled`], reported at its last heartbeat
//!   (or at the function) with how long it has been silent. Sync and `async`.
//! - `max_poll = "100ms"` (`async fn` only): one poll of the worker's future that runs
//!   longer than that has blocked its executor's thread; it is reported while it still
//!   runs, at the function.
//! - fate never stops a thread: the stalled worker goes on, its root is cancelled and
//!   ends as after any failure (`critical = false` applies: then it is only reported).
//! - One timer thread serves the whole process, and sleeps while no budget is armed; a
//!   heartbeat is a thread-local read, a load and a store. Starting a watch costs about
//!   a microsecond, so `stall` belongs on long-running workers, not on each request.
//! - Not with `#[track_caller]` or a sync `-> impl Trait`, and not on `main`.
//!
//! # Workers that may fail: `critical = false`
//!
//! `#[supervised(critical = false)]` on a worker reports its failures without failing
//! its root: one line on stderr (``fate: worker `warm_cache` failed: ... (not critical:
//! the program goes on)``), the failure hooks ([`on_failure`], with
//! [`Disposition::NotCritical`]), and a list in the root's report if a later failure
//! makes one. Nothing is cancelled. It applies where a failure escapes the worker (its
//! thread's or task's outermost supervised function); called from another supervised
//! function, its failure is that function's to handle, as always. With `restart = N`,
//! the failure that spends the budget is the one that is not critical.
//!
//! # Failure hooks: [`on_failure`]
//!
//! ```no_run
//! use std::io::Write;
//! use std::sync::Mutex;
//!
//! # fn main() -> std::io::Result<()> {
//! let sink = Mutex::new(std::fs::File::options().create(true).append(true).open("alerts.log")?);
//! fate::on_failure(move |failure| {
//!     // or post one JSON line to the alert sink, page someone, ...
//!     let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
//!     let _ = writeln!(sink, "ALERT {:?}: {failure}", failure.disposition());
//! });
//! # Ok(())
//! # }
//! ```
//!
//! A hook is called for every failure of every root in the process from then on: the
//! one that fails a root ([`Disposition::FailedRoot`]), later ones
//! ([`Disposition::Later`]), each restart ([`Disposition::Restarted`]) and each failure
//! of a `critical = false` worker ([`Disposition::NotCritical`]). It runs on a thread of
//! fate's, never the worker's, in the order the failures were recorded. Each call is
//! bounded: one that takes longer than 5 s is cut off (fate says so once, and never
//! calls that hook again); one that panics is noted once (and is no failure, even under
//! `all_panics`). A program that ends with a report waits for the calls about its
//! failures, at most until the grace period is over (1 s when there is none): the alert
//! about the failure that ends it goes out, and no hook can hold the exit longer.
//!
//! - **Send alerts elsewhere than stderr.** A hook runs while fate may be printing a
//!   report, and fate writes to stderr without `std::io::stderr()`'s lock (so that a
//!   thread stuck holding it cannot block the report): a hook's `eprintln!` can land in
//!   the middle of the report. Write to a file, a socket, a channel.
//! - **Cost.** A call takes about 43 µs of fate's (a round trip to the thread that runs
//!   the hooks, so that a slow one can be cut off), one call per hook per failure; at
//!   exit, only the calls that fit in the wait are made.
//! - **Late failures**, after their root decided its outcome, are [`Disposition::Later`]
//!   when the root had ended well; after a root that failed they are most often its
//!   consequences (workers stopping), and are left out, as on stderr.
//!
//! # Features
//!
//! - `tracing`: every failure, restart and stall is also a `tracing` error event
//!   (target `fate`): its message is the failure's, with the fields `worker`, `kind`,
//!   `location`, `thread`, `disposition`, and `attempt` for a restart. It is emitted on
//!   the thread that recorded the failure, so it carries the spans entered there; with
//!   `#[fate::supervised]` above `#[tracing::instrument]` on the same function, that is
//!   the function's span (the other order works too, the event then being outside it).
//! - `serde`: [`Error`] is `serde::Serialize` (`worker`, `kind`, `message`, `location`,
//!   `thread`, `chain`, `backtrace` as lines of text, `others`, `later`, `restarts`,
//!   `restarted` (the earlier attempts), `not_critical`, `disposition`, `exit_code`),
//!   and so are [`Status`] and [`WorkerStatus`], for log pipelines, alert sinks and
//!   health endpoints.
//! - `signals` and `systemd` (unix): below.
//!
//! # In production: signals, systemd, exit statuses, [`status()`]
//!
//! - **`#[supervised(signals)]`** on `main` (feature `signals`), or
//!   `Supervisor::signals(true)`: SIGINT and SIGTERM become [`cancel()`]: the workers see
//!   the cancellation, the grace period applies, and the program then ends with one
//!   line, `Error: interrupted by SIGTERM` ([`FailureKind::Interrupted`]), and status
//!   128 + n. A second signal ends it at once with the same status; a worker that fails
//!   while stopping is the report instead. The handlers are signal-hook's, whose
//!   registry chains every handler of the process: while fate listens, a
//!   `tokio::signal` handler of the program's sees the signal too, and fate's
//!   cancellation reaches the tasks that await [`cancelled()`]. After a `Supervisor`
//!   with signals returned, the next signal ends the process, as it would without any
//!   handler (signal-hook never gives a signal back). A program without the feature
//!   gets a compile error, in these words, at the option.
//! - **systemd** (feature `systemd`), when `NOTIFY_SOCKET` is set, else nothing:
//!   `READY=1` when `main`'s body starts, or at [`ready()`] with `#[supervised(systemd
//!   = "manual")]`; `WATCHDOG=1` at half of `WATCHDOG_USEC`, on fate's timer thread,
//!   only while no worker is stalled (a stalled worker stops the pings and one
//!   `STATUS=` line names it, `critical = false` or not, so that systemd's watchdog
//!   restarts a service that is alive but stuck); `STOPPING=1` with `STATUS=` and the
//!   failure's summary when the stop begins (which turns systemd's watchdog off for the
//!   grace period) and when the process ends. A datagram waits at most 100 ms for
//!   room (5 ms for a ping; `READY=1` is tried again), goes to abstract sockets too,
//!   and keeps `STATUS=` under 1 KiB. Without a `stall` or `max_poll` worker, the pings only prove that
//!   the process and fate's timer are alive.
//! - **Exit statuses**, stable, one per class ([`Error::exit_code`]): 0 when the body
//!   returned and nothing failed (also after [`cancel()`]); 1 for a worker's panic or
//!   `Err`, or N with `#[supervised(exit_code = N)]` on the innermost function it
//!   passed through that has one (a plain helper's `Err` passed up with `?`, or its
//!   panic, through a worker with `exit_code = 78` is 78; a worker that wraps an inner
//!   one's error has a failure and a status of its own; see the README for how an
//!   `Err` is followed up); 8 for a stall, whatever the worker's `exit_code`; 9 for a
//!   [`cancel()`] whose body had not returned when its grace period ended; 128 + n
//!   for signal n. The first failure decides, as it decides the report.
//!   `exit_code` is checked at compile time: 1 to 254, and not one that means
//!   something else already (fate's 8 and 9, a shell's 126, 127 and 129 to 192,
//!   systemd's 200 to 244, 255).
//! - **[`status()`]**: the watched workers (`stall = ".."`) of the current root, each
//!   with its thread, how long it has run, its heartbeats and where the last one was,
//!   how long it has been silent, its restarts, and whether it is stalled, and the
//!   stalls going on (blocked polls included), those of the scopes running in it too;
//!   [`Status::is_healthy`] is what a liveness probe answers. (systemd's watchdog
//!   covers every root of the process.)
//!   `fate-examples/examples/healthz.rs` serves it with axum.
//!
//! The README's "Deployment" section has a systemd unit and a Kubernetes manifest that
//! use all of it, explained line by line.
//!
//! # Guarantees and limits
//!
//! What fate promises:
//!
//! - **No lost failure.** From the moment a panic starts in a supervised function (fate's
//!   panic hook sees it) its root holds it, until the unwinding reaches the supervised
//!   function it escapes (then it is reported) or fate learns it was caught. A root
//!   never decides its outcome while it holds a panic: it waits for it, at most 100 ms
//!   (the *unwind patience*), and then reports it as the hook saw it. The same holds
//!   for an `Err` that escapes, and for a failure racing with the body finishing. The
//!   protocol is model-checked with loom, hook included.
//! - **The first failure wins.** The report is built from the failure that *happened*
//!   first, however long its unwinding takes (panics are numbered as they start). The
//!   other failures, until the report is made, are counted (`Error::others()`) and the
//!   first eight listed.
//! - **Printed exactly once.** A failure's text reaches stderr once: as the report, with
//!   no raw panic message of Rust's above it, never torn by another panic's message
//!   (fate's output and the panic messages it lets through share one gate). A panic
//!   fate held and did not report (caught, or after the report) is printed as Rust
//!   prints it. Writing to a closed stderr is ignored, as Rust's hook does.
//! - **A bounded exit.** With no grace period the program ends right after the first
//!   failure; with `grace = "d"`, at most `d` after it, and sooner once the body and
//!   every running supervised worker have finished. Add the unwind patience when a
//!   panic is still unwinding, and with an [`on_failure`] hook registered, the wait for
//!   its calls (up to the grace period, or 1 s with none; the other threads go on
//!   meanwhile, cancelled). `Supervisor::run` returns within the same bound.
//! - **fate only observes.** Values and `Err`s come back unchanged; panics keep unwinding
//!   with their own payload.
//!
//! What no library can catch, and what you see then:
//!
//! | situation | what you see |
//! |---|---|
//! | the process aborts: `std::process::abort()`, out of memory, a panic inside a panic hook, a destructor that panics while a panic unwinds | Rust's own words (for the last: both panics' messages, `panic in a destructor during cleanup`, `thread caused non-unwinding panic. aborting.`), no report, status from SIGABRT |
//! | `panic = "abort"` | one report naming the worker (fate's panic hook prints it), then SIGABRT; no grace period |
//! | a stack overflow in a worker | `thread '<name>' has overflowed its stack`, `fatal runtime error: stack overflow`, SIGABRT: name your threads |
//! | `std::process::exit(n)` in a worker | the process ends at once with status `n`: no report, no destructors; return an `Err` instead |
//! | a worker stuck in an infinite loop, a deadlock or a blocking read | no failure, so nothing happens (with `wait`, `main` waits for it); if another worker fails, the program still ends after the grace period, cutting the stuck thread off. Check `fate::is_cancelled()` in long loops |
//! | the program ends with a failure while the body or other threads hold state | `process::exit(1)`: nothing they hold is dropped (buffers, temp files); flush on cancellation, or let the body return within the grace period |
//! | a panic caught by your code inside a supervised function or a root's body (an executor in a sync `main` that catches a plain task's panic) | no failure. fate learns it was caught when that thread next runs fate's code (a supervised call, `is_cancelled()`, ...) or the function returns, and prints its message then. If the thread blocks first, fate cannot tell it from a panic still unwinding: should the root end meanwhile, it is reported as a failure after the unwind patience, and if the process aborts first (a pool that catches and aborts) its message is lost |
//! | a panic outside any supervised function that a pool re-raises in one (an unsupervised closure in `par_iter` under a supervised caller) | Rust prints it as it happens (fate cannot know it will be re-raised); the re-raise is then the caller's failure, reported with the panic's own location, thread and backtrace |
//! | a pool thread that waits inside a supervised function runs another job meanwhile (rayon's work stealing in `join`, `scope`, `yield_now`) | the job's supervised functions count as called by the waiting one, so a panic the pool catches around the job is a caught panic: its message is printed, no failure. A detached `rayon::spawn` job with no `panic_handler` then ends in rayon's abort with rayon's words only. Don't block inside a supervised function on a pool that also runs detached jobs, or send their failures back over a channel |
//! | an executor run inside a supervised future's poll (a `LocalSet` awaited in a supervised `async fn`, `futures::executor::block_on` in one) | its tasks are polled inside that poll, so they count as awaited by it: a panic the executor catches is printed, an `Err` is the awaiting function's to handle, and is dropped with the task. Run such an executor from `main`'s body or an unsupervised future |
//! | non-`'static` state | `Supervisor::run` and `fate::spawn` need `'static` closures (compile error E0373 otherwise); supervised functions themselves may borrow, and workers in `std::thread::scope` under a supervised `main` are supervised |
//!
//! Under the test harness, a caught panic's message that fate prints late goes straight
//! to stderr, not into the test's captured output.
//!
//! # Panic hooks
//!
//! fate installs its panic hook when the first root starts, in front of the hook that
//! was there, and calls that hook for every panic it does not hold. For the panics it
//! holds, it holds back Rust's *default* hook (the report says it all), but still runs a
//! hook that your code installed before. If you install a hook *after* fate's, call the
//! previous one from it (`std::panic::take_hook`) so that fate still sees the panic's
//! location and backtrace; if you don't, fate still reports the failure, from the
//! payload alone (under `panic = "abort"`, where fate's hook is what prints the report,
//! such a hook leaves the process to abort with no report).
//!
//! # What fate decided where Rust leaves a choice
//!
//! - With an `anyhow::Error` or `eyre::Report` `main`, fate prints its own report
//!   (`Error: ` and fate's `Debug`) rather than that crate's `Debug`, which on stable
//!   Rust could show only a backtrace of its own, taken where the report was converted,
//!   and neither the thread nor the later failures. Every other error type is printed
//!   as `main` returning it prints it (`Error: {:?}` of `E::from(report)`).
//! - Whether a panic's backtrace is captured follows `RUST_BACKTRACE`, as Rust's panic
//!   message does; when it is not set, `RUST_LIB_BACKTRACE`.
//! - A function named `main` without `self` is the root, even in an `impl` block.
//! - A `#[track_caller]` worker keeps reporting panics at its caller's location; its
//!   body cannot be wrapped in a closure, so fate does not see an `Err` it returns.
//! - One trailing comma in the options is fine; an empty option (`wait,,`) is an error.
//! - An `Err` an inner supervised call passed up counts as "unchanged" when the outer
//!   call's `Err` has the same text (its `Display` and `source()` chain): conversions
//!   that keep the text (`?` into `Box<dyn Error>` or `anyhow::Error`) pass it up,
//!   wrapping it in a new message makes it the outer call's.
//! - A `fate::spawn`ed closure's worker is named after the place of the call
//!   (``fate::spawn at src/main.rs:12:5``); only its panics are reported (its value is
//!   not inspected for `Err`).
//! - A [`Supervisor`]'s body is the worker named `body`.
//! - Roots that are not `main` ([`Supervisor`]) print nothing: the caller gets the
//!   [`Error`].
//! - [`wait_cancelled`] with no root active sleeps for its timeout and returns
//!   `false`: nothing can cancel it.
//! - A failure that happens after the report was made is not part of it; its panic
//!   message is printed the usual way, below the report.
//! - A supervised future made under a root that has decided its outcome reports
//!   nothing more, but still sees that root's cancellation.
//! - Under `panic = "abort"`, nothing unwinds: fate's hook prints the report naming
//!   the worker, then the process aborts; a grace period cannot apply.
//!
//! # What the attribute writes
//!
//! `cargo expand` shows the same. `#[fate::supervised(grace = "2s")]` on
//! `fn main() -> Result<(), fate::Error>` (with no options, the options are
//! `MainOptions::default()`):
//!
//! ```no_run
//! # fn body() -> Result<(), fate::Error> { Ok(()) }
//! fn main() -> Result<(), fate::Error> {
//!     ::fate::__private::run_main::<Result<(), fate::Error>>(
//!         ::fate::__private::MainOptions {
//!             grace: ::core::time::Duration::from_millis(2000),
//!             wait: false,
//!             all_panics: false,
//!             body: ::fate::__private::MainBody::Whole,
//!             signals: false,
//!             readiness: ::fate::__private::Readiness::AtStart,
//!         },
//!         || { body() },
//!     )
//! }
//! ```
//!
//! Below an executor's attribute, the `async` block that attribute made of the body is
//! wrapped in `::fate::__private::main_body_future(..)` and the body is
//! `MainBody::Polls`: each poll of the body, rather than the whole `block_on`, is
//! `main`'s, so a plain task the executor polls on the main thread in between is not.
//!
//! A worker becomes a call into the runtime with the body as a closure, so `return`
//! and `?` keep their meaning (with `exit_code = 78`, the name is `("config loader",
//! 78)`):
//!
//! ```no_run
//! # use std::io;
//! fn load(path: &str) -> io::Result<String> {
//!     ::fate::__private::worker(
//!         "config loader",
//!         move || -> io::Result<String> { std::fs::read_to_string(path) },
//!         |__fate_out| ::fate::__private::probe!(__fate_out),
//!     )
//! }
//! ```
//!
//! An `async fn` worker becomes a plain `fn` returning `impl Future`, so that the
//! wrapper is made at the call:
//!
//! ```no_run
//! # use std::time::Duration;
//! # mod tokio { pub mod time { pub async fn sleep(_: std::time::Duration) {} } } // fate has no tokio
//! fn handle(request: u32) -> impl ::core::future::Future<Output = ()> {
//!     ::fate::__private::worker_future_plain("handle", async move {
//!         let _ = &request; // every argument lives as long as the future
//!         tokio::time::sleep(Duration::from_millis(10)).await;
//!         panic!("request {request} is malformed");
//!     })
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Supervises `fn main` (the root) or a worker function.
///
/// See the [crate documentation](crate) for what it does, its options
/// (`name = "..."`, `grace = "..."`, `wait`, `crate = "..."`) and what it expands to.
pub use fate_macros::supervised;

/// A test that fails as soon as a supervised worker it covers fails, even while its
/// body is blocked; options `grace`, `wait`, `timeout = "10s"`, `all_panics`,
/// `crate`. See the [crate documentation](crate#tests-and-scopes).
pub use fate_macros::test;

pub use fate_runtime::{
    cancel, cancelled, heartbeat, is_cancelled, on_failure, ready, scope, spawn, status,
    wait_cancelled, Cancelled, Disposition, Error, FailureKind, Location, Scope, ScopedJoinHandle,
    Status, Supervisor, WorkerStatus,
};

/// Used by the code `#[supervised]` generates. Not a public API: anything here may
/// change in any release.
#[doc(hidden)]
pub use fate_runtime::__private;
