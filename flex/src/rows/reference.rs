//! Reference rows: security master data and currency conversion rates.

use super::prelude::*;

security_row! {
    /// Master data of a security that appears in the statement (`<SecurityInfo>`).
    SecurityInfo = "SecurityInfo" {
        kind: String = "type",
        maturity: String = "maturity",
        issue_date: NaiveDate = "issueDate",
        underlying_category: String = "underlyingCategory",
        settlement_policy_method: String = "settlementPolicyMethod",
        delivery_month: String = "deliveryMonth",
        code: String = "code",
    }
}

flex_row! {
    /// A daily rate from one currency to another (`<ConversionRate>`).
    ConversionRate = "ConversionRate" {
        report_date: NaiveDate = "reportDate",
        from_currency: String = "fromCurrency",
        to_currency: String = "toCurrency",
        rate: Decimal = "rate",
    }
}
