//! Nodes in processes of their own, for the scenarios that need one: pinned to one core, started
//! cold, or measured alone. `tiemeng serve` is the production command; `tiemeng bench-node`
//! (hidden) is the same node with the benchmark's switches: pinning and no flushes, or timing
//! the compute scenario's reference operations in a process as fresh as the node's.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::compute::Reference;
use super::{BenchResult, ctx};
use crate::clock::Clock;
use crate::config::Config;
use crate::node::Node;

/// `tiemeng bench-node`: serves one node for the benchmark until its standard input closes.
#[derive(Debug, Clone, Args)]
pub struct NodeArgs {
    /// The station's config file.
    #[arg(long)]
    pub config: PathBuf,
    /// Switch flushing off (benchmark baseline; acknowledged data is not durable).
    #[arg(long)]
    pub no_flush: bool,
    /// Pin the whole process, every thread of it, to this CPU, with one runtime worker.
    #[arg(long)]
    pub cpu: Option<usize>,
    /// Instead of serving, time the compute scenario's reference operations over this many
    /// requests, print them on one line and exit.
    #[arg(long, requires = "data_dir")]
    pub reference: Option<usize>,
    /// The data folder, in place of the config's (for `--reference`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs `tiemeng bench-node`.
pub fn serve(args: NodeArgs) -> std::process::ExitCode {
    // Before any thread exists, so that every thread started later inherits the mask.
    if let Some(cpu) = args.cpu
        && let Err(e) = super::sys::pin_current_thread(cpu)
    {
        return crate::cli::fail(&format!("cannot pin to CPU {cpu}: {e}"));
    }
    crate::cli::init_tracing("warn");
    if let Some(samples) = args.reference {
        return match time_reference(&args, samples) {
            Ok(reference) => {
                println!("{}", reference.to_line());
                std::process::ExitCode::SUCCESS
            }
            Err(e) => crate::cli::fail(&e),
        };
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if args.cpu.is_some() {
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return crate::cli::fail(&format!("runtime: {e}")),
    };
    match runtime.block_on(serve_until_stdin_closes(&args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => crate::cli::fail(&e),
    }
}

fn time_reference(args: &NodeArgs, samples: usize) -> BenchResult<Reference> {
    let mut config = Config::load(&args.config).map_err(ctx("config"))?;
    if let Some(dir) = &args.data_dir {
        config.storage.data_dir.clone_from(dir);
    }
    super::compute::time_reference(config, samples)
}

async fn serve_until_stdin_closes(args: &NodeArgs) -> BenchResult<()> {
    let config = Config::load(&args.config).map_err(ctx("config"))?;
    let listen = config.server.listen;
    let node = Node::open(config, Clock::system()).map_err(ctx("open"))?;
    if args.no_flush {
        node.store().set_flush_for_bench(false);
    }
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(ctx("bind"))?;
    let running = crate::server::start(Arc::new(node), listener).map_err(ctx("serve"))?;
    println!("ready {}", running.addr);
    let _ = tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink())).await;
    running.stop().await;
    Ok(())
}

/// A node process; dropping it stops the node (gently first).
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl NodeProcess {
    /// Starts `tiemeng bench-node` and waits until it serves.
    pub fn bench_node(config: &Path, no_flush: bool, cpu: Option<usize>) -> BenchResult<Self> {
        let mut command = Command::new(std::env::current_exe().map_err(ctx("own binary"))?);
        command.arg("bench-node").arg("--config").arg(config);
        if no_flush {
            command.arg("--no-flush");
        }
        if let Some(cpu) = cpu {
            command.arg("--cpu").arg(cpu.to_string());
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(ctx("start bench-node"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(ctx("read bench-node"))?;
        if !line.starts_with("ready") {
            let _ = child.kill();
            return Err(format!("bench-node did not start: {line:?}"));
        }
        Ok(Self { child, stdin })
    }

    /// Times the compute scenario's reference operations in a `tiemeng bench-node` process of
    /// its own, pinned to `cpu`, on a store in `data_dir`.
    pub fn reference(config: &Path, data_dir: &Path, samples: usize, cpu: usize) -> BenchResult<Reference> {
        let output = Command::new(std::env::current_exe().map_err(ctx("own binary"))?)
            .arg("bench-node")
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--reference")
            .arg(samples.to_string())
            .arg("--cpu")
            .arg(cpu.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(ctx("start bench-node --reference"))?;
        let line = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!("bench-node --reference failed ({})", output.status));
        }
        Reference::from_line(line.trim()).ok_or_else(|| format!("bench-node --reference said {line:?}"))
    }

    /// Starts the production `tiemeng serve` (readiness is the caller's to detect).
    pub fn serve(config: &Path) -> BenchResult<Self> {
        let child = Command::new(std::env::current_exe().map_err(ctx("own binary"))?)
            .arg("serve")
            .arg("--config")
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(ctx("start serve"))?;
        Ok(Self { child, stdin: None })
    }

    /// The process id, as `/proc` names it.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Stops the node: closes its input (bench-node) or sends SIGTERM (serve), and waits up to
    /// ten seconds before killing it.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if self.stdin.take().is_none()
            && let Some(pid) = rustix::process::Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(0))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop_inner();
        }
    }
}
