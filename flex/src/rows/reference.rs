//! Reference rows: security master data and currency conversion rates.

use super::prelude::*;

security_row! {
    /// Master data of a security that appears in the statement (`<SecurityInfo>`).
    SecurityInfo = "SecurityInfo" {
        kind: CompactString = "type",
        maturity: CompactString = "maturity",
        issue_date: NaiveDate = "issueDate",
        underlying_category: CompactString = "underlyingCategory",
        settlement_policy_method: CompactString = "settlementPolicyMethod",
        delivery_month: CompactString = "deliveryMonth",
        code: CompactString = "code",
    }
}

flex_row! {
    /// A daily rate from one currency to another (`<ConversionRate>`).
    ConversionRate = "ConversionRate" {
        report_date: NaiveDate = "reportDate",
        from_currency: CompactString = "fromCurrency",
        to_currency: CompactString = "toCurrency",
        rate: Decimal = "rate",
    }
}
