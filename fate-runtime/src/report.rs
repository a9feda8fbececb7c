//! `fate::Error`: the report of a supervised program's first failure.

use std::backtrace::{Backtrace, BacktraceStatus};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// How a worker failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum FailureKind {
    /// The worker panicked.
    Panic,
    /// The worker returned `Err`.
    Error,
    /// The root was cancelled with [`fate::cancel()`](crate::cancel) and its body did
    /// not return within the grace period.
    Cancelled,
    /// The worker is alive but stuck: with `stall = ".."`, it did not call
    /// [`fate::heartbeat()`](crate::heartbeat) within its budget; with `max_poll = ".."`,
    /// one poll of its future ran longer than that (it blocked its executor's thread).
    Stalled,
    /// The program was stopped by a signal (SIGINT, SIGTERM), with the feature
    /// `signals`: no worker failed.
    Interrupted,
}

/// The exit statuses fate ends a process with, one per class of failure (see the crate
/// docs' table); [`Error::exit_code`] tells which a report ends the process with.
pub(crate) mod status {
    /// A worker panicked or returned `Err`.
    pub(crate) const FAILED: u8 = 1;
    /// A worker stalled (`stall`, `max_poll`). Not 2 to 7, which systemd's journal
    /// names after the LSB's statuses, nor one of the other named ranges (64 to 78,
    /// 126 and 127, 128 + n, 200 to 244, 255).
    pub(crate) const STALLED: u8 = 8;
    /// A stop (`fate::cancel()`) whose body was still running when its grace period
    /// ended: it was cut off.
    pub(crate) const CUT_OFF: u8 = 9;
    /// Stopped by signal `n`: `128 + n`, as a shell reports a process a signal killed.
    pub(crate) const fn signal(n: i32) -> u8 {
        (128 + n) as u8
    }
}

/// Where a panic happened: file, line and column, as Rust's panic message shows them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Location {
    file: Cow<'static, str>,
    line: u32,
    column: u32,
}

impl Location {
    pub(crate) fn from_std(location: &std::panic::Location<'_>) -> Self {
        Location {
            file: Cow::Owned(location.file().to_owned()),
            line: location.line(),
            column: location.column(),
        }
    }

    /// The source file, as the compiler names it (e.g. `src/main.rs`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, starting at 1.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column, starting at 1.
    pub fn column(&self) -> u32 {
        self.column
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A worker's name as the report shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WorkerName {
    /// The function's name, or its `name = "..."`; `main` and `body` for roots' bodies.
    Named(&'static str),
    /// A function with `exit_code = N`: its failure, when it fails a `main` root, ends
    /// the process with that status.
    Coded(&'static str, u8),
    /// A closure started by `fate::spawn` at this place.
    Spawned(&'static std::panic::Location<'static>),
    /// A closure started by `Scope::spawn` at this place.
    ScopeThread(&'static std::panic::Location<'static>),
}

impl WorkerName {
    pub(crate) fn to_cow(self) -> Cow<'static, str> {
        match self {
            WorkerName::Named(name) | WorkerName::Coded(name, _) => Cow::Borrowed(name),
            spawned => Cow::Owned(spawned.to_string()),
        }
    }

    /// Its `exit_code = N`.
    pub(crate) fn exit_code(self) -> Option<u8> {
        match self {
            WorkerName::Coded(_, code) => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for WorkerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerName::Named(name) | WorkerName::Coded(name, _) => f.write_str(name),
            WorkerName::Spawned(at) => write!(f, "fate::spawn at {at}"),
            WorkerName::ScopeThread(at) => write!(f, "scope thread at {at}"),
        }
    }
}

/// What the panic hook saw of one panic, before its payload unwound away. Shared
/// (`Arc`) between the thread it happened on and the root it may become a failure of.
#[derive(Debug)]
pub(crate) struct Capture {
    /// When it happened, in the order of the process's failures (see [`next_seq`]).
    pub(crate) seq: u64,
    /// The innermost supervised call running when it happened, if any.
    pub(crate) worker: Option<WorkerName>,
    pub(crate) message: String,
    pub(crate) location: Option<Location>,
    pub(crate) thread: Option<String>,
    /// `None` when fate did not see the panic start (another hook replaced fate's);
    /// else captured, or disabled when `RUST_BACKTRACE` did not ask for one.
    pub(crate) backtrace: Option<Arc<Backtrace>>,
    /// What became of it (see [`Resolution`]); changed under its root's lock.
    resolution: std::sync::atomic::AtomicU8,
    /// The `exit_code = N` of the innermost supervised call it unwound out of that has
    /// one (0: none yet), stamped as it unwinds.
    exit_code: std::sync::atomic::AtomicU8,
}

/// What became of a panic fate captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Resolution {
    /// Still unwinding, or caught without fate knowing yet (held by its root).
    Held = 0,
    /// A failure: reported to a root.
    Reported = 1,
    /// Caught by user code: no failure, its held-back message printed.
    Caught = 2,
    /// Never held: Rust's hook printed it as it happened (no supervised call was
    /// running, or its root had decided its outcome).
    Printed = 3,
}

impl Capture {
    pub(crate) fn new(
        seq: u64,
        worker: Option<WorkerName>,
        message: String,
        location: Option<Location>,
        thread: Option<String>,
        backtrace: Option<Backtrace>,
        resolution: Resolution,
    ) -> Capture {
        Capture {
            seq,
            worker,
            message,
            location,
            thread,
            backtrace: backtrace.map(Arc::new),
            resolution: std::sync::atomic::AtomicU8::new(resolution as u8),
            exit_code: std::sync::atomic::AtomicU8::new(0),
        }
    }

