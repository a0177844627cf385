//! The vocabulary of cross-border assist requests. Pure: no I/O, no clocks, no storage.

pub mod attachment;
pub mod case;
pub mod deadline;
pub mod decode;
pub mod details;
pub mod lifecycle;
pub mod plate;
pub mod refno;
pub mod resident_id;
pub mod text;
pub mod validate;
pub mod words;

#[cfg(test)]
mod details_fuzz;
