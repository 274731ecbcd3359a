//! The frame fuzz target (`ibkr-ext/fuzz`, `stream_frames`) as a plain test: its seed corpus
//! and every crash it found (kept in `tests/fuzz_corpus/stream_frames`), then a
//! deterministic byte loop that mutates the seeds, so the checks run without libFuzzer.

use ibkr_ext::stream::internals::check_frames;

fn corpus() -> Vec<Vec<u8>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/stream_frames");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 9, "the seed corpus is there");
    files
        .iter()
        .map(|p| std::fs::read(p).expect("corpus file"))
        .collect()
}

#[test]
fn the_corpus_and_past_crashes_pass() {
    for input in corpus() {
        check_frames(&input);
    }
}

#[test]
fn mutated_seeds_pass() {
    let seeds = corpus();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for round in 0..2_000 {
        let mut input = seeds[round % seeds.len()].clone();
        for _ in 0..(next() % 8 + 1) {
            let at = (next() as usize) % (input.len() + 1);
            match next() % 4 {
                0 if at < input.len() => input[at] = next() as u8,
                1 if at < input.len() => {
                    input.remove(at);
                }
                2 => input.insert(at, b"{}[]\":,+0123456789en-.\\\n"[(next() % 23) as usize]),
                _ => {
                    let other = &seeds[(next() as usize) % seeds.len()];
                    input.splice(at..at, other.iter().copied());
                }
            }
        }
        check_frames(&input);
    }
}
