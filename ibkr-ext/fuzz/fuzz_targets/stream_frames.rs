//! Fuzzes the WebSocket frame path with any bytes the socket may deliver: each line of the
//! input is one text frame (tungstenite hands over text frames as UTF-8; the manager ignores
//! binary ones). The frames go through the quote merger alone, and through a connection
//! manager's whole frame path (decoder, merger, classification, every topic's merge) with
//! subscriptions on every topic. Nothing may panic, and the bounds hold: merged quotes only
//! for subscribed conids, one buffered error per topic and kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ibkr_ext::stream::internals::check_frames(data));
