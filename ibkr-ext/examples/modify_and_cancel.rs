//! Place a resting limit order, move its price, then cancel it.
//!
//! `cargo run -p ibkr-ext --example modify_and_cancel` (on a gateway it only previews,
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
    let ibm = ibkr.resolve_conid(StockQuery::new("IBM")).await?;
    let last = ibkr.snapshot(&[ibm], &[Field::LastPrice]).await?[0]
        .last()
        .unwrap_or(180.0);
    let price = |f: f64| {
        Decimal::from_f64(last * f)
            .unwrap_or(Decimal::ONE)
            .round_dp(2)
    };
    let ticket = OrderTicket::buy(ibm, Decimal::ONE)
        .limit(price(0.98))
        .coid(format!("modify-{}", std::process::id()));
    if !ex.may_place_orders() {
        println!("preview only: {:?}", orders.preview(ticket).await?);
        return Ok(());
    }
    let policy = AnswerPolicy::new().yes(questions::PRICE_CONSTRAINT);
    let placed = orders.place(ticket.clone(), &policy).await?;
    let Some(order) = placed.live_orders().first().cloned() else {
        return Err(format!("not placed: {placed:?}").into());
    };
    println!("placed {} at {}", order.order_id, price(0.98));
    // A modification repeats every field of the original, with the change.
    let moved = orders
        .modify(&order.order_id, &ticket.limit(price(0.97)), &policy)
        .await?;
    println!(
        "moved to {}: {:?}",
        price(0.97),
        moved.live_orders().first().map(|o| &o.status)
    );
    let ack = orders.cancel(&order.order_id).await?;
    println!("cancelled: {}", ack.message);
    Ok(())
}
