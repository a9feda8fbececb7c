#[fate::supervised]
fn numbers(limit: u8) -> impl Iterator<Item = u8> {
    0..limit
}

#[fate::supervised]
fn numbers_or_error(limit: u8) -> Result<impl Iterator<Item = u8>, String> {
    if limit == 0 {
        return Err(String::from("no numbers"));
    }
    Ok(0..limit)
}

fn main() {
    assert_eq!(numbers(3).count(), 3);
    assert_eq!(numbers_or_error(2).unwrap().sum::<u8>(), 1);
}
