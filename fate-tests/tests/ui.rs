//! Compile-time behaviour of `#[fate::supervised]`: every misuse listed in SPEC.md is
//! a spanned compile error (checked against the `.stderr` beside each case), and the
//! accepted forms compile and run.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p fate-tests --test ui`,
//! then
//! read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
