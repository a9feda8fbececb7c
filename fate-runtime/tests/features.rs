//! The `tracing` and `serde` features (issue 11, items 5 and 6). Run with
//! `cargo test -p fate-runtime --features tracing,serde --test features` (`.ci/run`
//! does).

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A subscriber that keeps each event's target, level, fields and the name of the
/// span it happened in.
#[derive(Clone, Default)]
struct Events {
    seen: Arc<Mutex<Vec<Seen>>>,
    spans: Arc<Mutex<Vec<(u64, &'static str)>>>,
    current: Arc<Mutex<Vec<u64>>>,
}

#[derive(Debug, Clone)]
struct Seen {
    target: String,
    level: tracing::Level,
    fields: Vec<(String, String)>,
    span: Option<&'static str>,
}

impl Seen {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.push((field.name().to_owned(), value.to_string()));
    }
}

impl Subscriber for Events {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut spans = self.spans.lock().unwrap();
        let id = spans.len() as u64 + 1;
        spans.push((id, span.metadata().name()));
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let span = self.current.lock().unwrap().last().copied().and_then(|id| {
            let spans = self.spans.lock().unwrap();
            spans
                .iter()
                .find(|(known, _)| *known == id)
                .map(|(_, name)| *name)
        });
        self.seen.lock().unwrap().push(Seen {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
            span,
        });
    }
    fn enter(&self, span: &Id) {
        self.current.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.current.lock().unwrap().pop();
    }
}

#[fate::supervised]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[tracing::instrument]
#[fate::supervised]
fn instrumented_above(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[fate::supervised]
#[tracing::instrument]
fn instrumented_below(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[fate::supervised(restart = 1)]
fn flaky(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

/// The process's subscriber (a `Supervisor` runs its body on a thread of its own, so
/// a thread's default would not see it), and one test at a time reading it.
fn events() -> (Events, std::sync::MutexGuard<'static, ()>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    static EVENTS: std::sync::OnceLock<Events> = std::sync::OnceLock::new();
    let alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let events = EVENTS
        .get_or_init(|| {
            let events = Events::default();
            tracing::subscriber::set_global_default(events.clone()).expect("the first");
            events
        })
        .clone();
    events.seen.lock().unwrap().clear();
    (events, alone)
}

fn fate_events(events: &Events) -> Vec<Seen> {
    events
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|seen| seen.target == "fate")
        .cloned()
        .collect()
}

/// A failure is an error event with the report's fields.
#[test]
fn a_failure_is_a_tracing_error_event() {
    let (events, _alone) = events();
    let result = fate::Supervisor::new().run(|| parse("seven"));
    assert_eq!(result.unwrap_err().worker(), "parse");
    let seen = fate_events(&events);
    assert_eq!(seen.len(), 1, "{seen:?}");
    let event = &seen[0];
    assert_eq!(event.level, tracing::Level::ERROR);
    assert_eq!(event.field("worker"), Some("parse"));
    assert_eq!(event.field("kind"), Some("Error"));
    assert_eq!(
        event.field("message"),
        Some("invalid digit found in string")
    );
    assert_eq!(event.field("disposition"), Some("FailedRoot"));
}

/// Each restart is an event with its attempt, then the failure that spends the budget.
#[test]
fn a_restart_is_an_event_with_its_attempt() {
    let (events, _alone) = events();
    let result = fate::Supervisor::new().run(|| flaky("x"));
    assert!(result.is_err());
    let seen = fate_events(&events);
    let dispositions: Vec<_> = seen.iter().map(|e| e.field("disposition")).collect();
    assert_eq!(
        dispositions,
        [Some("Restarted { restart: 1, of: 1 }"), Some("FailedRoot")],
        "{seen:?}"
    );
    assert_eq!(seen[0].field("attempt"), Some("1"));
    assert_eq!(seen[1].field("attempt"), None);
}

/// `#[tracing::instrument]` above or below `#[fate::supervised]`: the function works,
/// and its failure is one event. With fate's attribute above (it expands first, and
/// `instrument` then wraps the whole supervised call), the event is in the
/// function's span.
#[test]
fn instrument_composes_in_either_order() {
    type Call = fn(&str) -> Result<u32, std::num::ParseIntError>;
    for (worker, call) in [
        ("instrumented_above", instrumented_above as Call),
        ("instrumented_below", instrumented_below as Call),
    ] {
        let (events, _alone) = events();
        let ok = fate::Supervisor::new().run(move || call("7"));
        assert_eq!(ok.unwrap().unwrap(), 7);
        let failed = fate::Supervisor::new().run(move || call("seven"));
        assert_eq!(failed.unwrap_err().worker(), worker);
        let seen = fate_events(&events);
        assert_eq!(seen.len(), 1, "{worker}: {seen:?}");
        assert_eq!(seen[0].field("worker"), Some(worker));
        if worker == "instrumented_below" {
            assert_eq!(seen[0].span, Some("instrumented_below"), "{seen:?}");
        }
    }
}

#[fate::supervised]
fn boom() {
    panic!("bad record 7");
}

/// `fate::Error` serializes with the report's fields.
#[test]
fn a_report_serializes() {
    let (_, _alone) = events();
    let error = fate::Supervisor::new().run(|| parse("seven")).unwrap_err();
    let json: serde_json::Value = serde_json::to_value(&error).unwrap();
    assert_eq!(json["worker"], "parse");
    assert_eq!(json["kind"], "Error");
    assert_eq!(json["message"], "invalid digit found in string");
    assert_eq!(json["location"], serde_json::Value::Null);
    assert_eq!(json["others"], 0);
    assert_eq!(json["restarts"], 0);
    assert_eq!(json["disposition"], "FailedRoot");
    assert!(json["chain"].as_array().unwrap().is_empty());
    assert!(json["restarted"].as_array().unwrap().is_empty());
    assert!(json["not_critical"].as_array().unwrap().is_empty());

    let error = fate::Supervisor::new().run(|| flaky("x")).unwrap_err();
    let json: serde_json::Value = serde_json::to_value(&error).unwrap();
    assert_eq!(json["restarts"], 1);
    assert_eq!(
        json["restarted"],
        serde_json::json!(["worker `flaky` failed: invalid digit found in string"])
    );

    let error = fate::Supervisor::new().run(boom).unwrap_err();
    let json: serde_json::Value = serde_json::to_value(&error).unwrap();
    assert_eq!(json["kind"], "Panic");
    assert_eq!(json["message"], "bad record 7");
    assert_eq!(json["location"]["file"], "fate-runtime/tests/features.rs");
    assert!(json["location"]["line"].as_u64().unwrap() > 0);
}
