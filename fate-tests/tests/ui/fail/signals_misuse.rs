// Every misuse of `signals`, reported at once.

#[fate::supervised(signals)]
fn a_worker() {}

#[fate::test(signals)]
fn a_test() {}

#[fate::supervised(signals = true)]
fn main() {}
