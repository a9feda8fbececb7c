//! End-to-end test of `examples/healthz.rs` (feature `healthz`): the example runs as
//! a child process, and the test asks its endpoint over real HTTP, as a liveness probe
//! would.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::example;

/// Kills the child when the test ends, whatever happened.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET /healthz`: the status code and the JSON body.
fn probe(addr: &str) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(addr).expect("connect to the endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_else(|| panic!("no body: {response:?}"));
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (code, json)
}

#[test]
fn healthz_is_200_while_the_worker_beats_503_once_it_is_stuck_and_sigterm_stops_it() {
    let child = Command::new(example("healthz"))
        .env("HEALTHZ_ADDR", "127.0.0.1:0")
        .env("STUCK_AFTER_MS", "700")
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let mut child = Running(child);
    let mut stderr = BufReader::new(child.0.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("the first line");
    let addr = line
        .trim()
        .strip_prefix("healthz: listening on http://")
        .and_then(|rest| rest.strip_suffix("/healthz"))
        .unwrap_or_else(|| panic!("not the listening line: {line:?}"))
        .to_owned();

    let (code, live) = probe(&addr);
    assert_eq!(code, 200, "{live}");
    assert_eq!(live["workers"][0]["name"], "crunch", "{live}");
    assert_eq!(live["workers"][0]["thread"], "cruncher", "{live}");
    assert_eq!(live["workers"][0]["stalled"], false, "{live}");
    assert_eq!(live["failed"], false, "{live}");

    // Stuck at 700 ms, reported stalled one budget (500 ms) later.
    let deadline = Instant::now() + Duration::from_secs(10);
    let stuck = loop {
        let (code, status) = probe(&addr);
        if code == 503 {
            break status;
        }
        assert_eq!(code, 200, "{status}");
        assert!(Instant::now() < deadline, "never 503: {status}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(stuck["workers"][0]["stalled"], true, "{stuck}");
    assert!(
        stuck["workers"][0]["heartbeats"].as_u64().unwrap() > 5,
        "{stuck}"
    );
    assert!(
        stuck["workers"][0]["last_heartbeat"]["file"]
            .as_str()
            .is_some_and(|file| file.ends_with("examples/healthz.rs")),
        "{stuck}"
    );

    // A graceful stop: the server drains, the process ends with 143.
    let pid = child.0.id().to_string();
    let signalled = Instant::now();
    Command::new("kill")
        .args(["-s", "TERM", &pid])
        .status()
        .expect("kill");
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert_eq!(status.code(), Some(143), "{rest}");
    assert!(rest.contains("Error: interrupted by SIGTERM"), "{rest}");
    assert!(rest.contains("fate: worker `crunch` stalled at"), "{rest}");
}
