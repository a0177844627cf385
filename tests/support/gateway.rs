//! A paging gateway for alert tests: plain HTTP on 127.0.0.1, recording every alert it takes,
//! and one that can be told to be down (it answers 503) or stopped outright (nothing listens).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// The shared secret the tests' hooks sign with.
pub const SECRET: &str = "a secret shared with the gateway, 40 bytes";

/// A config edit: quick retries for every station, and for `station` a hook named `duty-sms`
/// to `gateway` for urgent and high requests received, signed with [`SECRET`] kept in
/// `secrets` (a folder that outlives the network).
pub fn with_hook(station: &'static str, gateway: &str, secrets: &std::path::Path) -> impl Fn(&str, &mut String) {
    let secret_file = secrets.join("duty-sms.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let hook = format!(
        "\n[alerts]\nmax_backoff_secs = 1\n\n[[alerts.hooks]]\nname = \"duty-sms\"\nurl = \"{gateway}\"\n\
         secret_file = \"{}\"\nevents = [\"request_received\"]\nmin_priority = \"high\"\n",
        secret_file.display()
    );
    move |id: &str, text: &mut String| {
        super::quick_retries(id, text);
        if id == station {
            text.push_str(&hook);
        }
    }
}

/// One alert as the gateway took it.
#[derive(Debug, Clone)]
pub struct Taken {
    pub id: u64,
    pub signature: String,
    pub body: Vec<u8>,
    pub json: serde_json::Value,
}

#[derive(Default)]
struct Shared {
    taken: Mutex<Vec<Taken>>,
    down: AtomicBool,
}

/// The gateway; listens until dropped or stopped.
pub struct Gateway {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Gateway {
    /// Starts on a free port.
    pub async fn start() -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let server = Some(serve(listener, shared.clone()));
        Gateway { addr, shared, server }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers 503 to everything from now on (`true`) or takes alerts again (`false`).
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Stops listening: connections are refused.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&mut self) {
        self.stop();
        let listener = loop {
            // The aborted server's socket closes a moment later.
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.server = Some(serve(listener, self.shared.clone()));
    }

    /// Every alert taken so far, in the order taken.
    pub fn taken(&self) -> Vec<Taken> {
        self.shared.taken.lock().unwrap().clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new().route("/hook", post(take)).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn take(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if shared.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let taken = Taken {
        id: header("x-tiemeng-event").parse().unwrap_or(u64::MAX),
        signature: header("x-tiemeng-signature"),
        json: serde_json::from_slice(&body).unwrap_or_default(),
        body: body.to_vec(),
    };
    shared.taken.lock().unwrap().push(taken);
    StatusCode::NO_CONTENT
}
