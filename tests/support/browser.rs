//! Headless Chromium, driven over WebDriver, presenting one officer's client certificate to
//! tiemeng nodes on this machine.
//!
//! A node answers nothing to a connection without a valid client certificate, so a browser
//! test needs Chromium to trust the dev CA and to pick the officer's certificate by itself.
//! Both are arranged per browser, with nothing written under `/etc`, so browsers for
//! different officers run side by side:
//!
//! - **Trust and identity.** A fresh `HOME` whose `.pki/nssdb` (the NSS database Chromium
//!   reads on Linux) holds every CA of the bundle with trust `C,,` and exactly one key and
//!   certificate, the officer's, imported from a PKCS#12 file made by `openssl pkcs12`.
//! - **No dialog.** A fresh `--user-data-dir` whose `Default/Preferences` carries the
//!   content setting `profile.content_settings.exceptions.auto_select_certificate`, the
//!   per-profile form of the `AutoSelectCertificateForUrls` policy, for
//!   `https://localhost:*` and `https://127.0.0.1:*` with the empty filter: it picks the one
//!   certificate there is. Without it headless Chromium waits for a choice nobody can make.
//!
//! Chromedriver runs in its own process group, which Chromium and its helpers inherit;
//! dropping a [`Browser`] kills that group and removes the temporary directories.
//!
//! # Layout
//! - [`require_chromium`]: fails, naming `.ci/run`, when a needed program is missing.
//! - [`Credentials`]: the CA bundle and officer files a browser is set up with.
//! - [`Browser`]: launch, navigation, reading pages, filling forms, screenshots.
//! - [`BrowserError`]: what went wrong, with what chromedriver said.
// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Method;
use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::{Value, json};
use tempfile::TempDir;

/// Chromium's own binary in the Debian package. Chromedriver starts it directly: the
/// `/usr/bin/chromium` wrapper adds flags of its own from `/etc/chromium.d`.
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// Programs looked up on `PATH`.
const TOOLS: [&str; 4] = ["chromedriver", "certutil", "pk12util", "openssl"];

/// Origins to which the officer's certificate is sent without asking.
const AUTO_SELECT_ORIGINS: [&str; 2] = ["https://localhost:*", "https://127.0.0.1:*"];

/// Chromium's flags besides `--user-data-dir`. `--no-sandbox` because tests may run as root
/// in a container; `--disable-dev-shm-usage` because a container's `/dev/shm` is often too
/// small (the Debian wrapper we bypass adds it for the same reason); the rest keep Chromium
/// from calling home on a machine with no way out.
const CHROMIUM_FLAGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// How long chromedriver may take to listen, and Chromium to start.
const STARTUP: Duration = Duration::from_secs(30);
/// The longest any one WebDriver command may take.
const COMMAND: Duration = Duration::from_secs(60);
/// The page-load limit given to chromedriver: a stalled handshake fails the test after this,
/// not after chromedriver's default of five minutes.
const PAGE_LOAD: Duration = Duration::from_secs(30);
/// How often [`Browser::wait_for`] and startup look again.
const POLL: Duration = Duration::from_millis(100);
/// Lines of chromedriver's log quoted when it fails to start.
const LOG_TAIL: usize = 40;
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What went wrong while setting up or driving a browser.
///
/// `Debug` prints the `Display` text, so `unwrap` and `expect` in tests show chromedriver's
/// log and messages as written rather than as an escaped struct.
#[derive(thiserror::Error)]
pub enum BrowserError {
    /// A program the browser tests need is not installed.
    #[error(
        "browser tests need {0}, which are missing: .ci/run installs them \
         (apt-get install chromium chromium-driver libnss3-tools openssl)"
    )]
    Missing(String),
    /// Reading or writing a local file, or starting a program, failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A setup step (certutil, pk12util, openssl) ran and failed, or its input was unusable.
    #[error("{step} failed: {output}")]
    Setup {
        /// The step, with its command line where there is one.
        step: String,
        /// What the program printed, or why the input was refused.
        output: String,
    },
    /// Chromedriver or Chromium did not come up.
    #[error("chromedriver did not start a browser: {reason}\n--- chromedriver log (tail) ---\n{log}")]
    Startup {
        /// The immediate cause.
        reason: String,
        /// The end of chromedriver's log, which also holds Chromium's stderr.
        log: String,
    },
    /// Chromedriver answered a command with a WebDriver error.
    #[error("{command}: chromedriver said {error}: {message}")]
    Driver {
        /// The command, as method and path.
        command: String,
        /// The WebDriver error code, such as `no such element`.
        error: String,
        /// Chromedriver's message.
        message: String,
    },
    /// The HTTP exchange with chromedriver itself failed.
    #[error("{command}: no answer from chromedriver: {source}")]
    Http {
        /// The command, as method and path.
        command: String,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// Chromedriver's answer did not have the expected shape.
    #[error("{command}: unexpected answer from chromedriver: {answer}")]
    Protocol {
        /// The command, as method and path.
        command: String,
        /// The answer, as received.
        answer: String,
    },
    /// Chromium showed its error page instead of the requested one.
    #[error("Chromium could not load {url}: {code}")]
    LoadFailed {
        /// The URL asked for.
        url: String,
        /// Chromium's error code, such as `ERR_CERT_AUTHORITY_INVALID`.
        code: String,
    },
    /// A wait ran out of time.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        waited: Duration,
    },
}

