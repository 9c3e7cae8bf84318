//! Start-up: from `MockServer::start()` to the first answered HTTP request (a `GET` without
//! credentials, which Whop answers 401). The HTTP client is built once, outside the
//! measurement, as a test suite would share one.
//!
//! `cargo bench -p persons-mock --bench startup`.

use divan::Bencher;
use persons_mock::MockServer;

fn main() {
    divan::main();
}

/// `MockServer::start()`, then one request through the server's port.
#[divan::bench(sample_count = 50, sample_size = 1)]
fn start_and_first_request(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = reqwest::Client::new();
    bencher.bench_local(|| {
        runtime.block_on(async {
            let mock = MockServer::start().await;
            let response = client
                .get(format!("{}/whop/api/v1/people", mock.uri()))
                .send()
                .await
                .expect("the mock answers");
            assert_eq!(response.status(), 401);
            mock
        })
    });
}
