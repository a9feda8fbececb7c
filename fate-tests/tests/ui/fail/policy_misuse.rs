// Every misuse of the policy options (restart, critical), reported at once.
struct Job;

impl Job {
    #[fate::supervised(restart = 2)]
    fn consume(self) {}
}

#[fate::supervised(restart = 0)]
fn zero() {}

#[fate::supervised(restart = "3")]
fn a_string() {}

#[fate::supervised(within = "10s", backoff = "1s")]
fn no_restart() {}

#[fate::supervised(restart = 3, backoff = "2s", max_backoff = "1s")]
fn shorter_cap() {}

#[fate::supervised(restart = 3, within = "0")]
fn empty_window() {}

#[fate::supervised(restart = 1)]
async fn exclusive(buffer: &mut Vec<u8>) {
    buffer.push(1);
}

#[fate::supervised(restart = 1)]
fn opaque() -> impl std::fmt::Display {
    1
}

#[fate::supervised(restart = 1)]
#[track_caller]
fn tracked() {}

#[fate::test(restart = 2)]
fn a_test() {}

#[fate::supervised(restart = 3)]
fn main() {
    let _ = Job;
}

#[fate::supervised(critical = "no")]
fn critical_string() {}

#[fate::supervised(critical)]
fn critical_bare() {}

mod root {
    #[fate::supervised(critical = false)]
    pub fn main() {}
}

#[fate::test(critical = false)]
fn critical_test() {}

#[fate::supervised(max_poll = "50ms")]
fn sync_max_poll() {}

#[fate::supervised(stall = "0")]
fn no_time() {}

#[fate::supervised(stall = "5s")]
fn opaque_stall() -> impl std::fmt::Display {
    1
}

mod stalled_root {
    #[fate::supervised(stall = "5s")]
    pub fn main() {}
}

#[fate::test(stall = "1s")]
fn stall_test() {}
