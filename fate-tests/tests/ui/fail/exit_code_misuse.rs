// Every misuse of `exit_code = N`, reported at once.

#[fate::supervised(exit_code = 0)]
fn success_after_a_failure() {}

#[fate::supervised(exit_code = 143)]
fn reads_as_a_signal() {}

#[fate::supervised(exit_code = 256)]
fn too_big() {}

#[fate::supervised(exit_code = "78")]
fn a_string() {}

#[fate::supervised(exit_code = 78u8)]
fn a_suffix() {}

#[fate::supervised(exit_code)]
fn no_value() {}

#[fate::supervised(exit_code = 78, exit_code = 79)]
fn twice() {}

#[fate::test(exit_code = 78)]
fn a_test() {}

#[fate::supervised(exit_code = 78)]
fn main() {}

#[fate::supervised(exit_code = 8)]
fn fates_own() {}

#[fate::supervised(exit_code = 127)]
fn a_shells() {}

#[fate::supervised(exit_code = 203)]
fn systemds() {}

#[fate::supervised(exit_code = 255)]
fn minus_one() {}

#[fate::supervised(exit_code = -1)]
fn negative() {}
