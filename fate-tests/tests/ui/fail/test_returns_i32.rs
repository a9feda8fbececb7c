#[fate::test]
fn returns_a_number() -> i32 {
    7
}

fn main() {}
