// Every misuse of `signals` and `systemd = "manual"`, reported at once.

#[fate::supervised(signals)]
fn a_worker() {}

#[fate::test(signals)]
fn a_test() {}

#[fate::supervised(systemd = "manual")]
fn a_worker_ready() {}

#[fate::supervised(systemd = "auto")]
fn a_value() {}

#[fate::supervised(systemd)]
fn no_value() {}

#[fate::supervised(signals = true)]
fn main() {}
