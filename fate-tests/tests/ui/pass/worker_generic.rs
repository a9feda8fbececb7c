use std::fmt::Display;

#[fate::supervised]
fn show<T: Display, const N: usize>(items: [T; N]) -> String {
    items.iter().map(ToString::to_string).collect()
}

#[fate::supervised]
fn first<'a, T>(items: &'a [T]) -> Result<&'a T, String>
where
    T: Clone,
{
    items.first().ok_or_else(|| "empty".to_string())
}

fn main() {
    assert_eq!(show([1, 2]), "12");
    assert_eq!(first(&[3, 4]), Ok(&3));
}