    pub(crate) fn resolution(&self) -> Resolution {
        match self.resolution.load(std::sync::atomic::Ordering::Acquire) {
            0 => Resolution::Held,
            1 => Resolution::Reported,
            2 => Resolution::Caught,
            _ => Resolution::Printed,
        }
    }

    pub(crate) fn set_resolution(&self, resolution: Resolution) {
        self.resolution
            .store(resolution as u8, std::sync::atomic::Ordering::Release);
    }

    /// What is known of a panic from its payload alone (fate's hook did not see it).
    pub(crate) fn from_payload(payload: Option<&(dyn std::any::Any + Send)>) -> Capture {
        Capture {
            seq: next_seq(),
            worker: None,
            message: payload.map_or_else(
                || "(message unknown: a panic hook installed after fate's did not call it)".into(),
                payload_message,
            ),
            location: None,
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: None,
            resolution: std::sync::atomic::AtomicU8::new(Resolution::Reported as u8),
            exit_code: std::sync::atomic::AtomicU8::new(0),
        }
    }

    /// The failure of the worker `worker` that this panic is.
    pub(crate) fn to_failure(&self, worker: WorkerName) -> Failure {
        Failure {
            seq: self.seq,
            worker: worker.to_cow(),
            kind: FailureKind::Panic,
            message: self.message.clone(),
            chain: Vec::new(),
            chain_note: None,
            location: self.location.clone(),
            thread: self.thread.clone(),
            backtrace: self.backtrace.clone(),
            exit_code: self.exit_code().or(worker.exit_code()),
        }
    }

    /// It unwinds out of a supervised call with `exit_code` (`None`: without one): the
    /// innermost call's that has one is the failure's, so the first stamp stays.
    pub(crate) fn unwinds_out_of(&self, exit_code: Option<u8>) {
        if let Some(code) = exit_code {
            let _ = self.exit_code.compare_exchange(
                0,
                code,
                std::sync::atomic::Ordering::AcqRel,
                std::sync::atomic::Ordering::Acquire,
            );
        }
    }

    fn exit_code(&self) -> Option<u8> {
        match self.exit_code.load(std::sync::atomic::Ordering::Acquire) {
            0 => None,
            code => Some(code),
        }
    }

