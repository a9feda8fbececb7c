//! A sampler reads a sensor every 10 ms, a checker validates the readings and keeps
//! them, and a saver waits to write them to a file. When the checker finds a reading
//! out of range it returns `Err`: fate cancels, the sampler stops, and the saver,
//! which was waiting for exactly that, flushes what was kept to disk within the grace
//! period. Then `main` returns the checker's error.
//!
//! Run it with `cargo run --example graceful [OUTPUT_FILE]`.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::{fmt, fs, io, thread};

type Readings = Arc<Mutex<Vec<f64>>>;

#[fate::supervised(grace = "2s")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output = std::env::args_os().nth(1).map_or_else(
        || std::env::temp_dir().join("fate-graceful.txt"),
        PathBuf::from,
    );
    let readings = Readings::default();
    let (tx, rx) = channel();
    thread::spawn(move || sample(tx));
    thread::spawn({
        let readings = readings.clone();
        move || check(rx, readings)
    });
    let saver = thread::spawn(move || save_when_cancelled(readings, output));
    saver.join().expect("the saver never panics")?;
    Ok(())
}

/// Sends a reading every 10 ms until cancelled.
#[fate::supervised]
fn sample(tx: Sender<f64>) {
    let mut tick = 0.0;
    while !fate::wait_cancelled(Duration::from_millis(10)) {
        tick += 1.0;
        let reading = 90.0 + tick * 0.75; // drifts upwards, past the limit
        if tx.send(reading).is_err() {
            return;
        }
    }
}

/// Keeps the readings that are in range; fails on the first one that is not.
#[fate::supervised]
fn check(rx: Receiver<f64>, readings: Readings) -> Result<(), OutOfRange> {
    for reading in rx {
        if reading > 100.0 {
            return Err(OutOfRange(reading));
        }
        readings.lock().unwrap().push(reading);
    }
    Ok(())
}

/// Waits for cancellation, then writes the readings kept so far.
#[fate::supervised]
fn save_when_cancelled(readings: Readings, output: PathBuf) -> io::Result<()> {
    fate::wait_cancelled(Duration::MAX);
    let readings = readings.lock().unwrap();
    let text: String = readings.iter().map(|r| format!("{r:.2}\n")).collect();
    fs::write(&output, text)?;
    eprintln!(
        "save_when_cancelled: flushed {} readings to {}",
        readings.len(),
        output.display()
    );
    Ok(())
}

#[derive(Debug)]
struct OutOfRange(f64);

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading {:.2} is out of range (limit 100.00)", self.0)
    }
}

impl std::error::Error for OutOfRange {}
