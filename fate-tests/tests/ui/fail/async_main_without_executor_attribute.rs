//! Other attributes on `async fn main` are not an executor's `main` attribute.

#[fate::supervised(grace = "1s")]
#[doc = "main"]
#[allow(unused_mut)]
async fn main() {}