    /// What Rust's default hook prints for this panic.
    pub(crate) fn render_like_default_hook(&self) -> String {
        let thread = self.thread.as_deref().unwrap_or("<unnamed>");
        let mut text = match &self.location {
            Some(location) => format!(
                "\nthread '{thread}' panicked at {location}:\n{}\n",
                self.message
            ),
            None => format!("\nthread '{thread}' panicked:\n{}\n", self.message),
        };
        match self.backtrace.as_deref().map(Backtrace::status) {
            Some(BacktraceStatus::Captured) => {
                let backtrace = self.backtrace.as_deref().map(readable_backtrace);
                text.push_str(&format!(
                    "stack backtrace:\n{}\n",
                    backtrace.unwrap_or_default()
                ));
            }
            // Rust prints this note with the first panic of the process only.
            Some(BacktraceStatus::Disabled) if first_note() => text.push_str(
                "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
            ),
            _ => {}
        }
        text.split_off(1)
    }
}

/// Whether the "run with `RUST_BACKTRACE=1`" note of a late-printed panic message is
/// the process's first (Rust's hook prints it once; its own prints go uncounted here).
fn first_note() -> bool {
    static PRINTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    !PRINTED.swap(true, std::sync::atomic::Ordering::Relaxed)
}

/// The text of a panic payload, as Rust's own panic message shows it.
pub(crate) fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// One failure of one worker, as the runtime records it.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// When it happened, in the order of the process's failures (see [`next_seq`]):
    /// the report is built from the lowest, whatever order failures reach the root in.
    pub(crate) seq: u64,
    pub(crate) worker: Cow<'static, str>,
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    /// The `source()` chain of a returned error, outermost first, as text.
    pub(crate) chain: Vec<String>,
    /// Why the chain stops where it does, when that is not its end (it loops, or is
    /// too long to show).
    pub(crate) chain_note: Option<String>,
    pub(crate) location: Option<Location>,
    pub(crate) thread: Option<String>,
    pub(crate) backtrace: Option<Arc<Backtrace>>,
    /// The status it ends a process with, when not its kind's: the worker's `exit_code
    /// = N`, or `128 + n` for a signal.
    pub(crate) exit_code: Option<u8>,
}

impl Failure {
    /// A failure that is only a message (no chain, place, thread or backtrace): a
    /// root's own, as a body cut off or a signal, and the tests'.
    pub(crate) fn bare(worker: &'static str, kind: FailureKind, message: String) -> Failure {
        Failure {
            seq: next_seq(),
            worker: worker.into(),
            kind,
            message,
            chain: Vec::new(),
            chain_note: None,
            location: None,
            thread: None,
            backtrace: None,
            exit_code: None,
        }
    }

    /// The one-line summary (the first line of the message).
    pub(crate) fn summary_line(&self) -> String {
        Summary(self).to_string()
    }

    /// The summary line; with `whole_message`, a message of several lines (as
    /// `assert_eq!` makes) follows in full, else only its first line.
    fn summary(&self, f: &mut fmt::Formatter<'_>, whole_message: bool) -> fmt::Result {
        let message = if whole_message {
            self.message.as_str()
        } else {
            self.message.lines().next().unwrap_or_default()
        };
        match (self.kind, &self.location) {
            (FailureKind::Panic, Some(location)) => write!(
                f,
                "worker `{}` panicked at {}: {}",
                self.worker, location, message
            ),
            (FailureKind::Panic, None) => {
                write!(f, "worker `{}` panicked: {}", self.worker, message)
            }
            (FailureKind::Error, _) => {
                write!(f, "worker `{}` failed: {}", self.worker, message)
            }
            (FailureKind::Cancelled, _) => {
                write!(f, "worker `{}` did not finish: {}", self.worker, message)
            }
            (FailureKind::Stalled, Some(location)) => write!(
                f,
                "worker `{}` stalled at {}: {}",
                self.worker, location, message
            ),
            (FailureKind::Stalled, None) => {
                write!(f, "worker `{}` stalled: {}", self.worker, message)
            }
            (FailureKind::Interrupted, _) => f.write_str(message),
        }
    }
}

/// A worker's `Err`, as text: its `Display`, its `source()` chain, and why the
/// chain stops early when it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorText {
    pub(crate) message: String,
    pub(crate) chain: Vec<String>,
    pub(crate) chain_note: Option<String>,
}

impl ErrorText {
    /// The failure of the worker `worker` that this `Err` is, as of `seq`.
    pub(crate) fn to_failure(&self, worker: WorkerName, seq: u64) -> Failure {
        Failure {
            seq,
            worker: worker.to_cow(),
            kind: FailureKind::Error,
            message: self.message.clone(),
            chain: self.chain.clone(),
            chain_note: self.chain_note.clone(),
            location: None,
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: None,
            exit_code: worker.exit_code(),
        }
    }
}

