//! Serving a node: a TCP accept loop that hands every connection to its own task, where the
//! TLS handshake runs under a timeout (so one stalled client never blocks the others), the
//! verified certificate identity is attached to each request, and HTTP/1.1 is served with
//! keep-alive. A client without a valid certificate gets no HTTP response at all. Connections
//! are shared out per source while their handshake runs and per identity after it
//! ([`slots`]). The HTTP app is composed here: the API and the console, side by side.

mod idle;
mod linger;
mod slots;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::api;
use crate::node::Node;
use crate::tls::{self, Authenticated, ClientVerifier, TlsError};
use slots::{HandshakeSlots, IdentitySlots, Slot};

/// How often CRL files are checked for changes.
const CRL_POLL: Duration = Duration::from_secs(2);
/// How long a client may take to send request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// A node being served; [`Running::stop`] ends it cleanly.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The node.
    pub node: Arc<Node>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Running {
    /// Stops accepting, closes connections after their current request, stops background
    /// tasks and waits for all of them, so the store is released when this returns.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The tracker for background tasks that must end before the store is released.
    pub fn tasks(&self) -> (&TaskTracker, &CancellationToken) {
        (&self.tasks, &self.shutdown)
    }
}

/// Serves `node` on `listener` until stopped.
pub fn start(node: Arc<Node>, listener: TcpListener) -> Result<Running, TlsError> {
    let app = app(node.clone());
    start_with_app(node, listener, app)
}

/// The node's HTTP app: the officer and federation API (with its OpenAPI document) and the
/// web console, side by side, behind the per-identity rate limit.
pub fn app(node: Arc<Node>) -> Router {
    let limits = &node.config().limits;
    let limiter =
        Arc::new(api::limit::RateLimiter::new(limits.officer_requests_per_minute, limits.peer_requests_per_minute));
    api::routes()
        .merge(crate::console::router())
        .layer(axum::middleware::from_fn_with_state(limiter, api::limit::enforce))
        .with_state(node)
}

/// Serves `app` instead of the node's routes, through the same accept loop, TLS settings and
/// background tasks: the benchmark's "plain axum hello over the same mTLS" baseline.
pub fn start_with_app(node: Arc<Node>, listener: TcpListener, app: Router) -> Result<Running, TlsError> {
    let addr = listener.local_addr().map_err(|e| TlsError::Verifier(e.to_string()))?;
    let (tls_config, verifier) = tls::server_config(node.config())?;
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let server = &node.config().server;
    let settings = Settings {
        acceptor: TlsAcceptor::from(tls_config),
        verifier: verifier.clone(),
        app,
        handshake_timeout: Duration::from_secs(server.handshake_timeout_secs),
        idle_limit: Duration::from_secs(server.idle_timeout_secs),
        limit: Arc::new(Semaphore::new(server.max_connections)),
        slots: IdentitySlots::new(server.max_connections_per_identity.min(server.max_connections)),
        handshakes: HandshakeSlots::new(server.max_handshakes_per_source.min(server.max_connections)),
    };
    tasks.spawn(accept_loop(listener, settings, shutdown.clone(), tasks.clone()));
    tasks.spawn(watch_crls(verifier, shutdown.clone()));
    tasks.spawn(watch_storage(node.clone(), shutdown.clone()));
    tasks.spawn(watch_deadlines(node.clone(), shutdown.clone()));
    crate::federation::start(&node, &tasks, &shutdown)?;
    crate::alerts::deliver::start(&node, &tasks, &shutdown)?;
    tracing::info!(%addr, station = %node.station(), "serving");
    Ok(Running { addr, node, shutdown, tasks })
}

struct Settings {
    acceptor: TlsAcceptor,
    verifier: Arc<ClientVerifier>,
    app: Router,
    handshake_timeout: Duration,
    idle_limit: Duration,
    limit: Arc<Semaphore>,
    slots: Arc<IdentitySlots>,
    handshakes: Arc<HandshakeSlots>,
}

