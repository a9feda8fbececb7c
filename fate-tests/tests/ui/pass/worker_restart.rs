// `restart` on the shapes of worker it supports, with no warning.
#![deny(warnings)]

use std::sync::Mutex;

#[derive(Clone)]
struct Config {
    retries: u32,
}

struct Service {
    hits: Mutex<u32>,
}

impl Service {
    #[fate::supervised(restart = 2, within = "1s", backoff = "1ms", max_backoff = "4ms")]
    fn handle(&self, request: &str, mut config: Config) -> Result<usize, std::io::Error> {
        config.retries += 1;
        *self.hits.lock().unwrap() += config.retries;
        Ok(request.len())
    }

    #[fate::supervised(restart = 1)]
    fn reset(&mut self, (a, b): (u32, u32), _: u8) {
        *self.hits.get_mut().unwrap() = a + b;
    }
}

#[fate::supervised(restart = 3)]
fn sum(values: Vec<u32>, buffer: &mut Vec<u32>) -> u32 {
    buffer.extend(&values);
    values.iter().sum()
}

#[fate::supervised(restart = 3, backoff = "10ms")]
async fn fetch(url: String, config: Config) -> Result<String, std::io::Error> {
    Ok(format!("{url} {}", config.retries))
}

fn assert_send<T: Send>(_: &T) {}

#[fate::supervised]
fn main() {
    let mut service = Service { hits: Mutex::new(0) };
    let _ = service.handle("x", Config { retries: 0 });
    service.reset((1, 2), 0);
    let mut buffer = Vec::new();
    let _ = sum(vec![1], &mut buffer);
    let future = fetch("u".into(), Config { retries: 1 });
    assert_send(&future);
    drop(future);
}