impl std::fmt::Debug for BrowserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Checks that Chromium, chromedriver, certutil, pk12util and openssl are installed.
///
/// Browser tests call this (and [`Browser::launch`] does) so that a machine without them
/// fails loudly instead of skipping: the error names what is missing and `.ci/run`.
pub fn require_chromium() -> Result<(), BrowserError> {
    let mut missing: Vec<&str> = TOOLS.iter().copied().filter(|tool| find_on_path(tool).is_none()).collect();
    if !Path::new(CHROMIUM).is_file() {
        missing.insert(0, CHROMIUM);
    }
    if missing.is_empty() { Ok(()) } else { Err(BrowserError::Missing(missing.join(", "))) }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

/// The files a browser is set up with: whom to trust and whom to be.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// PEM bundle of the CA certificates that sign the stations' server certificates.
    pub ca_bundle: PathBuf,
    /// The officer's certificate (PEM).
    pub cert: PathBuf,
    /// The officer's private key (PEM, PKCS#8).
    pub key: PathBuf,
}

/// A headless Chromium acting as one officer, behind its own chromedriver.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>/session/<id>`: every command's URL starts with it.
    session: String,
    /// Last, so that it drops last: it kills the processes and removes the directories.
    driver: Driver,
}

/// The chromedriver process and the directory holding the browser's HOME and profile.
struct Driver {
    child: Child,
    dir: TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Chromium and its helpers share chromedriver's process group, so this also ends a
        // browser whose session was never closed. The group leader is not reaped until
        // `wait` below, so its id cannot have been reused. Errors mean it is already gone.
        let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        let _ = self.child.wait();
    }
}

impl Driver {
    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n")
    }
}

impl Browser {
    /// Sets up a HOME and profile for the officer in `credentials`, starts chromedriver on a
    /// free port and opens a session; the browser then presents the officer's certificate to
    /// any `https://localhost:*` or `https://127.0.0.1:*` that asks for one.
    pub async fn launch(credentials: &Credentials) -> Result<Self, BrowserError> {
        Self::launch_with(credentials, true).await
    }

    /// Like [`Browser::launch`], with JavaScript switched off: what the console must still do
    /// for an officer whose browser runs no scripts.
    pub async fn launch_without_scripts(credentials: &Credentials) -> Result<Self, BrowserError> {
        Self::launch_with(credentials, false).await
    }

