//! The sled trees of a station's store, each named after what it maps from and to, and the
//! ids that name them in a unit's writes.

use sled::Tree;

macro_rules! trees {
    ($($(#[$doc:meta])* $field:ident => $variant:ident),+ $(,)?) => {
        /// Every sled tree, named after what it maps from and to.
        #[derive(Debug)]
        pub(crate) struct Trees {
            $($(#[$doc])* pub $field: Tree,)+
        }

        /// Names a tree inside a transaction.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) enum TreeId {
            $($(#[$doc])* $variant,)+
        }

        impl Trees {
            pub(super) fn open(db: &sled::Db) -> sled::Result<Self> {
                Ok(Self { $($field: db.open_tree(stringify!($field))?,)+ })
            }

            /// All trees in [`TreeId`] order, for transactions over every tree.
            pub(super) fn all(&self) -> Vec<Tree> {
                vec![$(self.$field.clone(),)+]
            }

            /// The names of all trees, in the same order.
            pub(crate) fn names() -> &'static [&'static str] {
                &[$(stringify!($field),)+]
            }
        }
    };
}

trees! {
    /// Case id → materialised [`CaseRecord`](crate::case::CaseRecord) and the case's timeline (`case_value`).
    caseid_case => CaseidCase,
    /// Envelope id → metadata and the exact signed wire bytes, kept forever as evidence, with
    /// the receipt this station issued for it (`envelope_value`).
    envelopeid_envelope => EnvelopeidEnvelope,
    /// Case id, envelope time, envelope id → (): timelines as earlier releases kept them; read,
    /// no longer written (a case's value holds its timeline now).
    #[allow(dead_code, reason = "no unit writes to it any more; its position still orders the trees")]
    caseevent_envelopeid => CaseeventEnvelopeid,
    /// Envelope id, issuing station → signed receipt bytes: those received from peers, and
    /// those issued here by earlier releases.
    envelopestation_receipt => EnvelopestationReceipt,
    /// Peer, sequence → envelope id: the per-peer FIFO outbox.
    peerseq_outbox => PeerseqOutbox,
    /// Sequence → audit entry: the hash chain.
    seq_audit => SeqAudit,
    /// Named singletons: station id, audit head, outbox counters.
    meta => Meta,
    /// Mailbox, created time, case → (): newest-first listings.
    boxtime_case => BoxtimeCase,
    /// Mailbox, target state, created time, case → (): listings by status.
    boxstatetime_case => BoxstatetimeCase,
    /// Mailbox, kind, created time, case → (): listings by kind.
    boxkindtime_case => BoxkindtimeCase,
    /// Mailbox, peer, created time, case → (): listings by partner station.
    boxpeertime_case => BoxpeertimeCase,
    /// Next deadline, case, target → (): what is overdue, most overdue first.
    due_target => DueTarget,
    /// Subject key (resident ID, plate, case number) → open cases naming it.
    subject_cases => SubjectCases,
    /// Peer, sequence → envelope the peer refused for good, with the code: for admins.
    peerseq_deadletter => PeerseqDeadletter,
    /// Request day, direction, partner, kind → statistics tally.
    daydims_tally => DaydimsTally,
    /// Request month, direction, partner, kind → statistics tally (sums of the days).
    monthdims_tally => MonthdimsTally,
    /// Peer, direction (sent to / received from), envelope time, envelope id → (): what to
    /// exchange when a node restored from a backup reconciles with that peer.
    peerdirtime_envelope => PeerdirtimeEnvelope,
    /// Signing station, case, `seq` → the envelope it signed a second time with that `seq`,
    /// refused and kept as evidence (`equivocation`).
    stationcaseseq_equivocation => StationcaseseqEquivocation,
    /// Event id → event for the desk (`events`), written beside the change it reports.
    seq_event => SeqEvent,
    /// Deadline, case, target, stage → (): the deadlines the desk was told of, near or passed,
    /// so each is told once (`events`).
    duecasetargetstage_told => DuecasetargetstageTold,
    /// Officer, idempotency key → the request it sent: body digest, case, time (`once`).
    /// Kept for a day, so a retried send gives the first case back; in backups like every
    /// tree, so a restored node still knows which retries it has answered.
    officerkey_sent => OfficerkeySent,
    /// Origin, year, number → case; label → case: where a reference number points (`refno`).
    refno_case => RefnoCase,
    /// Case, time, digest → a handover of the case between officers of this station, signed
    /// here (`handover`). Local: never sent, kept as evidence with the case.
    casetime_handover => CasetimeHandover,
    /// Term, 0, inverted creation time, case → the fields of its request the term is in: the
    /// search index (`search`), written with the request envelope.
    term_case => TermCase,
    /// Declined case, new case → the station that declined: a request sent in place of a
    /// declined one (改发), the way back from the declined case (`redirect`).
    declinedcase_redirect => DeclinedcaseRedirect,
    /// SHA-256 → an attachment file kept under `attachments/sha256/`: size, type, when
    /// (`files`). Written once the file is synced in place.
    sha_file => ShaFile,
    /// SHA-256, case → (): the cases naming a file, written with the envelope that names it;
    /// a file no case names is swept a day after it arrived (`files`).
    shacase_file => ShacaseFile,
    /// Partner, 0, SHA-256 → how much of a file the partner confirmed holding, or its refusal
    /// (`transfers`): the files still to send, queued with the envelope that names them.
    peersha_send => PeershaSend,
    /// SHA-256, partner → the file receipt the partner signed once it held the whole file,
    /// checked (`transfers`): kept as evidence of delivery.
    shapeer_filereceipt => ShapeerFilereceipt,
}
