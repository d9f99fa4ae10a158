#![no_main]
// See podsift_core::fuzz::config and FUZZING.md.
libfuzzer_sys::fuzz_target!(|data: &[u8]| podsift_core::fuzz::config(data));