/// The next number in the order of the process's failures. A panic takes its number
/// in the panic hook, as it starts (before its unwinding drops anything that could make
/// other workers fail); a returned `Err` takes it when the worker returns.
pub(crate) fn next_seq() -> u64 {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// How many later failures a report lists one by one; the rest are only counted.
pub(crate) const LISTED_OTHERS: usize = 8;

/// The report of a supervised program's first failure.
///
/// This is what `main` returns (or what the runtime prints, when `main` is blocked)
/// when a supervised worker panics or returns `Err`. It is built from the **first**
/// failure; failures that came after it are counted ([`Error::others`]) and listed
/// briefly by `Debug`.
///
/// - `Display` is one line: ``worker `consume` panicked at src/main.rs:14:9: bad record 7``
///   (a message of several lines, as `assert_eq!` makes, is cut to its first line).
/// - `Debug`, which is what `main` prints after `Error: `, adds the thread, the error
///   chain, the backtrace when one was captured, and the later failures.
/// - [`source()`](std::error::Error::source) yields the worker's error chain (captured as
///   text), so `anyhow` and `eyre` print it too.
///
/// `Error` is cheap to clone: the report is shared.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

struct Inner {
    first: Failure,
    /// The first few later failures, in the order they happened.
    listed: Vec<Failure>,
    others: usize,
    /// The restarts (`restart = N`) the failing worker had before this failure.
    restarts: Restarts,
    /// The failures of `critical = false` workers before it.
    not_critical: Listed,
    disposition: Disposition,
    /// `first.chain` as linked errors, so that `source()` can lend them out.
    chain: Option<ChainLink>,
}

impl Error {
    pub(crate) fn new(first: Failure, listed: Vec<Failure>, others: usize) -> Self {
        Error::with_history(
            first,
            listed,
            others,
            Restarts::default(),
            Listed::default(),
        )
    }

    /// A root's report, with what came before its first failure.
    pub(crate) fn with_history(
        first: Failure,
        listed: Vec<Failure>,
        others: usize,
        restarts: Restarts,
        not_critical: Listed,
    ) -> Self {
        let chain = ChainLink::build(&first.chain);
        Error {
            inner: Arc::new(Inner {
                first,
                listed,
                others,
                restarts,
                not_critical,
                disposition: Disposition::FailedRoot,
                chain,
            }),
        }
    }

    /// One failure as a failure hook sees it: alone, with what fate did with it.
    pub(crate) fn for_hook(failure: Failure, disposition: Disposition) -> Self {
        let chain = ChainLink::build(&failure.chain);
        Error {
            inner: Arc::new(Inner {
                first: failure,
                listed: Vec::new(),
                others: 0,
                restarts: Restarts::default(),
                not_critical: Listed::default(),
                disposition,
                chain,
            }),
        }
    }

    /// The name of the worker that failed first (the function's name, or its `name = "..."`).
    pub fn worker(&self) -> &str {
        &self.inner.first.worker
    }

    /// Whether the worker panicked or returned `Err`.
    pub fn kind(&self) -> FailureKind {
        self.inner.first.kind
    }

    /// The panic message, or the `Display` of the returned error.
    ///
    /// A panic whose payload is neither `&str` nor `String` (`std::panic::panic_any(42)`)
    /// reads `Box<dyn Any>`, as in Rust's own panic message.
    pub fn message(&self) -> &str {
        &self.inner.first.message
    }

    /// Where the panic happened. `None` for a returned error, and for a panic whose
    /// location fate could not see (another panic hook replaced fate's without
    /// calling it).
    pub fn location(&self) -> Option<&Location> {
        self.inner.first.location.as_ref()
    }

    /// The name of the thread the worker failed on, if it had one.
    pub fn thread(&self) -> Option<&str> {
        self.inner.first.thread.as_deref()
    }

    /// The backtrace of the panic, when one was asked for: by `RUST_BACKTRACE` (not
    /// `0`), as for Rust's own panic message, or, when that is not set, by
    /// `RUST_LIB_BACKTRACE`. Frames are captured at the panic and resolved to names
    /// only when printed.
    pub fn backtrace(&self) -> Option<&Backtrace> {
        self.inner
            .first
            .backtrace
            .as_deref()
            .filter(|bt| bt.status() == BacktraceStatus::Captured)
    }

    /// How many failures came after the first one, until the report was made.
    pub fn others(&self) -> usize {
        self.inner.others
    }

    /// What fate did with this failure: for the report a root makes, always
    /// [`Disposition::FailedRoot`]; a failure hook ([`on_failure`](crate::on_failure))
    /// sees every failure, restarted and not critical ones included.
    pub fn disposition(&self) -> Disposition {
        self.inner.disposition
    }

    /// How many times the failing worker was restarted (`restart = N`) before this
    /// failure, which came when its budget was spent (or its root was cancelled).
    pub fn restarts(&self) -> usize {
        self.inner.restarts.count
    }

    /// The status a `main` root ends the process with for this report, one per class
    /// of failure (stable, see the crate docs' table): for a panic or an `Err`, the
    /// `exit_code = N` of the innermost supervised function it passed through that has
    /// one, else 1; 8 for a stall; 9 for a stop cut off by
    /// the end of its grace period; `128 + n` for signal `n` (130 for SIGINT, 143 for
    /// SIGTERM). For a program that ends itself:
    /// `std::process::exit(error.exit_code().into())`.
    pub fn exit_code(&self) -> u8 {
        let first = &self.inner.first;
        first.exit_code.unwrap_or(match first.kind {
            FailureKind::Panic | FailureKind::Error => status::FAILED,
            FailureKind::Stalled => status::STALLED,
            FailureKind::Cancelled => status::CUT_OFF,
            // Always made with its status.
            FailureKind::Interrupted => status::signal(15),
        })
    }
}

/// What fate did with a failure: what a failure hook ([`on_failure`](crate::on_failure))
/// needs to know besides the failure itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Disposition {
    /// The first failure of its root: it failed the root, which is cancelled and ends
    /// with it (`main` reports it, [`Supervisor::run`](crate::Supervisor::run) returns
    /// it).
    FailedRoot,
    /// A failure of a root that had failed already (counted in its report, if the
    /// report was not made yet).
    Later,
    /// Restarted by `restart = N`: this failure led to restart number `restart` of at
    /// most `of` within the window.
    Restarted {
        /// Which restart of the window this is (1 for the first).
        restart: u32,
        /// The `N` of `restart = N`.
        of: u32,
    },
    /// A failure of a `critical = false` worker: reported, and its root goes on.
    NotCritical,
}