async fn accept_loop(listener: TcpListener, settings: Settings, shutdown: CancellationToken, tasks: TaskTracker) {
    loop {
        let permit = tokio::select! {
            permit = settings.limit.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => return },
            () = shutdown.cancelled() => return,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Typically EMFILE: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => return,
        };
        // A source over its share of handshakes is closed before TLS begins, so that one
        // address cannot hold the connection slots with handshakes it never finishes.
        let handshake = match settings.handshakes.take(&slots::source_of(remote.ip())) {
            Ok(handshake) => handshake,
            Err(refused) => {
                if refused.first {
                    tracing::warn!(%remote, "handshakes over the source's share refused");
                } else {
                    tracing::debug!(%remote, "handshake over the source's share refused");
                }
                continue;
            }
        };
        let connection = Connection {
            acceptor: settings.acceptor.clone(),
            verifier: settings.verifier.clone(),
            app: settings.app.clone(),
            handshake_timeout: settings.handshake_timeout,
            idle_limit: settings.idle_limit,
            slots: settings.slots.clone(),
            handshake,
            shutdown: shutdown.clone(),
            _permit: permit,
        };
        tasks.spawn(connection.serve(tcp, remote));
    }
}

/// The app for a connection over its identity's share: a request on it is answered 429
/// `too_many_connections`, and the connection is closed after the answer.
fn too_many_connections() -> Router {
    Router::new().fallback(|request: axum::extract::Request| async move {
        let (parts, _) = request.into_parts();
        let lang = api::extract::lang_of(&parts);
        let problem = api::Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            lang.pick("连接过多", "too many connections"),
            lang.pick(
                "此证书同时打开的连接已达上限（server.max_connections_per_identity）。请关闭不用的连接，或待其空闲超时后再试。",
                "this certificate has as many connections open as allowed (server.max_connections_per_identity); \
                 close unused ones, or wait for them to time out, and try again",
            ),
        );
        let mut response = problem.into_response();
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    })
}

struct Connection {
    acceptor: TlsAcceptor,
    /// Decides which CA may vouch for the identity a certificate names.
    verifier: Arc<ClientVerifier>,
    app: Router,
    handshake_timeout: Duration,
    idle_limit: Duration,
    slots: Arc<IdentitySlots>,
    /// The source's handshake slot, given back once the handshake has ended either way.
    handshake: Slot<IpAddr>,
    shutdown: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self, tcp: TcpStream, remote: SocketAddr) {
        // An answer ends in a part-filled segment; with Nagle's algorithm it waits for the
        // client's delayed acknowledgement of the segments before it, some 40 ms.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%remote, error = %e, "TCP_NODELAY refused");
        }
        // A stop does not wait for handshakes that may never finish.
        let handshake = tokio::select! {
            handshake = tokio::time::timeout(self.handshake_timeout, self.acceptor.accept(tcp)) => handshake,
            () = self.shutdown.cancelled() => return,
        };
        drop(self.handshake);
        let stream = match handshake {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::info!(%remote, error = %e, "TLS handshake refused");
                return;
            }
            Err(_) => {
                tracing::info!(%remote, "TLS handshake timed out");
                return;
            }
        };
        let chain = stream.get_ref().1.peer_certificates().unwrap_or_default();
        let Some(Ok(identity)) = chain.first().map(tls::identity_of) else {
            // The verifier already required an identity; this only guards against a bug there.
            tracing::warn!(%remote, "verified certificate without a tiemeng identity");
            return;
        };
        // Verified again against the one CA entitled to vouch for this identity: the chain the
        // client sent can help build a path there, but its names decide nothing.
        let vouched = self.verifier.vouches(&identity, chain, rustls_pki_types::UnixTime::now());
        if vouched {
            tracing::debug!(%remote, %identity, "connection authenticated");
        } else {
            tracing::warn!(%remote, %identity, "certificate not issued by the CA entitled to vouch for its identity");
        }
        let authenticated = Authenticated { identity, vouched };
        // Held until the connection ends. Over its share the caller still gets an answer that
        // says why, not a bare close that would look like a network fault. An identity no CA
        // here vouches for has shares of its own, so it cannot use up the real holder's.
        let slot = self.slots.take(&authenticated);
        let identity = &authenticated.identity;
        let app = match &slot {
            Ok(_) => self.app,
            Err(refused) => {
                if refused.first {
                    tracing::warn!(%remote, %identity, "connections over the identity's share refused");
                } else {
                    tracing::debug!(%remote, %identity, "connection over the identity's share refused");
                }
                too_many_connections()
            }
        };
        // Boxed so the connection is `Unpin`: it is polled without letting hyper shut the
        // stream down, and taken apart afterwards for a lingering close.
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(authenticated.clone());
            Box::pin(app.clone().oneshot(request))
        });
        let (stream, activity) = idle::Watched::new(stream);
        let mut connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let idle = async {
            loop {
                let idle = activity.idle();
                if idle >= self.idle_limit {
                    return;
                }
                tokio::time::sleep(self.idle_limit - idle).await;
            }
        };
        let ended = tokio::select! {
            result = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx)) => {
                if let Err(e) = result {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                true
            }
            () = self.shutdown.cancelled() => false,
            () = idle => {
                tracing::debug!(%remote, "closing an idle connection");
                false
            }
        };
        if !ended {
            std::pin::Pin::new(&mut connection).graceful_shutdown();
            let finishing = std::future::poll_fn(|cx| connection.poll_without_shutdown(cx));
            let _ = tokio::time::timeout(Duration::from_secs(5), finishing).await;
        }
        let stream = connection.into_parts().io.into_inner();
        linger::close(stream, &self.shutdown).await;
    }
}

