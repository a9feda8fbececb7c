#[fate::test]
fn takes_a_number(n: u32) {
    assert!(n > 0);
}

fn main() {}
