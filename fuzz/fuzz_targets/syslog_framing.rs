//! Feeds an arbitrary byte stream to the syslog framer in pieces of the sizes the first byte
//! picks: the messages must not depend on how the stream was cut, and the framer must never
//! panic or lose count.
#![no_main]

use breachscope_ingest::syslog_framing::{Framer, datagram_messages};
use libfuzzer_sys::fuzz_target;

fn frame(stream: &[u8], piece: usize) -> Vec<(Vec<u8>, Option<breachscope_ingest::syslog_framing::FramingIssue>)> {
    let mut f = Framer::new();
    let mut out = Vec::new();
    for chunk in stream.chunks(piece.max(1)) {
        f.push(chunk);
        while let Some(m) = f.next_message() {
            out.push(m);
        }
    }
    out.extend(f.finish());
    assert_eq!(f.stats().messages, out.len() as u64);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let whole = frame(stream, stream.len());
    let pieces = frame(stream, usize::from(first % 17) + 1);
    assert_eq!(whole, pieces);
    for m in datagram_messages(stream) {
        assert!(!m.contains(&b'\n'));
    }
});
