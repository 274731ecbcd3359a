//! Order precautions: the thresholds behind the order questions (IBKR's "Order Presets").

/// The thresholds that make the simulator ask order questions.
///
/// Defaults: 3 % price constraint (o163 text: "price exceeds the Percentage constraint of 3%"),
/// a size limit of 5,000 shares (o383) and a total value limit of 100,000 USD (o451, the figure
/// in the spec's `/iserver/questions/suppress` description).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precautions {
    /// Ask o163 when a limit price is further than this fraction from the last price.
    pub price_percentage: f64,
    /// Ask o383 when the quantity is above this.
    pub size_limit: f64,
    /// Ask o451 when quantity × price is above this (USD).
    pub value_limit: f64,
}

impl Default for Precautions {
    fn default() -> Self {
        Precautions {
            price_percentage: 0.03,
            size_limit: 5_000.0,
            value_limit: 100_000.0,
        }
    }
}