    async fn launch_with(credentials: &Credentials, scripts: bool) -> Result<Self, BrowserError> {
        require_chromium()?;
        let dir = tempfile::Builder::new()
            .prefix("tiemeng-browser-")
            .tempdir()
            .map_err(io_error("cannot create a temporary directory"))?;
        let work = dir.path().to_path_buf();
        let credentials = credentials.clone();
        // certutil and friends are blocking programs; keep them off the async workers, which
        // may be serving the very nodes under test.
        let (home, profile) = tokio::task::spawn_blocking(move || prepare(&work, &credentials))
            .await
            .map_err(|e| BrowserError::Setup { step: "profile preparation".into(), output: e.to_string() })??;
        let port = free_port()?;
        let mut driver = Driver { child: spawn_chromedriver(dir.path(), &home, port)?, dir };
        let http = http_client()?;
        let base = format!("http://127.0.0.1:{port}");
        let session = match start_session(&http, &base, &profile, scripts, &mut driver).await {
            Ok(id) => format!("{base}/session/{id}"),
            Err(e) => return Err(BrowserError::Startup { reason: e.to_string(), log: driver.log_tail() }),
        };
        Ok(Self { http, session, driver })
    }

    /// Opens `url` and waits for it to load. A page Chromium cannot load is an error naming
    /// its `ERR_…` code: chromedriver reports most (unknown host, refused connection, a
    /// handshake the server broke off) as [`BrowserError::Driver`]; an untrusted server
    /// certificate instead gets Chromium's error page, which this turns into
    /// [`BrowserError::LoadFailed`]. An HTTP error status is no error here: the page shows
    /// what the server answered.
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        // Chromium's error pages live at `chrome-error://chromewebdata/`; `.error-code` on
        // them holds the code.
        self.call(Method::POST, "/url", Some(json!({ "url": url }))).await?;
        let script = "return location.href.startsWith('chrome-error:') \
            ? (document.querySelector('.error-code')?.textContent || document.title || 'an error page') : null;";
        match self.execute(script, &[]).await? {
            Value::String(code) => Err(BrowserError::LoadFailed { url: url.to_owned(), code }),
            _ => Ok(()),
        }
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> Result<String, BrowserError> {
        self.call_for_string(Method::GET, "/url", None).await
    }

