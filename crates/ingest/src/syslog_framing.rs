//! Syslog messages out of a TCP byte stream or UDP datagrams (RFC 6587): octet counting
//! (`LEN SP MSG`, what RFC 5424 senders use) and non-transparent framing (one message per
//! line, rsyslog's `omfwd` default), told apart message by message — an octet-counted message
//! starts with a digit 1–9, a syslog line with `<`. The messages themselves are the lines the
//! Samba reader already parses (RFC 3164, RFC 5424, RFC 3339 stamps).
//!
//! A stream arrives in pieces of any size: [`Framer::push`] takes bytes as they come and
//! [`Framer::next_message`] gives each complete message once. Nothing is fatal: a message over
//! [`MAX_MESSAGE`] is cut there and counted, a bad octet count is read as a line and counted,
//! and a stream that ends inside a message gives it back by [`Framer::finish`].

/// The longest message kept whole (longer ones are cut and counted).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The longest octet count accepted (digits).
const MAX_COUNT_DIGITS: usize = 9;

/// What went wrong with a message's framing (the message itself is still given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingIssue {
    /// Longer than [`MAX_MESSAGE`]: cut.
    TooLong,
    /// Digits that were not followed by a space: read as a line.
    BadOctetCount,
    /// The stream ended inside the message.
    Unterminated,
}

/// Counts of what the framer met.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramingStats {
    /// Messages given.
    pub messages: u64,
    /// Octet-counted messages among them.
    pub octet_counted: u64,
    /// Messages cut at [`MAX_MESSAGE`].
    pub too_long: u64,
    /// Octet counts that were not, read as lines.
    pub bad_octet_counts: u64,
    /// Messages the stream ended inside.
    pub unterminated: u64,
}

/// Splits a TCP stream into syslog messages.
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    /// Bytes of `buf` already given out.
    start: usize,
    /// Inside an over-long line: drop bytes up to its line feed.
    skip_line: bool,
    /// The tail of a cut octet-counted message still to drop.
    skip_bytes: usize,
    stats: FramingStats,
}

/// A message and what was wrong with its framing, if anything.
pub type Message = (Vec<u8>, Option<FramingIssue>);

impl Framer {
    /// A framer at the start of a stream.
    pub fn new() -> Self {
        Framer::default()
    }

    /// What has been counted.
    pub fn stats(&self) -> FramingStats {
        self.stats
    }