/// Summaries of failures, the first few kept and the rest counted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listed {
    pub(crate) count: usize,
    pub(crate) listed: Vec<String>,
}

impl Listed {
    pub(crate) fn push(&mut self, summary: String) {
        self.count += 1;
        if self.listed.len() < LISTED_OTHERS {
            self.listed.push(summary);
        }
    }
}

/// The restarts of a worker before the failure a report is about.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restarts {
    pub(crate) count: usize,
    /// From the first restarted failure to the one reported.
    pub(crate) over: std::time::Duration,
    /// The summaries of the first few restarted failures, in order.
    pub(crate) listed: Vec<String>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.first.summary(f, false)
    }
}

struct Summary<'a>(&'a Failure);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.summary(f, false)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = &self.inner.first;
        first.summary(f, true)?;
        if first.message.contains('\n') {
            // Set apart, so that it does not read as one more line of the message.
            writeln!(f)?;
        }
        // A root's own report (a signal, a body cut off) is about no one thread.
        let roots_own = matches!(
            first.kind,
            FailureKind::Interrupted | FailureKind::Cancelled
        );
        if !(roots_own && first.thread.is_none()) {
            let thread = first.thread.as_deref().unwrap_or("<unnamed>");
            write!(f, "\n  thread: {thread}")?;
        }
        if !first.chain.is_empty() {
            write!(f, "\n\nCaused by:")?;
            if first.chain.len() == 1 && first.chain_note.is_none() {
                write!(f, "\n    {}", first.chain[0])?;
            } else {
                for (i, cause) in first.chain.iter().enumerate() {
                    write!(f, "\n    {i}: {cause}")?;
                }
            }
        }
        if let Some(note) = &first.chain_note {
            write!(f, "\n    ({note})")?;
        }
        if let Some(backtrace) = self.backtrace() {
            write!(f, "\n\nStack backtrace:\n{}", readable_backtrace(backtrace))?;
        }
        let restarts = &self.inner.restarts;
        if restarts.count > 0 {
            let plural = if restarts.count == 1 { "" } else { "s" };
            write!(
                f,
                "\n\nrestarted {} time{plural} in {:.1} s before this failure:",
                restarts.count,
                restarts.over.as_secs_f64()
            )?;
            for (i, summary) in restarts.listed.iter().enumerate() {
                write!(f, "\n    {}: {summary}", i + 1)?;
            }
            if restarts.count > restarts.listed.len() {
                write!(f, "\n    ...")?;
            }
        }
        let not_critical = &self.inner.not_critical;
        if not_critical.count > 0 {
            let plural = if not_critical.count == 1 { "" } else { "s" };
            write!(
                f,
                "\n\nbefore it, {} failure{plural} of workers that are not critical:",
                not_critical.count
            )?;
            for summary in &not_critical.listed {
                write!(f, "\n    {summary}")?;
            }
            if not_critical.count > not_critical.listed.len() {
                write!(f, "\n    ...")?;
            }
        }
        if self.inner.others > 0 {
            let others = self.inner.others;
            let plural = if others == 1 { "" } else { "s" };
            write!(f, "\n\nand {others} more failure{plural}:")?;
            for failure in &self.inner.listed {
                write!(f, "\n    {}", Summary(failure))?;
            }
            if others > self.inner.listed.len() {
                write!(f, "\n    ...")?;
            }
        }
        let asked_for_backtrace = first
            .backtrace
            .as_deref()
            .is_some_and(|bt| bt.status() != BacktraceStatus::Disabled)
            || (first.backtrace.is_none() && backtrace_wanted());
        if first.kind == FailureKind::Panic && !asked_for_backtrace {
            write!(
                f,
                "\n\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
            )?;
        }
        Ok(())
    }
}

