#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    quiverdb::fuzz::run("bolt", data);
});