    /// Appends bytes received.
    pub fn push(&mut self, bytes: &[u8]) {
        // Drop what was given out once it is most of the buffer.
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message (without its framing or line end); `None` until more bytes
    /// come.
    pub fn next_message(&mut self) -> Option<Message> {
        loop {
            let rest = self.buf.get(self.start..)?;
            if rest.is_empty() {
                return None;
            }
            if self.skip_bytes > 0 {
                let n = self.skip_bytes.min(rest.len());
                self.start += n;
                self.skip_bytes -= n;
                continue;
            }
            if self.skip_line {
                match memchr::memchr(b'\n', rest) {
                    Some(end) => {
                        self.start += end + 1;
                        self.skip_line = false;
                        continue;
                    }
                    None => {
                        self.start = self.buf.len();
                        return None;
                    }
                }
            }
            // Blank lines between messages are not messages.
            if rest[0] == b'\n' || rest[0] == b'\r' {
                self.start += 1;
                continue;
            }
            if rest[0].is_ascii_digit() && rest[0] != b'0' {
                match octet_count(rest) {
                    Count::Complete(header, len) => return self.counted(header, len),
                    Count::NeedMore => return None,
                    Count::Invalid => {
                        let line = self.line()?;
                        self.stats.bad_octet_counts += 1;
                        return Some((line.0, line.1.or(Some(FramingIssue::BadOctetCount))));
                    }
                }
            }
            return self.line();
        }
    }

    /// An octet-counted message of `len` bytes after a `header`-byte count, once it is here
    /// (its first [`MAX_MESSAGE`] bytes, if longer; the rest is dropped as it arrives).
    fn counted(&mut self, header: usize, len: usize) -> Option<Message> {
        let rest = self.buf.get(self.start..)?;
        let kept = len.min(MAX_MESSAGE);
        let msg = rest.get(header..header + kept)?;
        let issue = (len > kept).then_some(FramingIssue::TooLong);
        let msg = trim_line_end(msg).to_vec();
        self.start += header + kept;
        self.skip_bytes = len - kept;
        self.stats.messages += 1;
        self.stats.octet_counted += 1;
        if issue.is_some() {
            self.stats.too_long += 1;
        }
        Some((msg, issue))
    }

    /// A line-framed message ending at the next line feed.
    fn line(&mut self) -> Option<Message> {
        let rest = self.buf.get(self.start..)?;
        match memchr::memchr(b'\n', rest) {
            Some(end) if end <= MAX_MESSAGE => {
                let msg = trim_line_end(rest.get(..end)?).to_vec();
                self.start += end + 1;
                self.stats.messages += 1;
                Some((msg, None))
            }
            None if rest.len() <= MAX_MESSAGE => None,
            _ => {
                // Over-long: give its first bytes, drop the rest of the line.
                let msg = rest.get(..MAX_MESSAGE)?.to_vec();
                self.start += MAX_MESSAGE;
                self.skip_line = true;
                self.stats.messages += 1;
                self.stats.too_long += 1;
                Some((msg, Some(FramingIssue::TooLong)))
            }
        }
    }

    /// The end of the stream: the message it ended inside, if any.
    pub fn finish(&mut self) -> Option<Message> {
        if self.skip_line || self.skip_bytes > 0 {
            return None;
        }
        let rest = self.buf.get(self.start..)?;
        let msg = trim_line_end(rest);
        if msg.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let msg = msg.to_vec();
        self.start = self.buf.len();
        self.stats.messages += 1;
        self.stats.unterminated += 1;
        Some((msg, Some(FramingIssue::Unterminated)))
    }
}

/// An octet count at the start of `b`.
enum Count {
    /// Header length (digits and space) and message length.
    Complete(usize, usize),
    /// The digits may go on.
    NeedMore,
    /// Not `DIGITS SP`.
    Invalid,
}

fn octet_count(b: &[u8]) -> Count {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > MAX_COUNT_DIGITS {
        return Count::Invalid;
    }
    match b.get(digits) {
        None => Count::NeedMore,
        Some(b' ') => {
            let len = b
                .iter()
                .take(digits)
                .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
            Count::Complete(digits + 1, len)
        }
        Some(_) => Count::Invalid,
    }
}

/// A message without a trailing CR LF or LF (octet-counted senders sometimes add one).
fn trim_line_end(m: &[u8]) -> &[u8] {
    let m = m.strip_suffix(b"\n").unwrap_or(m);
    m.strip_suffix(b"\r").unwrap_or(m)
}

/// The messages of one UDP datagram: one message, or several lines when a sender batches.
pub fn datagram_messages(d: &[u8]) -> impl Iterator<Item = &[u8]> {
    d.split(|&b| b == b'\n')
        .map(|m| m.strip_suffix(b"\r").unwrap_or(m))
        .filter(|m| !m.iter().all(u8::is_ascii_whitespace))
        .map(|m| m.get(..MAX_MESSAGE).unwrap_or(m))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn all(stream: &[u8], piece: usize) -> (Vec<Message>, FramingStats) {
        let mut f = Framer::new();
        let mut out = Vec::new();
        for chunk in stream.chunks(piece.max(1)) {
            f.push(chunk);
            while let Some(m) = f.next_message() {
                out.push(m);
            }
        }
        out.extend(f.finish());
        (out, f.stats())
    }

    #[test]
    fn both_framings_in_one_stream_in_pieces_of_any_size() {
        let a = "<190>2025-02-24T11:37:30+09:00 fs01 smbd_audit: k.tanaka|10.1.1.10|ws-001|hr|openat|ok|r|給与/a.xlsx";
        let b = "<14>1 2025-02-24T02:37:30Z fs01 smbd_audit - - - x|y";
        let stream = format!("{}\n{} {}\r\n\n{}", a, b.len(), b, a);
        for piece in [1, 2, 3, 7, 64, 4096] {
            let (msgs, stats) = all(stream.as_bytes(), piece);
            let texts: Vec<&str> = msgs
                .iter()
                .map(|m| std::str::from_utf8(&m.0).unwrap())
                .collect();
            assert_eq!(texts, [a, b, a], "pieces of {piece}");
            assert_eq!(msgs[2].1, Some(FramingIssue::Unterminated));
            assert_eq!(
                (stats.messages, stats.octet_counted, stats.unterminated),
                (3, 1, 1)
            );
        }
    }

    #[test]
    fn overlong_and_miscounted_messages_are_cut_or_read_as_lines() {
        let long = "x".repeat(MAX_MESSAGE + 10);
        // After the counted message: digits not followed by a space are not a count.
        let stream = format!("{long}\n{} {long}12x not a count\n<1>ok\n", long.len());
        for piece in [1000, 70_000] {
            let (msgs, stats) = all(stream.as_bytes(), piece);
            assert_eq!(msgs.len(), 4, "pieces of {piece}");
            assert_eq!(msgs[0].0.len(), MAX_MESSAGE);
            assert_eq!(msgs[0].1, Some(FramingIssue::TooLong));
            assert_eq!(msgs[1].0.len(), MAX_MESSAGE);
            assert_eq!(
                msgs[2],
                (
                    b"12x not a count".to_vec(),
                    Some(FramingIssue::BadOctetCount)
                )
            );
            assert_eq!(msgs[3], (b"<1>ok".to_vec(), None));
            assert_eq!(
                (stats.too_long, stats.octet_counted, stats.bad_octet_counts),
                (2, 1, 1)
            );
        }
        // More digits than any count.
        let (msgs, stats) = all(b"123456789012 x\n", 5);
        assert_eq!(msgs[0].1, Some(FramingIssue::BadOctetCount));
        assert_eq!(stats.bad_octet_counts, 1);
    }

    #[test]
    fn a_datagram_holds_one_message_or_a_few_lines() {
        let got: Vec<&[u8]> = datagram_messages(b"<1>a\r\n\n<2>b").collect();
        assert_eq!(got, [b"<1>a".as_slice(), b"<2>b".as_slice()]);
        assert_eq!(datagram_messages(b"\n").count(), 0);
    }
}
