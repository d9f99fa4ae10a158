#![no_main]
// See podsift_core::fuzz::tsdb and FUZZING.md.
libfuzzer_sys::fuzz_target!(|data: &[u8]| podsift_core::fuzz::tsdb(data));
