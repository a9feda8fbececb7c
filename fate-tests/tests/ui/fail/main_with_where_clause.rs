#[fate::supervised]
fn main()
where
    u8: Copy,
{
}
