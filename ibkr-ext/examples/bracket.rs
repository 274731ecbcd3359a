//! A bracket: a limit buy with a take-profit and a stop-loss that work once it fills.
//!
//! `cargo run -p ibkr-ext --example bracket` (on a gateway it only previews, unless
//! `IBKR_EXAMPLES_PLACE_ORDERS=yes`)

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
    let msft = ibkr.resolve_conid(StockQuery::new("MSFT")).await?;
    let last = ibkr.snapshot(&[msft], &[Field::LastPrice]).await?[0]
        .last()
        .unwrap_or(400.0);
    let price = |f: f64| {
        Decimal::from_f64(last * f)
            .unwrap_or(Decimal::ONE)
            .round_dp(2)
    };
    let qty = Decimal::ONE;
    // Entry 1% under the market, so it rests rather than fills.
    let bracket = OrderGroup::bracket(
        OrderTicket::buy(msft, qty).limit(price(0.99)),
        OrderTicket::sell(msft, qty).limit(price(1.05)),
        OrderTicket::sell(msft, qty).stop(price(0.95)),
    );
    if !ex.may_place_orders() {
        println!("preview only: {:?}", orders.preview(bracket).await?);
        return Ok(());
    }
    // The stop-loss draws IBKR's stop-order warning (o10331); answer yes to that and to
    // the price question only: anything else IBKR asks declines the group.
    let policy = AnswerPolicy::new()
        .yes(questions::STOP_ORDER_RISK)
        .yes(questions::PRICE_CONSTRAINT);
    let outcome = orders.place(bracket, &policy).await?;
    for order in outcome.live_orders() {
        println!("order {} is {}", order.order_id, order.status);
    }
    if let Some(parent) = outcome.live_orders().first() {
        // Cancelling the parent takes its children with it.
        println!("cancel: {}", orders.cancel(&parent.order_id).await?.message);
    }
    Ok(())
}