/// With the `serde` feature: the report as data, for log pipelines: `worker`, `kind`,
/// `message`, `location` (`file`, `line`, `column`), `thread`, `chain` (the error's
/// causes, outermost first), `backtrace` (its frames as lines of text, when one was
/// captured), `others` (how many failures came after), `later` (the first few of them,
/// as summary lines), `restarts` (how many) and `restarted` (the first few, as summary
/// lines), `not_critical` (the failures of `critical = false` workers before it, as
/// summary lines), `disposition`.
#[cfg(feature = "serde")]
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let first = &self.inner.first;
        let backtrace: Option<Vec<String>> = self
            .backtrace()
            .map(|bt| readable_backtrace(bt).lines().map(str::to_owned).collect());
        let later: Vec<String> = self
            .inner
            .listed
            .iter()
            .map(Failure::summary_line)
            .collect();
        let mut report = serializer.serialize_struct("Error", 14)?;
        report.serialize_field("worker", &*first.worker)?;
        report.serialize_field("kind", &first.kind)?;
        report.serialize_field("message", &first.message)?;
        report.serialize_field("location", &first.location)?;
        report.serialize_field("thread", &first.thread)?;
        report.serialize_field("chain", &first.chain)?;
        report.serialize_field("backtrace", &backtrace)?;
        report.serialize_field("others", &self.inner.others)?;
        report.serialize_field("later", &later)?;
        report.serialize_field("restarts", &self.inner.restarts.count)?;
        report.serialize_field("restarted", &self.inner.restarts.listed)?;
        report.serialize_field("not_critical", &self.inner.not_critical.listed)?;
        report.serialize_field("disposition", &self.inner.disposition)?;
        report.serialize_field("exit_code", &self.exit_code())?;
        report.end()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .chain
            .as_ref()
            .map(|link| link as &(dyn std::error::Error + 'static))
    }
}

/// So that `fn main() -> std::io::Result<()>` can be supervised, and `?` on a
/// `Result<_, fate::Error>` works in functions returning `io::Result`: an error of
/// kind `Other` wrapping the report.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        std::io::Error::other(error)
    }
}

/// So that `fn main() -> Result<(), String>` can be supervised: the full report
/// (what `Debug` prints).
impl From<Error> for String {
    fn from(error: Error) -> Self {
        format!("{error:?}")
    }
}

/// One error of a worker's `source()` chain, kept as text.
#[derive(Debug)]
struct ChainLink {
    text: String,
    next: Option<Box<ChainLink>>,
}

