//! `tiemeng watch`: the station's events in a terminal, a line each, as they happen. An urgent
//! or high-priority request rings the terminal's bell. A dropped connection is taken up again
//! from the last event seen, so nothing is missed; `--json` prints each event as a JSON line
//! for scripts.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::connection::Connection;
use super::{fail, render};
use crate::client::{ApiClient, EventReader};
use crate::domain::case::Priority;
use crate::events::words::describe;
use crate::events::{Event, What};
use crate::i18n::Lang;

/// Connection settings and where to start.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    connection: Connection,
    /// Print each event as a line of JSON (`{"id":…,"event":…}`) instead of words.
    #[arg(long)]
    json: bool,
    /// Start after this event id (0: every event kept); by default, from now on.
    #[arg(long)]
    after: Option<u64>,
}

/// The longest wait between two attempts to reconnect.
const RECONNECT_CAP: Duration = Duration::from_secs(30);

/// Runs `tiemeng watch` until interrupted.
pub fn run(args: WatchArgs, lang: Lang) -> ExitCode {
    let (client, runtime) = match args.connection.open(lang) {
        Ok(opened) => opened,
        Err(message) => return fail(&message),
    };
    runtime.block_on(watch(&client, args.json, args.after, lang))
}

async fn watch(client: &ApiClient, json: bool, mut last: Option<u64>, lang: Lang) -> ExitCode {
    let names = match client.stations().await {
        Ok(stations) => stations.into_iter().map(|s| (s.id, s.name)).collect(),
        Err(e) => return fail(&render::client_error(&e, lang)),
    };
    let mut wait = Duration::from_secs(1);
    loop {
        match client.events(last).await {
            Ok(response) => {
                if last.is_none() && !json {
                    eprintln!(
                        "{}",
                        lang.pick(
                            "正在接收本站事件（Ctrl-C 退出）……",
                            "watching this station's events (Ctrl-C to stop)…"
                        )
                    );
                }
                let mut reader = EventReader::new(response);
                while let Some((id, event)) = reader.next().await {
                    last = Some(id);
                    wait = Duration::from_secs(1);
                    show(id, &event, json, &names, lang);
                }
            }
            // A refusal (a certificate without the right, say) does not pass by waiting.
            Err(e @ crate::client::ClientError::Problem(_)) => return fail(&render::client_error(&e, lang)),
            Err(_) => {}
        }
        eprintln!(
            "{}",
            lang.pick(
                &format!("与节点的连接中断，{} 秒后重连，不会漏收事件。", wait.as_secs()),
                &format!("connection to the node lost; reconnecting in {} s without missing an event", wait.as_secs()),
            )
        );
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(RECONNECT_CAP);
    }
}

fn show(id: u64, event: &Event, json: bool, names: &std::collections::BTreeMap<String, String>, lang: Lang) {
    if json {
        let line = serde_json::json!({ "id": id, "event": event });
        super::print(&line.to_string());
        return;
    }
    let urgent = matches!(&event.what, What::RequestReceived { priority, .. } if *priority != Priority::Routine);
    super::print(&describe(event, names, lang));
    if urgent {
        // The bell, written on purpose (print escapes every control character from data).
        let mut out = std::io::stdout();
        let _ = out.write_all(b"\x07");
        let _ = out.flush();
    }
}
