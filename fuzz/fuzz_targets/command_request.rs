#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = reform_fuzz::command_request(data);
});
