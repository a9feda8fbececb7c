macro_rules! supervised_main {
    ($grace:literal, $name:literal) => {
        #[fate::supervised(name = $name)]
        fn work() -> Result<(), String> {
            Ok(())
        }

        #[fate::supervised(grace = $grace)]
        fn main() -> Result<(), fate::Error> {
            work().unwrap();
            Ok(())
        }
    };
}

supervised_main!("2s", "worker");