impl ChainLink {
    fn build(chain: &[String]) -> Option<ChainLink> {
        chain.iter().rev().fold(None, |next, text| {
            Some(ChainLink {
                text: text.clone(),
                next: next.map(Box::new),
            })
        })
    }
}

impl fmt::Display for ChainLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ChainLink {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.next
            .as_deref()
            .map(|link| link as &(dyn std::error::Error + 'static))
    }
}

/// Whether backtraces are asked for: as Rust's own panic message decides, by
/// `RUST_BACKTRACE` (anything but `0`); when that is not set, by `RUST_LIB_BACKTRACE`.
/// Read once, as the standard library does.
pub(crate) fn backtrace_wanted() -> bool {
    static WANTS: once_cell::sync::OnceCell<bool> = once_cell::sync::OnceCell::new();
    *WANTS.get_or_init(|| {
        let enabled = |value: std::ffi::OsString| value != "0";
        match std::env::var_os("RUST_BACKTRACE") {
            Some(value) => enabled(value),
            None => std::env::var_os("RUST_LIB_BACKTRACE").is_some_and(enabled),
        }
    })
}

/// The backtrace as Rust's own panic message shows it by default: only the frames
/// between the panic machinery and the thread's start, without fate's wrapper frames,
/// renumbered. `RUST_BACKTRACE=full` (or `RUST_LIB_BACKTRACE=full`) shows every frame.
fn readable_backtrace(backtrace: &Backtrace) -> String {
    let text = backtrace.to_string();
    let full = ["RUST_LIB_BACKTRACE", "RUST_BACKTRACE"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|value| value == "full"));
    if full {
        return text;
    }
    short_backtrace(&text)
}

/// Filters the text of a `std::backtrace::Backtrace`; see [`readable_backtrace`].
pub(crate) fn short_backtrace(text: &str) -> String {
    // Each frame is a `  N: symbol` line followed by its `at file:line` lines.
    let mut frames: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let numbered = trimmed
            .split_once(": ")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        match (numbered, frames.last_mut()) {
            (Some((_, symbol)), _) => frames.push((symbol.to_owned(), Vec::new())),
            (None, Some((_, lines))) => lines.push(line),
            (None, None) => {}
        }
    }
    if frames.is_empty() {
        return text.to_owned();
    }
    let start = frames
        .iter()
        .rposition(|(symbol, _)| symbol.contains("__rust_end_short_backtrace"))
        .map_or(0, |i| i + 1);
    let end = frames
        .iter()
        .position(|(symbol, _)| symbol.contains("__rust_begin_short_backtrace"))
        .filter(|&end| end >= start)
        .unwrap_or(frames.len());
    let mut kept: Vec<&(String, Vec<&str>)> = Vec::new();
    for frame in &frames[start..end] {
        if frame.0.starts_with("fate_runtime::") {
            // Drop fate's wrapper and the `catch_unwind` frames it called through.
            while kept
                .last()
                .is_some_and(|(symbol, _)| is_unwind_machinery(symbol))
            {
                kept.pop();
            }
            if frame.0.starts_with("fate_runtime::future::") {
                // A supervised future: below its poll is only the executor.
                break;
            }
            continue;
        }
        kept.push(frame);
    }
    let mut out = String::new();
    for (i, (symbol, lines)) in kept.iter().enumerate() {
        out.push_str(&format!("{i:>4}: {symbol}\n"));
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(
        "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
    );
    out
}

