//! Packet records out of a capture file, streamed: classic libpcap (both byte orders,
//! microsecond and nanosecond timestamps) and pcapng (section headers of either byte order,
//! interface descriptions with their link type, `if_tsresol` and `if_tsoffset`, enhanced and
//! simple packet blocks). Obsolete packet blocks and blocks of other types are skipped and
//! counted. Only one record is held in memory at a time.

use std::io::{self, Read};

use breachscope_model::Micros;

/// The largest record a capture may hold (libpcap's own limit is 256 KiB; pcapng blocks carry
/// options as well).
const MAX_RECORD: usize = 16 * 1024 * 1024;

/// Why a capture stopped being readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The first bytes are not a pcap or pcapng magic number.
    #[error("not a pcap or pcapng capture")]
    Magic,
    /// The file ends inside a header, record or block.
    #[error("capture cut short at byte offset {offset}")]
    Truncated {
        /// Byte offset of the record or block that is incomplete.
        offset: u64,
    },
    /// A record or block header is inconsistent.
    #[error("bad record at byte offset {offset}: {reason}")]
    Bad {
        /// Byte offset of the record or block.
        offset: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Reading failed.
    #[error("read error at byte offset {offset}: {message}")]
    Io {
        /// Byte offset where reading failed.
        offset: u64,
        /// The operating system's message.
        message: String,
    },
}

/// One captured packet.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Capture time, µs since the epoch.
    pub time: Micros,
    /// The link type of the interface it was captured on (LINKTYPE_ numbers).
    pub link: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub orig_len: u32,
    /// Byte offset of the record in the file.
    pub offset: u64,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: u32,
    snaplen: u32,
    /// Units per second of the timestamps: `Ok(10^n)` or `Err(n)` for 2^n.
    resol: Result<u64, u32>,
    offset_secs: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        big_endian: bool,
        nanos: bool,
        link: u32,
    },
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Counts of what the file held besides packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Packet records read.
    pub packets: u64,
    /// pcapng blocks skipped (statistics, name resolution, obsolete packet blocks, custom and
    /// unknown types).
    pub skipped_blocks: u64,
    /// Of these, obsolete (pre-EPB) packet blocks.
    pub obsolete_packet_blocks: u64,
    /// pcapng packets naming an interface that was never described.
    pub unknown_interface: u64,
    /// pcapng sections (section header blocks).
    pub sections: u64,
}

/// Whether `head` (the first bytes of a file) starts like a pcap or pcapng capture.
pub fn is_capture(head: &[u8]) -> bool {
    match head.get(0..4) {
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d],
        ) => true,
        // pcapng's Section Header Block type is "\n\r\r\n", which text can begin with too: its
        // byte-order magic must follow.
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => matches!(
            head.get(8..12),
            Some([0x4d, 0x3c, 0x2b, 0x1a] | [0x1a, 0x2b, 0x3c, 0x4d])
        ),
        _ => false,
    }
}

/// Reads packet records one at a time from `R`.
#[derive(Debug)]
pub struct CaptureFile<R> {
    reader: R,
    format: Format,
    buf: Vec<u8>,
    offset: u64,
    counts: FileCounts,
    done: bool,
    last_time: Micros,
}

fn u16_of(b: &[u8], at: usize, be: bool) -> u16 {
    let x = [
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ];
    if be {
        u16::from_be_bytes(x)
    } else {
        u16::from_le_bytes(x)
    }
}

fn u32_of(b: &[u8], at: usize, be: bool) -> u32 {
    let mut x = [0u8; 4];
    for (i, v) in x.iter_mut().enumerate() {
        *v = b.get(at + i).copied().unwrap_or(0);
    }
    if be {
        u32::from_be_bytes(x)
    } else {
        u32::from_le_bytes(x)
    }
}

