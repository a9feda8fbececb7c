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

#[fate::supervised]
fn parsed_range(text: &str) -> Result<impl Iterator<Item = u8>, std::num::ParseIntError> {
    let n: u8 = text.parse()?;
    Ok(0..n)
}

#[fate::supervised]
fn boxed_error(text: &str) -> Result<impl Iterator<Item = u8>, Box<dyn std::error::Error>> {
    if text.is_empty() {
        return Err("empty".into());
    }
    let n: u8 = text.parse()?;
    Ok(0..n)
}

fn main() {
    assert_eq!(parsed_range("4").unwrap().count(), 4);
    assert!(parsed_range("x").is_err());
    assert!(boxed_error("").is_err());
    assert_eq!(boxed_error("2").unwrap().count(), 2);
    assert_eq!(numbers(3).count(), 3);
    assert_eq!(numbers_or_error(2).unwrap().sum::<u8>(), 1);
}
