//! Prints every operation of the generated client: method name, HTTP call, pacing and
//! whether the runtime may retry it. `cargo run -p ibkr-gen --example operations [filter]`.

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default().to_lowercase();
    let ops: Vec<_> = ibkr_gen::operations::all()
        .iter()
        .filter(|o| {
            filter.is_empty()
                || o.id.to_lowercase().contains(&filter)
                || o.path.to_lowercase().contains(&filter)
                || o.tag.to_lowercase().contains(&filter)
        })
        .collect();
    for op in &ops {
        let pacing: Vec<String> = op
            .rates
            .iter()
            .map(|r| format!("{}/{:?}", r.count, r.per))
            .chain(op.concurrency.map(|c| format!("max {c} in flight")))
            .collect();
        println!(
            "{:<42} {:<6} {:<58} {}{}",
            op.method_name,
            op.method,
            op.path,
            if op.idempotent {
                ""
            } else {
                "[never retried] "
            },
            pacing.join(", ")
        );
    }
    println!(
        "{} of {} operations",
        ops.len(),
        ibkr_gen::operations::all().len()
    );
}
