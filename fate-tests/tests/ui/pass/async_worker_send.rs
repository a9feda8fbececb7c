//! Supervised async fns over `Send` data stay `Send`: they can be spawned on tokio's
//! multi-thread runtime (which requires `Send + 'static`), whatever their shape.

use std::error::Error;
use std::sync::Arc;

#[fate::supervised]
async fn double(x: u32) -> u32 {
    tokio::task::yield_now().await;
    x * 2
}

#[fate::supervised]
async fn parse(text: &'static str) -> Result<u32, Box<dyn Error + Send + Sync>> {
    tokio::task::yield_now().await;
    Ok(text.parse()?)
}

#[fate::supervised]
async fn sum<T>(items: Vec<T>) -> T
where
    T: std::iter::Sum<T> + Send,
{
    tokio::task::yield_now().await;
    items.into_iter().sum()
}

struct Service {
    name: String,
}

impl Service {
    #[fate::supervised]
    async fn greet(self: Arc<Self>, who: String) -> String {
        tokio::task::yield_now().await;
        format!("{} greets {who}", self.name)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(tokio::spawn(double(21)).await.unwrap(), 42);
        assert_eq!(tokio::spawn(parse("7")).await.unwrap().unwrap(), 7);
        assert!(tokio::spawn(parse("x")).await.unwrap().is_err());
        assert_eq!(tokio::spawn(sum(vec![1_u64, 2, 3])).await.unwrap(), 6);
        let service = Arc::new(Service {
            name: "fate".to_owned(),
        });
        let greeting = tokio::spawn(service.greet("you".to_owned()));
        assert_eq!(greeting.await.unwrap(), "fate greets you");
    });
}
