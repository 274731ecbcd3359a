//! An order IBKR asks a question about: nothing is confirmed unless you said so.
//! A limit far below the market makes IBKR ask o163 ("price exceeds the percentage
//! constraint"); the first try declines it, the second answers yes to o163 only.
//!
//! `cargo run -p ibkr-ext --example order_with_question` (on a gateway it only previews,
//! unless `IBKR_EXAMPLES_PLACE_ORDERS=yes`)

mod common;

use ibkr_ext::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let ex = common::connect().await?;
    let ibkr = &ex.ibkr;
    let account = ibkr.account(&ex.account);
    let orders = account.orders();
    let aapl = ibkr.resolve_conid(StockQuery::new("AAPL")).await?;
    let last = ibkr.snapshot(&[aapl], &[Field::LastPrice]).await?[0]
        .last()
        .unwrap_or(100.0);
    let limit = Decimal::from_f64(last * 0.8)
        .unwrap_or(Decimal::ONE_HUNDRED)
        .round_dp(2);
    let ticket = OrderTicket::buy(aapl, Decimal::ONE).limit(limit);
    if !ex.may_place_orders() {
        let preview = orders.preview(ticket).await?;
        println!("preview only (set IBKR_EXAMPLES_PLACE_ORDERS=yes to place): {preview:?}");
        return Ok(());
    }
    match orders.place(ticket.clone(), &AnswerPolicy::new()).await? {
        OrderOutcome::Declined(DeclinedQuestion {
            message_ids,
            text,
            reason: DeclineReason::Unanswered,
        }) => {
            println!("IBKR asked {message_ids:?}: {text}");
            println!(
                "nobody answered, so it was declined on the wire; placing again with a yes to o163 only"
            );
        }
        other => println!("no question this time: {other:?}"),
    }
    let policy = AnswerPolicy::new().yes(questions::PRICE_CONSTRAINT);
    let outcome = orders
        .place(
            ticket.coid(format!("example-{}", std::process::id())),
            &policy,
        )
        .await?;
    for order in outcome.live_orders() {
        println!("order {} is {}; cancelling", order.order_id, order.status);
        orders.cancel(&order.order_id).await?;
    }
    Ok(())
}