    /// The current page's serialised DOM.
    pub async fn page_source(&self) -> Result<String, BrowserError> {
        self.call_for_string(Method::GET, "/source", None).await
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> Result<String, BrowserError> {
        let element = self.element(css).await?;
        self.call_for_string(Method::GET, &format!("/element/{element}/text"), None).await
    }

    /// Clears the field matching `css` and types `value` into it, key by key, so the page
    /// sees the events a user's typing fires. Chromedriver types any Unicode, CJK outside the
    /// Basic Multilingual Plane included.
    pub async fn fill(&self, css: &str, value: &str) -> Result<(), BrowserError> {
        let element = self.element(css).await?;
        self.call(Method::POST, &format!("/element/{element}/clear"), Some(json!({}))).await?;
        self.call(Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": value }))).await.map(drop)
    }

    /// Chooses the file at `path` in the file input matching `css`, as picking it in the
    /// file dialog would.
    pub async fn choose_file(&self, css: &str, path: &Path) -> Result<(), BrowserError> {
        let element = self.element(css).await?;
        let text = path.display().to_string();
        self.call(Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": text }))).await.map(drop)
    }

    /// Chooses the option of the `<select>` matching `css` whose value, or else whose text,
    /// is `value`, and fires `input` and `change`.
    pub async fn select(&self, css: &str, value: &str) -> Result<(), BrowserError> {
        let element = self.element(css).await?;
        let script = "const [el, wanted] = arguments; \
            if (!(el instanceof HTMLSelectElement)) throw new Error('not a <select>: ' + el.outerHTML.slice(0, 80)); \
            const options = Array.from(el.options); \
            const option = options.find(o => o.value === wanted) ?? options.find(o => o.text.trim() === wanted); \
            if (!option) throw new Error(`no option \"${wanted}\"; values: ${options.map(o => o.value).join(', ')}`); \
            el.value = option.value; \
            el.dispatchEvent(new Event('input', { bubbles: true })); \
            el.dispatchEvent(new Event('change', { bubbles: true }));";
        self.execute(script, &[reference(&element), json!(value)]).await.map(drop)
    }

    /// Clicks the element matching `css`, as a user would (scrolled into view, not covered).
    pub async fn click(&self, css: &str) -> Result<(), BrowserError> {
        let element = self.element(css).await?;
        self.call(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await.map(drop)
    }

    /// Submits the form matching `css`, or the form of the field matching it, the way its
    /// submit button would: validation runs and `submit` handlers see the event.
    pub async fn submit_form(&self, css: &str) -> Result<(), BrowserError> {
        let element = self.element(css).await?;
        let script = "const el = arguments[0]; \
            const form = el instanceof HTMLFormElement ? el : el.form; \
            if (!form) throw new Error('no form at ' + el.outerHTML.slice(0, 80)); \
            form.requestSubmit();";
        self.execute(script, &[reference(&element)]).await.map(drop)
    }

    /// Runs `script` as a function body in the page with `args` as `arguments`, and returns
    /// what it returns. An exception comes back as a `javascript error` from chromedriver.
    pub async fn execute(&self, script: &str, args: &[Value]) -> Result<Value, BrowserError> {
        self.call(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Saves a PNG of the viewport to `path`, creating its folder.
    pub async fn screenshot(&self, path: &Path) -> Result<(), BrowserError> {
        let encoded = self.call_for_string(Method::GET, "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|e| BrowserError::Protocol { command: "GET /screenshot".into(), answer: e.to_string() })?;
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(io_error(format!("cannot create {}", folder.display())))?;
        }
        fs::write(path, png).map_err(io_error(format!("cannot write {}", path.display())))
    }

    /// Waits until an element matches `css`, for at most `timeout`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<(), BrowserError> {
        let started = Instant::now();
        loop {
            let found = self.call(Method::POST, "/elements", Some(by_css(css))).await?;
            if found.as_array().is_some_and(|elements| !elements.is_empty()) {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                let url = self.current_url().await.unwrap_or_else(|e| format!("? ({e})"));
                return Err(BrowserError::Timeout { what: format!("`{css}` on {url}"), waited: timeout });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the first element matching `css` holds `needle` in its rendered text, for
    /// at most `timeout`, and returns that text. Element and text are read by one script in one
    /// document, so a page that is still being replaced after a form post (its old notice
    /// matching `css`) cannot pass the check and then vanish before the read. A command that
    /// fails while the page changes is tried again; the timeout names the last thing seen.
    pub async fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String, BrowserError> {
        let script = "const el = document.querySelector(arguments[0]); return el ? el.innerText : null;";
        let started = Instant::now();
        loop {
            let last = match self.execute(script, &[json!(css)]).await {
                Ok(Value::String(text)) if text.contains(needle) => return Ok(text),
                Ok(Value::String(text)) => format!("text was {text:?}"),
                Ok(_) => "no match".to_owned(),
                Err(error @ BrowserError::Driver { .. }) => error.to_string(),
                Err(other) => return Err(other),
            };
            if started.elapsed() >= timeout {
                let url = self.current_url().await.unwrap_or_else(|e| format!("? ({e})"));
                return Err(BrowserError::Timeout {
                    what: format!("`{needle}` in `{css}` on {url} ({last})"),
                    waited: timeout,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Ends the session so Chromium exits on its own, then stops chromedriver. Dropping the
    /// browser without this kills both; this is only the tidier way.
    pub async fn quit(self) -> Result<(), BrowserError> {
        self.call(Method::DELETE, "", None).await.map(drop)
    }

    /// The id of the first element matching `css`.
    async fn element(&self, css: &str) -> Result<String, BrowserError> {
        let answer = self.call(Method::POST, "/element", Some(by_css(css))).await?;
        match answer.get(ELEMENT).and_then(Value::as_str) {
            Some(id) => Ok(id.to_owned()),
            None => Err(BrowserError::Protocol { command: format!("POST /element {css}"), answer: answer.to_string() }),
        }
    }

    async fn call_for_string(&self, method: Method, path: &str, body: Option<Value>) -> Result<String, BrowserError> {
        let command = format!("{method} {path}");
        match self.call(method, path, body).await? {
            Value::String(text) => Ok(text),
            other => Err(BrowserError::Protocol { command, answer: other.to_string() }),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, BrowserError> {
        call(&self.http, method, &format!("{}{path}", self.session), body).await
    }
}

/// Sends one WebDriver command and returns the `value` of its answer.
async fn call(http: &reqwest::Client, method: Method, url: &str, body: Option<Value>) -> Result<Value, BrowserError> {
    let path = url.find("/session").map_or(url, |at| &url[at..]);
    let command = format!("{method} {path}");
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|source| BrowserError::Http { command: command.clone(), source })?;
    let text = response.text().await.map_err(|source| BrowserError::Http { command: command.clone(), source })?;
    let Ok(Value::Object(mut answer)) = serde_json::from_str::<Value>(&text) else {
        return Err(BrowserError::Protocol { command, answer: text });
    };
    let value = answer.remove("value").unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or_default();
        return Err(BrowserError::Driver { command, error: error.to_owned(), message: message.to_owned() });
    }
    Ok(value)
}

/// A `reqwest` client for plain HTTP to chromedriver on loopback. The crate's reqwest has
/// TLS without a default crypto provider, so one is handed over, though it is never used.
fn http_client() -> Result<reqwest::Client, BrowserError> {
    let setup = |e: &dyn std::fmt::Display| BrowserError::Setup { step: "HTTP client".into(), output: e.to_string() };
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(&e))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(COMMAND)
        .build()
        .map_err(|e| setup(&e))
}

/// Builds the NSS database under `<work>/home` and the profile under `<work>/profile`;
/// returns both.
fn prepare(work: &Path, credentials: &Credentials) -> Result<(PathBuf, PathBuf), BrowserError> {
    let home = work.join("home");
    let nssdb = home.join(".pki").join("nssdb");
    fs::create_dir_all(&nssdb).map_err(io_error(format!("cannot create {}", nssdb.display())))?;
    let db = format!("sql:{}", nssdb.display());
    run(Command::new("certutil").args(["-N", "-d", &db, "--empty-password"]))?;
    import_cas(work, &db, &credentials.ca_bundle)?;
    let p12 = work.join("officer.p12");
    run(Command::new("openssl")
        .args(["pkcs12", "-export", "-name", "officer", "-passout", "pass:", "-in"])
        .arg(&credentials.cert)
        .arg("-inkey")
        .arg(&credentials.key)
        .arg("-out")
        .arg(&p12))?;
    run(Command::new("pk12util").args(["-d", &db, "-W", "", "-i"]).arg(&p12))?;
    let profile = work.join("profile");
    let default = profile.join("Default");
    fs::create_dir_all(&default).map_err(io_error(format!("cannot create {}", default.display())))?;
    let preferences = default.join("Preferences");
    fs::write(&preferences, auto_select_preferences().to_string())
        .map_err(io_error(format!("cannot write {}", preferences.display())))?;
    Ok((home, profile))
}

/// Imports every certificate of `bundle` as a CA trusted for TLS servers (`C,,`); certutil
/// reads only the first certificate of a file, so each gets a file of its own.
fn import_cas(work: &Path, db: &str, bundle: &Path) -> Result<(), BrowserError> {
    let text = fs::read_to_string(bundle).map_err(io_error(format!("cannot read {}", bundle.display())))?;
    let certificates = pem_certificates(&text);
    if certificates.is_empty() {
        return Err(BrowserError::Setup {
            step: format!("reading {}", bundle.display()),
            output: "no PEM certificate in it".into(),
        });
    }
    for (index, pem) in certificates.iter().enumerate() {
        let file = work.join(format!("ca-{index}.pem"));
        fs::write(&file, pem).map_err(io_error(format!("cannot write {}", file.display())))?;
        let nickname = format!("tiemeng CA {index}");
        run(Command::new("certutil").args(["-A", "-d", db, "-n", &nickname, "-t", "C,,", "-a", "-i"]).arg(&file))?;
    }
    Ok(())
}

/// The PEM blocks of the certificates in `bundle`, each with its markers.
fn pem_certificates(bundle: &str) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certificates = Vec::new();
    let mut rest = bundle;
    while let Some(start) = rest.find(BEGIN) {
        let Some(length) = rest[start..].find(END) else { break };
        let end = start + length + END.len();
        certificates.push(format!("{}\n", &rest[start..end]));
        rest = &rest[end..];
    }
    certificates
}

/// The profile preferences that make Chromium send the database's only client certificate
/// to [`AUTO_SELECT_ORIGINS`]. Keys are `"<primary pattern>,<secondary pattern>"`; the
/// setting has the shape of an `AutoSelectCertificateForUrls` entry's value.
fn auto_select_preferences() -> Value {
    let exceptions: serde_json::Map<String, Value> = AUTO_SELECT_ORIGINS
        .iter()
        .map(|origin| (format!("{origin},*"), json!({ "setting": { "filters": [{}] } })))
        .collect();
    json!({ "profile": { "content_settings": { "exceptions": { "auto_select_certificate": exceptions } } } })
}

/// Runs a setup program to completion; a failure carries its command line and output.
fn run(command: &mut Command) -> Result<(), BrowserError> {
    let step = format!("{command:?}");
    let output = command.stdin(Stdio::null()).output().map_err(io_error(format!("cannot run {step}")))?;
    if output.status.success() {
        return Ok(());
    }
    let printed = format!(
        "{} {}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    Err(BrowserError::Setup { step, output: printed.trim().to_owned() })
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, BrowserError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error("cannot find a free port"))?;
    let port = listener.local_addr().map_err(io_error("cannot find a free port"))?.port();
    Ok(port)
}

/// Starts chromedriver in a new process group with `home` as HOME, logging to the work dir.
fn spawn_chromedriver(work: &Path, home: &Path, port: u16) -> Result<Child, BrowserError> {
    let log_path = work.join("chromedriver.log");
    let log = File::create(&log_path).map_err(io_error(format!("cannot create {}", log_path.display())))?;
    let stderr = log.try_clone().map_err(io_error("cannot share the chromedriver log"))?;
    Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .env("HOME", home)
        // Chromium would put its config and cache there instead of under the fresh HOME.
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .map_err(io_error("cannot start chromedriver"))
}

/// Waits for chromedriver to be ready, then opens a session; returns the session id.
async fn start_session(
    http: &reqwest::Client,
    base: &str,
    profile: &Path,
    scripts: bool,
    driver: &mut Driver,
) -> Result<String, BrowserError> {
    wait_until_ready(http, base, driver).await?;
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| (*flag).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    if !scripts {
        args.push("--blink-settings=scriptEnabled=false".to_owned());
    }
    let capabilities = json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "acceptInsecureCerts": false,
        "pageLoadStrategy": "normal",
        "timeouts": { "implicit": 0, "pageLoad": PAGE_LOAD.as_millis() as u64, "script": COMMAND.as_millis() as u64 },
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    } } });
    let answer = call(http, Method::POST, &format!("{base}/session"), Some(capabilities)).await?;
    match answer.get("sessionId").and_then(Value::as_str) {
        Some(id) => Ok(id.to_owned()),
        None => Err(BrowserError::Protocol { command: "POST /session".into(), answer: answer.to_string() }),
    }
}

/// Polls chromedriver's `/status` until it is ready, it exits, or [`STARTUP`] passes.
async fn wait_until_ready(http: &reqwest::Client, base: &str, driver: &mut Driver) -> Result<(), BrowserError> {
    let started = Instant::now();
    let status = format!("{base}/status");
    loop {
        if let Ok(value) = call(http, Method::GET, &status, None).await
            && value.get("ready").and_then(Value::as_bool) == Some(true)
        {
            return Ok(());
        }
        if let Ok(Some(exit)) = driver.child.try_wait() {
            return Err(BrowserError::Setup { step: "chromedriver".into(), output: format!("exited early ({exit})") });
        }
        if started.elapsed() >= STARTUP {
            return Err(BrowserError::Timeout { what: format!("chromedriver on {base}"), waited: STARTUP });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A W3C element locator for a CSS selector.
fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

/// A W3C element reference, as a script argument.
fn reference(element: &str) -> Value {
    json!({ ELEMENT: element })
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> BrowserError {
    let context = context.into();
    move |source| BrowserError::Io { context, source }
}
