//! Feeds arbitrary bytes to the nfcapd reader as a whole file (the script seeds the corpus with
//! the real nfcapd files, copied from ../shared/data at run time, and nfdump's compressed copies
//! of them when nfdump is installed). Every record is a flow or a rejection, the counts add up,
//! every rejection points inside the file, and every flow record becomes part of exactly one
//! paired flow.
#![no_main]

use std::path::Path;

use breachscope_ingest::netflow::Pairer;
use breachscope_ingest::nfcapd::NfcapdReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut reader) = NfcapdReader::from_read(source, data.len() as u64, Path::new("fuzz"))
    else {
        return;
    };
    let mut records = Vec::new();
    let mut rejected = 0u64;
    for item in reader.by_ref() {
        match item {
            Ok(r) => records.push(r),
            Err(e) => {
                rejected += 1;
                assert!(e.location.line <= data.len() as u64);
            }
        }
    }
    let stats = reader.finish();
    assert_eq!(stats.records, records.len() as u64);
    assert_eq!(stats.rejected, rejected);
    assert_eq!(stats.bytes, data.len() as u64);
    let mut pairer = Pairer::new();
    let mut flows = Vec::new();
    let n = records.len() as u64;
    for r in records {
        pairer.push(r, &mut flows);
    }
    pairer.finish(&mut flows);
    assert_eq!(pairer.paired * 2 + pairer.one_way, n);
    assert_eq!(flows.len() as u64, pairer.paired + pairer.one_way);
});