/// Free space needed before a failed store is reopened.
const ROOM_TO_RECOVER: u64 = 1024 * 1024;

/// Reopens the store after a write failure once the disk has room again.
async fn watch_storage(node: Arc<Node>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = shutdown.cancelled() => return,
        }
        let store_failed = node.store().failure().is_some();
        if !store_failed || node.store().free_space().is_some_and(|free| free < ROOM_TO_RECOVER) {
            continue;
        }
        let reopening = node.clone();
        match tokio::task::spawn_blocking(move || reopening.store().recover()).await {
            Ok(Ok(true)) => tracing::warn!("storage recovered"),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "storage could not be reopened yet"),
            Err(e) => tracing::error!(error = %e, "storage recovery task failed"),
        }
    }
}

/// How often the desk's deadline watch looks.
const DEADLINE_WATCH: Duration = Duration::from_secs(5);
/// Every how many rounds of the deadline watch unused attachment files are swept (10 minutes).
const ATTACHMENT_SWEEP_ROUNDS: u32 = 120;

/// Tells the desk of deadlines that come near or pass, forgets expired idempotency keys, and
/// sweeps attachment files no one will use.
async fn watch_deadlines(node: Arc<Node>, shutdown: CancellationToken) {
    let mut round: u32 = 0;
    loop {
        tokio::select! {
            () = tokio::time::sleep(DEADLINE_WATCH) => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(e) = node.watch_deadlines().await {
            tracing::warn!(error = %e, "the deadline watch could not look");
        }
        // Rides on the deadline watch's round: both are a cheap look most rounds.
        if let Err(e) = node.forget_old_keys() {
            tracing::warn!(error = %e, "old idempotency keys could not be forgotten");
        }
        // Unused uploads are swept every few minutes: the sweep reads every file's record.
        if round.is_multiple_of(ATTACHMENT_SWEEP_ROUNDS) {
            match node.sweep_attachments().await {
                Ok(0) => {}
                Ok(swept) => tracing::info!(swept, "unused or abandoned attachment files removed"),
                Err(e) => tracing::warn!(error = %e, "attachment files could not be swept"),
            }
        }
        round = round.wrapping_add(1);
    }
}

async fn watch_crls(verifier: Arc<ClientVerifier>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(CRL_POLL) => {}
            () = shutdown.cancelled() => return,
        }
        match verifier.reload_if_changed() {
            Ok(true) => tracing::info!("CRLs reloaded"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "new CRL refused; keeping the previous one"),
        }
    }
}