/// Reads exactly `buf.len()` bytes; `Ok(n)` with `n < len` means the file ended.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<R: Read> CaptureFile<R> {
    /// Reads the file header (pcap) or the first section header (pcapng).
    pub fn new(mut reader: R) -> Result<Self, FileError> {
        let mut head = [0u8; 4];
        let got = read_full(&mut reader, &mut head).map_err(|e| FileError::Io {
            offset: 0,
            message: e.to_string(),
        })?;
        // The pcapng byte-order magic is checked where the section header block is read.
        if got < 4 || !(is_capture(&head) || head == [0x0a, 0x0d, 0x0d, 0x0a]) {
            return Err(FileError::Magic);
        }
        let mut file = CaptureFile {
            reader,
            format: Format::Pcapng {
                big_endian: false,
                interfaces: Vec::new(),
            },
            buf: Vec::new(),
            offset: 0,
            counts: FileCounts::default(),
            done: false,
            last_time: 0,
        };
        if head == [0x0a, 0x0d, 0x0d, 0x0a] {
            file.section_header(head)?;
        } else {
            let magic = u32::from_le_bytes(head);
            let (big_endian, nanos) = match magic {
                0xa1b2_c3d4 => (false, false),
                0xa1b2_3c4d => (false, true),
                0xd4c3_b2a1 => (true, false),
                _ => (true, true),
            };
            let mut rest = [0u8; 20];
            let got = file.read(&mut rest, 4)?;
            if got < 20 {
                return Err(FileError::Truncated { offset: 0 });
            }
            let link = u32_of(&rest, 16, big_endian) & 0x0fff_ffff;
            file.format = Format::Pcap {
                big_endian,
                nanos,
                link,
            };
            file.offset = 24;
        }
        Ok(file)
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Counts so far.
    pub fn counts(&self) -> FileCounts {
        self.counts
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn read(&mut self, buf: &mut [u8], at: u64) -> Result<usize, FileError> {
        read_full(&mut self.reader, buf).map_err(|e| FileError::Io {
            offset: at,
            message: e.to_string(),
        })
    }

    /// Reads `n` bytes into `self.buf`; errors as truncated at `start` if the file ends.
    fn fill(&mut self, n: usize, start: u64) -> Result<(), FileError> {
        self.buf.resize(n, 0);
        let mut buf = std::mem::take(&mut self.buf);
        let got = self.read(&mut buf, start);
        self.buf = buf;
        if got? < n {
            return Err(FileError::Truncated { offset: start });
        }
        Ok(())
    }

    /// Parses a section header block whose type bytes were already read.
    fn section_header(&mut self, _type: [u8; 4]) -> Result<(), FileError> {
        let start = self.offset;
        let mut fixed = [0u8; 8];
        if self.read(&mut fixed, start)? < 8 {
            return Err(FileError::Truncated { offset: start });
        }
        let big_endian = match fixed[4..8] {
            [0x1a, 0x2b, 0x3c, 0x4d] => true,
            [0x4d, 0x3c, 0x2b, 0x1a] => false,
            _ => {
                return Err(FileError::Bad {
                    offset: start,
                    reason: "section header byte-order magic",
                });
            }
        };
        let len = u32_of(&fixed, 0, big_endian) as usize;
        if !(28..=MAX_RECORD).contains(&len) || !len.is_multiple_of(4) {
            return Err(FileError::Bad {
                offset: start,
                reason: "section header block length",
            });
        }
        self.fill(len - 12, start)?;
        if u32_of(&self.buf, len - 16, big_endian) as usize != len {
            return Err(FileError::Bad {
                offset: start,
                reason: "section header trailing length differs",
            });
        }
        self.offset += len as u64;
        self.counts.sections += 1;
        self.format = Format::Pcapng {
            big_endian,
            interfaces: Vec::new(),
        };
        Ok(())
    }

    /// The next packet, `Ok(None)` at the end of the file. After an error the file is done.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, FileError> {
        if self.done {
            return Ok(None);
        }
        let r = match self.format {
            Format::Pcap {
                big_endian,
                nanos,
                link,
            } => self.next_pcap(big_endian, nanos, link),
            Format::Pcapng { .. } => self.next_pcapng(),
        };
        match r {
            Ok(Some((time, link, orig_len, offset, range))) => Ok(Some(Record {
                time,
                link,
                data: self.buf.get(range).unwrap_or(&[]),
                orig_len,
                offset,
            })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn next_pcap(
        &mut self,
        be: bool,
        nanos: bool,
        link: u32,
    ) -> Result<Option<(Micros, u32, u32, u64, std::ops::Range<usize>)>, FileError> {
        let start = self.offset;
        let mut h = [0u8; 16];
        let got = self.read(&mut h, start)?;
        if got == 0 {
            return Ok(None);
        }
        if got < 16 {
            return Err(FileError::Truncated { offset: start });
        }
        let secs = u32_of(&h, 0, be);
        let frac = u32_of(&h, 4, be);
        let caplen = u32_of(&h, 8, be) as usize;
        let orig_len = u32_of(&h, 12, be);
        if caplen > MAX_RECORD {
            return Err(FileError::Bad {
                offset: start,
                reason: "record length over 16 MiB",
            });
        }
        self.fill(caplen, start)?;
        self.offset += 16 + caplen as u64;
        self.counts.packets += 1;
        let time = i64::from(secs) * 1_000_000
            + if nanos {
                i64::from(frac / 1_000)
            } else {
                i64::from(frac)
            };
        Ok(Some((
            time,
            link,
            orig_len.max(caplen as u32),
            start,
            0..caplen,
        )))
    }

    #[allow(clippy::type_complexity)]
    fn next_pcapng(
        &mut self,
    ) -> Result<Option<(Micros, u32, u32, u64, std::ops::Range<usize>)>, FileError> {
        loop {
            let start = self.offset;
            let mut h = [0u8; 8];
            let got = self.read(&mut h, start)?;
            if got == 0 {
                return Ok(None);
            }
            if got < 8 {
                return Err(FileError::Truncated { offset: start });
            }
            if h[0..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
                // A new section: re-read its length and byte order.
                let mut body = [0u8; 4];
                if self.read(&mut body, start)? < 4 {
                    return Err(FileError::Truncated { offset: start });
                }
                let big_endian = match body {
                    [0x1a, 0x2b, 0x3c, 0x4d] => true,
                    [0x4d, 0x3c, 0x2b, 0x1a] => false,
                    _ => {
                        return Err(FileError::Bad {
                            offset: start,
                            reason: "section header byte-order magic",
                        });
                    }
                };
                let len = u32_of(&h, 4, big_endian) as usize;
                if !(28..=MAX_RECORD).contains(&len) || !len.is_multiple_of(4) {
                    return Err(FileError::Bad {
                        offset: start,
                        reason: "section header block length",
                    });
                }
                self.fill(len - 12, start)?;
                self.offset += len as u64;
                self.counts.sections += 1;
                self.format = Format::Pcapng {
                    big_endian,
                    interfaces: Vec::new(),
                };
                continue;
            }
            let Format::Pcapng { big_endian: be, .. } = self.format else {
                return Ok(None);
            };
            let kind = u32_of(&h, 0, be);
            let len = u32_of(&h, 4, be) as usize;
            if !(12..=MAX_RECORD).contains(&len) || !len.is_multiple_of(4) {
                return Err(FileError::Bad {
                    offset: start,
                    reason: "block length",
                });
            }
            self.fill(len - 8, start)?;
            self.offset += len as u64;
            let body_len = len - 12;
            if u32_of(&self.buf, body_len, be) as usize != len {
                return Err(FileError::Bad {
                    offset: start,
                    reason: "block trailing length differs",
                });
            }
            match kind {
                1 => {
                    if body_len < 8 {
                        return Err(FileError::Bad {
                            offset: start,
                            reason: "interface description too short",
                        });
                    }
                    let link = u32::from(u16_of(&self.buf, 0, be));
                    let snaplen = u32_of(&self.buf, 4, be);
                    let mut iface = Interface {
                        link,
                        snaplen,
                        resol: Ok(1_000_000),
                        offset_secs: 0,
                    };
                    let mut at = 8;
                    while at + 4 <= body_len {
                        let code = u16_of(&self.buf, at, be);
                        let olen = usize::from(u16_of(&self.buf, at + 2, be));
                        let value = self.buf.get(at + 4..(at + 4 + olen).min(body_len));
                        match (code, value) {
                            (0, _) => break,
                            (9, Some(&[v])) => {
                                iface.resol = if v & 0x80 == 0 {
                                    10u64.checked_pow(u32::from(v)).ok_or(()).or(Err(0))
                                } else {
                                    Err(u32::from(v & 0x7f))
                                };
                                if iface.resol == Err(0) {
                                    iface.resol = Ok(1_000_000);
                                }
                            }
                            (14, Some(v)) if v.len() == 8 => {
                                let hi = u32_of(v, 0, be);
                                let lo = u32_of(v, 4, be);
                                iface.offset_secs = ((u64::from(hi) << 32) | u64::from(lo)) as i64;
                            }
                            _ => {}
                        }
                        at += 4 + olen.div_ceil(4) * 4;
                    }
                    if let Format::Pcapng { interfaces, .. } = &mut self.format {
                        interfaces.push(iface);
                    }
                }
                6 | 3 => {
                    let (iface_id, ts, caplen, orig_len, data_at) = if kind == 6 {
                        if body_len < 20 {
                            return Err(FileError::Bad {
                                offset: start,
                                reason: "enhanced packet block too short",
                            });
                        }
                        let hi = u64::from(u32_of(&self.buf, 4, be));
                        let lo = u64::from(u32_of(&self.buf, 8, be));
                        (
                            u32_of(&self.buf, 0, be) as usize,
                            (hi << 32) | lo,
                            u32_of(&self.buf, 12, be) as usize,
                            u32_of(&self.buf, 16, be),
                            20,
                        )
                    } else {
                        if body_len < 4 {
                            return Err(FileError::Bad {
                                offset: start,
                                reason: "simple packet block too short",
                            });
                        }
                        let orig_len = u32_of(&self.buf, 0, be);
                        (0, 0, (orig_len as usize).min(body_len - 4), orig_len, 4)
                    };
                    let Format::Pcapng { interfaces, .. } = &self.format else {
                        return Ok(None);
                    };
                    let Some(iface) = interfaces.get(iface_id).copied() else {
                        self.counts.unknown_interface += 1;
                        continue;
                    };
                    let caplen = if kind == 3 && iface.snaplen != 0 {
                        caplen.min(iface.snaplen as usize)
                    } else {
                        caplen
                    };
                    if data_at + caplen > body_len {
                        return Err(FileError::Bad {
                            offset: start,
                            reason: "packet longer than its block",
                        });
                    }
                    self.counts.packets += 1;
                    let micros: i128 = match iface.resol {
                        Ok(per_sec) => i128::from(ts) * 1_000_000 / i128::from(per_sec.max(1)),
                        Err(pow2) => (i128::from(ts) * 1_000_000) >> pow2.min(120),
                    };
                    let time = i64::try_from(micros)
                        .unwrap_or(i64::MAX)
                        .saturating_add(iface.offset_secs.saturating_mul(1_000_000));
                    let time = if kind == 3 { self.last_time } else { time };
                    self.last_time = time;
                    return Ok(Some((
                        time,
                        iface.link,
                        orig_len.max(caplen as u32),
                        start,
                        data_at..data_at + caplen,
                    )));
                }
                2 => {
                    self.counts.skipped_blocks += 1;
                    self.counts.obsolete_packet_blocks += 1;
                }
                _ => self.counts.skipped_blocks += 1,
            }
        }
    }
}