fn is_unwind_machinery(symbol: &str) -> bool {
    symbol.contains("core::panic::unwind_safe::AssertUnwindSafe")
        || symbol.contains("core::future::poll_fn::PollFn")
        || symbol.starts_with("std::panicking::catch_unwind")
        || symbol.starts_with("std::panic::catch_unwind")
        || symbol == "__rust_try"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(worker: &'static str, kind: FailureKind, message: &str) -> Failure {
        Failure::bare(worker, kind, message.to_owned())
    }

    #[test]
    fn error_is_a_std_error_that_crosses_threads() {
        fn assert_bounds<E: std::error::Error + Send + Sync + 'static>() {}
        assert_bounds::<Error>();
    }

    #[test]
    fn display_is_one_line_and_debug_adds_the_rest() {
        let mut first = failure("consume", FailureKind::Panic, "bad record 7");
        first.location = Some(Location {
            file: "src/main.rs".into(),
            line: 14,
            column: 9,
        });
        first.thread = Some("consumer".into());
        // As the hook captures it when `RUST_BACKTRACE` does not ask for a backtrace.
        first.backtrace = Some(Arc::new(Backtrace::disabled()));
        let later = failure("produce", FailureKind::Error, "channel closed");
        let error = Error::new(first, vec![later], 2);
        assert_eq!(
            error.to_string(),
            "worker `consume` panicked at src/main.rs:14:9: bad record 7"
        );
        assert_eq!(
            format!("{error:?}"),
            "worker `consume` panicked at src/main.rs:14:9: bad record 7\n  thread: consumer\n\n\
             and 2 more failures:\n    worker `produce` failed: channel closed\n    ...\n\n\
             note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
        );
        assert_eq!(error.others(), 2);
        assert!(error.backtrace().is_none());
    }

    #[test]
    fn the_error_chain_is_the_source_chain() {
        let mut first = failure("load", FailureKind::Error, "cannot read config");
        first.chain = vec!["file missing".into(), "os error 2".into()];
        let error = Error::new(first, Vec::new(), 0);
        let mut chain = Vec::new();
        let mut next = std::error::Error::source(&error);
        while let Some(cause) = next {
            chain.push(cause.to_string());
            next = cause.source();
        }
        assert_eq!(chain, ["file missing", "os error 2"]);
        assert_eq!(
            format!("{error:?}"),
            "worker `load` failed: cannot read config\n  thread: <unnamed>\n\nCaused by:\n    0: file missing\n    1: os error 2"
        );
    }

    #[test]
    fn short_backtrace_of_a_future_stops_at_the_executor() {
        let text = "   0: std::sys::backtrace::__rust_end_short_backtrace
   1: app::handle::{{closure}}
             at ./src/main.rs:49:9
   2: std::panicking::catch_unwind
   3: fate_runtime::future::Call<F>::poll
   4: <core::future::poll_fn::PollFn<F> as core::future::future::Future>::poll
   5: fate_runtime::future::supervise::{{closure}}
   6: tokio::runtime::task::core::Core<T,S>::poll
   7: tokio::runtime::scheduler::multi_thread::worker::Context::run_task
";
        assert_eq!(
            short_backtrace(text),
            "   0: app::handle::{{closure}}
             at ./src/main.rs:49:9
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace."
        );
    }

    #[test]
    fn short_backtrace_keeps_the_user_frames() {
        let text = "   0: fate_runtime::report::Capture::new
             at ./fate-runtime/src/report.rs:110:24
   1: std::sys::backtrace::__rust_end_short_backtrace
   2: __rustc::rust_begin_unwind
   3: app::consume::{{closure}}
             at ./src/main.rs:42:13
   4: <core::panic::unwind_safe::AssertUnwindSafe<F> as core::ops::function::FnOnce<()>>::call_once
   5: std::panicking::catch_unwind::do_call
   6: __rust_try
   7: std::panic::catch_unwind
   8: fate_runtime::worker::run
   9: app::consume
             at ./src/main.rs:38:1
  10: std::sys::backtrace::__rust_begin_short_backtrace
  11: start_thread
";
        assert_eq!(
            short_backtrace(text),
            "   0: __rustc::rust_begin_unwind
   1: app::consume::{{closure}}
             at ./src/main.rs:42:13
   2: app::consume
             at ./src/main.rs:38:1
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace."
        );
    }
}

#[cfg(test)]
mod multi_line_tests {
    use super::*;

    #[test]
    fn a_message_of_several_lines_is_one_line_in_display_and_whole_in_debug() {
        let failure = Failure {
            seq: next_seq(),
            worker: "check".into(),
            kind: FailureKind::Panic,
            message: "assertion `left == right` failed\n  left: 1\n right: 2".into(),
            chain: Vec::new(),
            chain_note: None,
            location: None,
            thread: Some("checker".into()),
            backtrace: None,
            exit_code: None,
        };
        let error = Error::new(failure, Vec::new(), 0);
        assert_eq!(
            error.to_string(),
            "worker `check` panicked: assertion `left == right` failed"
        );
        assert!(format!("{error:?}").starts_with(
            "worker `check` panicked: assertion `left == right` failed\n  left: 1\n right: 2\n\n  thread: checker"
        ));
    }
}
