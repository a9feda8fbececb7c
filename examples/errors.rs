//! Two workers load config files; one file is missing, so its worker returns an
//! `io::Error`. `main` waits for both results on a channel it also holds a sender of:
//! without fate it would wait forever. With fate, `main` (which returns
//! `Box<dyn Error>`) ends at once with the worker's error and its cause.
//!
//! Run it with `cargo run --example errors`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::{fmt, fs, io, thread};

#[fate::supervised]
fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join("fate-errors-example"); // the same each run
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("server.conf"), "threads = 4\n")?;
    // `limits.conf` is never written.

    let (tx, rx) = mpsc::channel();
    for name in ["server.conf", "limits.conf"] {
        let (tx, path) = (tx.clone(), dir.join(name));
        thread::spawn(move || {
            if let Ok(text) = load(&path) {
                let _ = tx.send((path, text));
            }
        });
    }
    for _ in 0..2 {
        let (path, text) = rx.recv()?; // `main` still holds `tx`: this never fails
        println!("loaded {}: {}", path.display(), text.trim());
    }
    Ok(())
}

/// Reads a config file; the error says which file.
#[fate::supervised]
fn load(path: &Path) -> io::Result<String> {
    fs::read_to_string(path).map_err(|source| {
        let kind = source.kind();
        io::Error::new(
            kind,
            ReadError {
                path: path.to_owned(),
                source,
            },
        )
    })
}

#[derive(Debug)]
struct ReadError {
    path: PathBuf,
    source: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read config file {}", self.path.display())
    }
}

impl Error for ReadError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
