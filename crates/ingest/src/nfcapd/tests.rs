//! Synthetic nfcapd files: every malformation is counted and located, never a panic.
