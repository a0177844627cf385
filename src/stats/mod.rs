//! Statistics for chiefs, derived from the signed events and maintained incrementally: each
//! case change adjusts additive tallies per (day, direction, partner, kind) in the same
//! transaction, so a query sums a few buckets and never scans cases. See [`tally`] for what is
//! counted and [`report`] for the arithmetic.

pub mod report;
pub mod tally;

pub use report::{Figures, JointRecord};
pub use tally::{Dims, Direction, Tally, contributions, date_of_day, day_of, day_of_date};
