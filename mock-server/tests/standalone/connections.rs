//! The standalone server's connection limits: a half-sent request and an idle keep-alive
//! connection are closed after their timeouts, and no more than the cap of connections is
//! served at once.

use std::time::Duration;

use persons_mock::standalone::{self, ConnectionLimits, Options};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for any of these tests' closes to happen on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(20);

const HEALTH: &[u8] = b"GET /_admin/health HTTP/1.1\r\nHost: mock\r\n\r\n";

/// Starts the standalone server (no demo data) with `connections`; returns its address.
async fn server(connections: ConnectionLimits) -> (String, tokio::sync::oneshot::Sender<()>) {
    let options = Options {
        address: "127.0.0.1:0".to_owned(),
        connections,
        ..Options::default()
    };
    let started = standalone::start(&options).await.unwrap();
    let address = started.address.to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(started.serve_until(async {
        let _ = stopped.await;
    }));
    (address, stop)
}

/// Reads one response to `GET /_admin/health` (headers, then its `Content-Length` body).
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before a whole response: {received:?}");
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

/// Waits until the server closes `stream` (a read of zero bytes or a reset).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    matches!(
        tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    )
}

#[tokio::test]
async fn a_half_sent_request_is_closed_after_the_header_read_timeout() {
    let (address, _stop) = server(ConnectionLimits {
        header_read_timeout: Some(Duration::from_millis(300)),
        idle_timeout: None,
        max_connections: 16,
    })
    .await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"GET /_admin/health HTTP/1.1\r\nHost: mock\r\n")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut stream).await,
        "a half-sent request was held open"
    );
}

#[tokio::test]
async fn an_idle_or_silent_connection_is_closed_after_the_idle_timeout() {
    let (address, _stop) = server(ConnectionLimits {
        header_read_timeout: None,
        idle_timeout: Some(Duration::from_millis(300)),
        max_connections: 16,
    })
    .await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    for _ in 0..2 {
        stream.write_all(HEALTH).await.unwrap();
        let response = read_response(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
    assert!(
        closed_by_server(&mut stream).await,
        "an idle connection was held open"
    );

    let mut silent = TcpStream::connect(&address).await.unwrap();
    assert!(
        closed_by_server(&mut silent).await,
        "a silent connection was held open"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let (address, _stop) = server(ConnectionLimits {
        header_read_timeout: None,
        idle_timeout: None,
        max_connections: 1,
    })
    .await;
    let mut first = TcpStream::connect(&address).await.unwrap();
    first.write_all(HEALTH).await.unwrap();
    assert!(read_response(&mut first).await.starts_with("HTTP/1.1 200"));

    let mut second = TcpStream::connect(&address).await.unwrap();
    second.write_all(HEALTH).await.unwrap();
    let mut buffer = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(500), second.read(&mut buffer)).await;
    assert!(
        early.is_err(),
        "a connection beyond the cap was served: {early:?}"
    );

    drop(first);
    let answered = tokio::time::timeout(PATIENCE, read_response(&mut second)).await;
    assert!(answered.unwrap().starts_with("HTTP/1.1 200"));
}
