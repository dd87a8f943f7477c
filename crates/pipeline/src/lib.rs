//! breachscope's pipeline as a library, driven by the commands and the tests.
//!
//! * [`store_ingest`]: evidence files into the store (the lake and its catalog), reading only
//!   what is new: new files, the appended tail of a growing file, a file rotated by rename
//!   (recognised by its content), a copytruncated one — never an event twice, never one skipped;
//! * [`lake_events`]: the lake's events back, in the order detection consumes them, and
//!   scoping over the lake;
//! * [`investigate`]: an investigation stage by stage — events in observable-time order (raw
//!   logs or lake), detection, correlation, scoping, classification, the report;
//! * [`watch`]: continuous detection on live evidence, with incidents pushed to people once.

pub mod investigate;
pub mod lake_events;
pub mod store_ingest;
pub mod watch;
