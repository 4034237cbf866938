//! Any bytes through the reader, the depth pre-scan, the position pass and
//! the validator: none may panic, overflow the stack or run away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_policies::{Policy, validate};
use steward_schemas::{Document, FieldPath, scan_depth};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(scan) = scan_depth(text) {
            assert!(scan.steps <= text.len());
        }
    }
    if let Ok(doc) = Document::from_bytes(data) {
        let _ = doc.contract();
        let _ = doc.locate(&FieldPath::root().key("schema").index(0).key("properties"));
    }
    let report = validate(data, &Policy::default(), None);
    assert!(report.findings.iter().all(|f| f.line >= 1 && f.column >= 1));
});
